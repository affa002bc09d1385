"""Joining and leaving: commands, reactions and the Join button."""

from __future__ import annotations

from handlers import replies
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


async def test_talking_in_the_room_makes_the_speaker_a_helper(bot: ScenarioBot) -> None:
    # In Slack anyone in the channel can talk in the room (in Teams, anyone in the thread).
    # Dana was not asked and never joined.
    room = await opened(bot)
    await bot.say("The PDF template cache is stale; clearing it fixes the export", user="dana", channel=room)
    await bot.command("/swarm status", user="ana", channel=room)
    assert "Helpers: @Dana Cohen" in bot.last_told("ana")


async def test_talking_after_leaving_or_following_brings_you_back_as_a_helper(bot: ScenarioBot) -> None:
    room = await opened(bot)
    await bot.command("/swarm join 1", user="eli")
    await bot.command("/swarm leave", user="eli", channel=room)
    await bot.react("eyes", bot.announcement_id(), user="dana")
    await bot.say("Back with a log", user="eli", channel=room)
    await bot.say("Seen this in 4.1 too", user="dana", channel=room)
    await bot.command("/swarm status", user="ana", channel=room)
    assert "Helpers: @Eli Brown, @Dana Cohen" in bot.last_told("ana")
    assert "Observers" not in bot.last_told("ana")


PEOPLE_LABELS = (
    "Experts:",
    "Helpers:",
    "Learners:",
    "Observers:",
    "Asked, no answer yet:",
    "Learner seat, no answer yet:",
    "Can't now:",
)


def people_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(PEOPLE_LABELS)]


async def three_views(bot: ScenarioBot, room: str) -> tuple[list[str], list[str], list[str]]:
    """Who is in swarm 1, as its room card, its announcement and `/swarm status` say it now."""
    [card_id] = [p["message_id"] for p in bot.chat.called("pin") if p["channel"] == room]
    card = bot.chat.messages[card_id].text
    announcement = bot.chat.messages[bot.announcement_id()].text
    await bot.command("/swarm status 1", user="ana", channel=room)
    return people_lines(card), people_lines(announcement), people_lines(bot.last_told("ana"))


async def test_the_card_the_announcement_and_status_agree_at_every_step(bot: ScenarioBot) -> None:
    room = await opened(bot)
    # At opening the card gives the reasons and the announcement only the names: the same people.
    announcement = bot.chat.messages[bot.announcement_id()].text
    assert "Asked: @Ben Okafor, @Chen Wei\nLearner seat: @Fay Singh" in announcement
    card, _, status = await three_views(bot, room)
    assert status == ["Asked, no answer yet: @Ben Okafor, @Chen Wei", "Learner seat, no answer yet: @Fay Singh"]

    # Dana, asked by nobody, speaks in the room.
    await bot.say("Seen this before: the rounding mode changed", user="dana", channel=room)
    card, announcement_now, status = await three_views(bot, room)
    assert card == announcement_now == status
    assert status[0] == "Helpers: @Dana Cohen"

    # Ben can't; Fay takes her learner seat; Gus follows.
    await bot.click(replies.DECLINE, "1", user="ben", channel=room)
    await bot.click(replies.ACCEPT, "1", user="fay", channel=room)
    await bot.react("eyes", bot.announcement_id(), user="gus")
    card, announcement_now, status = await three_views(bot, room)
    assert card == announcement_now == status
    assert "Can't now: @Ben Okafor" in status and "Learners: @Fay Singh" in status

    # Once resolved, nobody is waited for: none of them says "Asked, no answer yet" any more.
    await bot.command("/swarm resolve rounded after tax", channel=room)
    card, announcement_now, status = await three_views(bot, room)
    assert card == status
    assert not any(line.startswith(("Asked", "Learner seat", "Can't now")) for line in card + announcement_now)


async def test_a_closed_swarm_stops_counting_on_its_card_and_status(bot: ScenarioBot) -> None:
    room = await opened(bot)
    bot.clock.advance(minutes=14)
    await bot.command("/swarm cancel not a real issue", channel=room)
    bot.clock.advance(hours=3)
    await bot.command("/swarm status 1", user="ana", channel=room)
    assert "Cancelled after: 14m" in bot.last_told("ana")
    [card_id] = [p["message_id"] for p in bot.chat.called("pin") if p["channel"] == room]
    assert "Cancelled after: 14m" in bot.chat.messages[card_id].text


async def test_people_are_named_by_their_full_names_wherever_a_person_is_named(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #tax", user="ana")
    room = bot.room(1)

    await bot.command("/swarm invite @Ben Okafor @chen wei", user="ana", channel=room)
    said = bot.said(room)[-1]
    assert "@Ben Okafor" in said and "@Chen Wei" in said
    await bot.command("/swarm invite 1 Eli Brown, fay@example.com and Dana Cohen", user="ana", channel="support")
    said = bot.said(room)[-1]
    assert "@Eli Brown" in said and "@Fay Singh" in said and "@Dana Cohen" in said

    await bot.command("/swarm thanks @Ben Okafor for the quick fix", user="ana", channel=room)
    assert bot.said(room)[-1] == ":tada: @Ana Ruiz thanked @Ben Okafor for the quick fix."
    await bot.command("/swarm skills @dana COHEN", user="ana")
    assert bot.last_told("ana").startswith("Dana Cohen")

    await bot.command("/swarm owner @Chen Wei", user="ana", channel=room)
    assert bot.said(room)[-1] == "@Chen Wei now owns swarm 1, taking over from @Ana Ruiz."
    await bot.command("/swarm status 1", user="ana")
    assert "Owner: @Chen Wei" in bot.last_told("ana")


async def test_a_name_nobody_has_is_refused_and_nobody_is_invited(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #tax", user="ana")
    room = bot.room(1)
    posts = len(bot.said(room))
    assert await bot.command("/swarm invite @Ben Okafor @Zoe Nobody", user="ana", channel=room) is Outcome.REFUSED
    assert bot.last_told("ana").startswith("I can't find Zoe in the roster")
    assert len(bot.said(room)) == posts
