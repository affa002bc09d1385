"""Joining and leaving: commands, reactions and the Join button."""

from __future__ import annotations

from handlers.chat import ReactionEvent
from handlers.router import Outcome
from tests.harness import ScenarioBot


async def opened(bot: ScenarioBot) -> str:
    await bot.command("/swarm ACME cannot export invoices #billing sev2", user="ana")
    return bot.room(1)


async def test_raising_hand_on_the_announcement_joins_as_helper(bot: ScenarioBot) -> None:
    room = await opened(bot)
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    assert "fay@example.com" in bot.chat.channels[room].members
    assert bot.said(room)[-1] == "@Fay Singh joined swarm 1 as helper."


async def test_eyes_joins_as_observer_and_removing_it_leaves(bot: ScenarioBot) -> None:
    room = await opened(bot)
    announcement = bot.announcement_id()
    await bot.react("eyes", announcement, user="fay")
    assert bot.said(room)[-1] == "@Fay Singh joined swarm 1 as observer."
    await bot.react("eyes", announcement, user="fay", added=False)
    assert bot.said(room)[-1] == "@Fay Singh left swarm 1."


async def test_removing_the_other_emoji_keeps_the_member(bot: ScenarioBot) -> None:
    room = await opened(bot)
    announcement = bot.announcement_id()
    await bot.react("raising_hand", announcement, user="fay")
    await bot.react("eyes", announcement, user="fay", added=False)
    assert bot.said(room)[-1] == "@Fay Singh joined swarm 1 as helper."


async def test_a_retried_reaction_has_one_effect(bot: ScenarioBot) -> None:
    room = await opened(bot)
    announcement = bot.announcement_id()
    assert await bot.react("raising_hand", announcement, user="fay", event_id="Ev1") is Outcome.DONE
    assert await bot.react("raising_hand", announcement, user="fay", event_id="Ev1") is Outcome.DUPLICATE
    assert bot.said(room).count("@Fay Singh joined swarm 1 as helper.") == 1


async def test_reacting_again_gets_you_into_the_room_when_the_invite_failed(bot: ScenarioBot) -> None:
    room = await opened(bot)
    announcement = bot.announcement_id()
    working = bot.chat.invite

    async def down(room: str, users: list[str]) -> None:
        raise ConnectionError("platform down")

    bot.chat.invite = down  # type: ignore[method-assign]
    # Zoe is new to the roster and was not asked: only her 🙋 brings her in.
    assert await bot.react("raising_hand", announcement, user="zoe", event_id="Ev1") is Outcome.FAILED
    assert "zoe@example.com" not in bot.chat.channel(room).members
    bot.chat.invite = working  # type: ignore[method-assign]
    # The membership was saved before the invite failed: the second 🙋 changes nothing but the invite.
    assert await bot.react("raising_hand", announcement, user="zoe", event_id="Ev2") is Outcome.DONE
    assert "zoe@example.com" in bot.chat.channel(room).members
    assert not [line for line in bot.said(room) if "zoe" in line.lower()]


async def test_join_by_number_and_leave_in_the_room(bot: ScenarioBot) -> None:
    room = await opened(bot)
    await bot.command("/swarm join 1", user="fay")
    assert bot.said(room)[-1] == "@Fay Singh joined swarm 1 as helper."
    await bot.command("/swarm join 1", user="fay")
    assert "already in swarm 1" in bot.last_told("fay")
    await bot.command("/swarm leave", user="fay", channel=room)
    assert bot.said(room)[-1] == "@Fay Singh left swarm 1."


async def test_the_join_button_joins(bot: ScenarioBot) -> None:
    room = await opened(bot)
    assert await bot.click("join", "1", user="fay") is Outcome.DONE
    assert bot.said(room)[-1] == "@Fay Singh joined swarm 1 as helper."


async def test_the_owner_cannot_leave_without_handing_over(bot: ScenarioBot) -> None:
    room = await opened(bot)
    assert await bot.command("/swarm leave", user="ana", channel=room) is Outcome.REFUSED
    assert "hand it over first" in bot.last_told("ana")
    await bot.command("/swarm owner @fay", user="ana", channel=room)
    assert bot.said(room)[-1] == "@Fay Singh now owns swarm 1, taking over from @Ana Ruiz."
    assert await bot.command("/swarm leave", user="ana", channel=room) is Outcome.DONE


async def test_only_the_owner_hands_over(bot: ScenarioBot) -> None:
    room = await opened(bot)
    assert await bot.command("/swarm owner fay@example.com", user="ben", channel=room) is Outcome.REFUSED
    assert bot.last_told("ben") == (
        "Only its owner, Ana Ruiz, or a lead or admin (the roster names none yet) can hand swarm 1 over. "
        "Ask them in the swarm's room."
    )


async def test_invite_adds_people_to_the_room(bot: ScenarioBot) -> None:
    room = await opened(bot)
    await bot.command("/swarm invite @fay and eli@example.com", user="ana", channel=room)
    assert {"fay@example.com", "eli@example.com"} <= bot.chat.channels[room].members
    assert bot.said(room)[-1] == "@Ana Ruiz invited @Fay Singh, @Eli Brown to swarm 1."


async def test_invite_someone_unknown_changes_nothing(bot: ScenarioBot) -> None:
    room = await opened(bot)
    await bot.command("/swarm status", user="ana", channel=room)
    status = bot.last_told("ana")
    before = list(bot.chat.calls)
    assert await bot.command("/swarm invite @eli @zed", user="ana", channel=room) is Outcome.REFUSED
    assert "can't find zed" in bot.last_told("ana")
    assert bot.chat.calls[: len(before)] == before
    assert [c.method for c in bot.chat.calls[len(before) :]] == ["post_private"]
    await bot.command("/swarm status", user="ana", channel=room)
    assert bot.last_told("ana") == status
    assert "Eli" not in status


async def test_joins_that_come_together_are_said_in_one_line_by_role(bot: ScenarioBot) -> None:
    room = await opened(bot)
    announcement, support = bot.announcement_id(), "support"
    said = len(bot.said(room))
    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("fay", support), announcement, "raising_hand", event_id="Ev1"),
            ReactionEvent(bot.origin("dana", support), announcement, "raising_hand", event_id="Ev2"),
            ReactionEvent(bot.origin("eli", support), announcement, "eyes", event_id="Ev3"),
        ]
    )
    assert bot.said(room)[said:] == ["@Fay Singh and @Dana Cohen joined swarm 1 as helpers, @Eli Brown as observer."]
    assert {"fay@example.com", "dana@example.com", "eli@example.com"} <= set(bot.chat.channels[room].members)
    # The same deliveries again (a platform retry): nothing more happens.
    await bot.router.handle_joins(
        [ReactionEvent(bot.origin("fay", support), announcement, "raising_hand", event_id="Ev1")]
    )
    assert len(bot.said(room)) == said + 1
