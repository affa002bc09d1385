"""What the bot does on its own in a swarm: the rolling summary, welcomes, quiet-room nudges, article reminders,
thank-yous and the switches that turn automation off."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot import automation
from bot.ports import Store
from handlers import replies
from handlers.chat import ReactionEvent, Reply
from handlers.jobs import tick
from storage.tables import ThanksRow, WorkspaceRow
from tests.harness import WORKSPACE, ScenarioBot

CASE = "/swarm ACME cannot export invoices #billing sev2"


def card_edits(bot: ScenarioBot, since: int) -> list[str]:
    """The rooms whose card was edited after the first `since` edits, in order (announcement edits aside)."""
    return [u["channel"] for u in bot.chat.called("update")[since:] if u["channel"] != "support"]


def card(bot: ScenarioBot, number: int = 1) -> str:
    """The room's card as it reads now (the bot edits it in place)."""
    pinned = bot.chat.called("pin")
    room = bot.room(number)
    ids = [p["message_id"] for p in pinned if p["channel"] == room]
    assert len(ids) == 1, pinned
    return bot.chat.messages[ids[0]].text


async def test_the_case_card_is_pinned_and_kept_up_to_date(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    room = bot.room(1)
    first = card(bot)
    assert "Asked: @Ben Okafor" in first

    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    assert "Helpers: @Fay Singh" in card(bot)

    fix = await bot.say("Restarting the export worker fixed it", user="fay", channel=room)
    await bot.react("white_check_mark", fix, user="ana")
    assert "Marked fix: Restarting the export worker fixed it" in card(bot)
    assert "1 message in the room" in card(bot)

    await bot.command("/swarm resolve restarted the export worker cause: stale cache", channel=room)
    closed = card(bot)
    assert "Status: resolved" in closed
    assert "Fix: restarted the export worker" in closed
    assert "[Resolve]" not in closed
    # One card, edited in place: the room got no second copy of it.
    assert sum(1 for r in bot.chat.posts(room) if r.title and r.title.startswith("Swarm 1:")) == 1


async def test_a_first_swarm_brings_a_how_to_once(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    assert bot.last_told("fay").startswith("Welcome to your first swarm, swarm 1!")
    assert "mark the message with the fix" in bot.last_told("fay")

    await bot.command("/swarm ACME tax totals round wrong #tax sev2", user="dana")
    await bot.command("/swarm join 2", user="fay")
    assert not any("first swarm" in t for t in bot.told("fay")[1:])


async def test_a_run_of_joins_edits_each_card_once_and_welcomes_each_newcomer(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    first = bot.announcement_id()
    await bot.command("/swarm ACME tax totals round wrong #tax sev2", user="dana")
    second, busy = bot.announcement_id(), bot.room(2)
    for line in ["Totals off by a cent", "Only in EUR", "Since 4.2", "Rounding mode changed", "Tried a rerun"]:
        await bot.say(line, user="dana", channel=busy)
    await bot.command("/swarm nudges off", user="gus")
    edits = len(bot.chat.called("update"))

    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("fay", "support"), first, "raising_hand", event_id="Ev1"),
            ReactionEvent(bot.origin("eli", "support"), second, "raising_hand", event_id="Ev2"),
            ReactionEvent(bot.origin("gus", "support"), first, "eyes", event_id="Ev3"),
        ]
    )

    # Each room's card once, and each announcement once, with the same people.
    updated = sorted(u["channel"] for u in bot.chat.called("update")[edits:])
    assert updated == sorted([bot.room(1), busy, "support", "support"])
    assert "Helpers: @Fay Singh\nObservers: @gus@example.com" in card(bot, 1)
    assert "Helpers: @Eli Brown" in card(bot, 2)
    assert bot.told("fay") == [bot.last_told("fay")] and bot.last_told("fay").startswith("Welcome to your first swarm")
    # Late to a busy room and new to swarming: one private note with both.
    [eli] = bot.told("eli")
    assert eli.startswith("Catching you up on swarm 2") and "So far:" in eli and "mark the message with the fix" in eli
    assert not any("Welcome" in t or "Catching you up" in t for t in bot.told("gus"))


async def test_a_card_that_more_joins_will_change_is_left_to_their_run(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    first = bot.announcement_id()
    await bot.command("/swarm ACME tax totals round wrong #tax sev2", user="dana")
    second = bot.announcement_id()
    edits = len(bot.chat.called("update"))

    # More joins to the first swarm are in hand already: its card is edited once, by their run.
    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("fay", "support"), first, "raising_hand", event_id="Ev1"),
            ReactionEvent(bot.origin("eli", "support"), second, "raising_hand", event_id="Ev2"),
        ],
        coming=lambda: {first},
    )
    # (Each card edit edits the announcement in #support with it.)
    assert card_edits(bot, edits) == [bot.room(2)]
    assert "@Fay Singh joined swarm 1" in bot.said(bot.room(1))[-1]
    assert bot.last_told("fay").startswith("Welcome to your first swarm")

    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("gus", "support"), first, "raising_hand", event_id="Ev3"),
            ReactionEvent(bot.origin("fay", "support"), first, "raising_hand", event_id="Ev4"),
        ]
    )
    assert card_edits(bot, edits) == [bot.room(2), bot.room(1)]
    assert "Helpers: @Fay Singh, @gus@example.com" in card(bot, 1)
    assert "@gus@example.com joined swarm 1" in bot.said(bot.room(1))[-1]
    assert len([t for t in bot.told("fay") if t.startswith("Welcome")]) == 1  # welcomed once, not again


async def test_a_run_of_joins_by_members_only_still_shows_the_card_left_to_it(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    first = bot.announcement_id()
    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("fay", "support"), first, "raising_hand", event_id="Ev1"),
            ReactionEvent(bot.origin("eli", "support"), first, "raising_hand", event_id="Ev2"),
        ],
        coming=lambda: {first},
    )
    edits, said = len(bot.chat.called("update")), len(bot.said(bot.room(1)))
    # The run the card was left to holds only people who are members already (a second 🙋): the card is edited.
    await bot.router.handle_joins(
        [
            ReactionEvent(bot.origin("fay", "support"), first, "raising_hand", event_id="Ev3"),
            ReactionEvent(bot.origin("eli", "support"), first, "raising_hand", event_id="Ev4"),
        ]
    )
    assert card_edits(bot, edits) == [bot.room(1)]
    assert "Helpers: @Fay Singh, @Eli Brown" in card(bot, 1)
    assert len(bot.said(bot.room(1))) == said  # nobody new: no "joined" line


async def test_no_tips_for_someone_who_turned_nudges_off(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.command("/swarm nudges off", user="fay")
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    assert not any("Welcome" in t for t in bot.told("fay"))


async def test_no_tips_for_anyone_when_the_workspace_turned_nudges_off(bot: ScenarioBot) -> None:
    await bot.make_lead("ana")
    await bot.command(CASE)
    await bot.command("/swarm nudges off everyone", user="ana")
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    assert not any("Welcome" in t for t in bot.told("fay"))
    await bot.command("/swarm nudges on everyone", user="ana")
    await bot.react("raising_hand", bot.announcement_id(), user="gus")
    assert any("Welcome" in t for t in bot.told("gus"))


async def test_a_late_joiner_gets_a_private_catch_up(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    room = bot.room(1)
    for line in ["Export fails since 4.2", "Only PDF, CSV works", "Logs show a timeout", "Tried a restart"]:
        await bot.say(line, user="ana", channel=room)
    await bot.command("/swarm join 1", user="chen")
    assert not any("Catching you up" in t for t in bot.told("chen"))

    await bot.say("The fix was raising the render timeout", user="ana", channel=room)
    await bot.command("/swarm join 1", user="fay")
    catch_up = [t for t in bot.told("fay") if t.startswith("Catching you up on swarm 1")]
    assert len(catch_up) == 1
    assert "Owner: @Ana Ruiz" in catch_up[0]
    assert "So far: The fix was raising the render timeout" in catch_up[0]

    await bot.command("/swarm leave 1", user="fay")
    await bot.command("/swarm join 1", user="fay")
    assert len([t for t in bot.told("fay") if t.startswith("Catching you up")]) == 1


async def test_a_quiet_room_asks_its_owner_once_per_quiet_spell(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    room = bot.room(1)
    bot.clock.advance(hours=3, minutes=55)
    await tick(bot.router.context, WORKSPACE)
    assert bot.chat.direct_messages("ana@example.com") == []

    bot.clock.advance(minutes=10)
    await tick(bot.router.context, WORKSPACE)
    nudges = bot.chat.direct_messages("ana@example.com")
    assert len(nudges) == 1
    assert "has been quiet for 4h 5m" in nudges[0].text
    assert [b.label for b in nudges[0].buttons] == ["Resolve", "Hand over", "Still working: snooze 1 day"]
    assert "/swarm nudges off" in bot.text(nudges[0])

    bot.clock.advance(hours=1)
    await tick(bot.router.context, WORKSPACE)
    assert len(bot.chat.direct_messages("ana@example.com")) == 1

    await bot.say("Still digging into the logs", user="ana", channel=room)  # 14:05 UTC, a new quiet spell
    bot.clock.advance(hours=18)  # 08:05 UTC the next day: 2h55 + 1h05 of Ana's working hours
    await tick(bot.router.context, WORKSPACE)
    assert len(bot.chat.direct_messages("ana@example.com")) == 2


async def test_quiet_time_counts_only_the_owners_working_hours(bot: ScenarioBot) -> None:
    # Ana works 08:00-18:00 in Madrid: 07:00-17:00 UTC in November.
    await bot.command(CASE)
    bot.clock.advance(hours=6)  # 15:00 UTC
    await bot.say("Waiting for the customer's logs", user="ana", channel=bot.room(1))
    bot.clock.advance(hours=8)  # 23:00 UTC: two working hours have passed, and Ana is off
    await tick(bot.router.context, WORKSPACE)
    assert bot.chat.direct_messages("ana@example.com") == []
    bot.clock.advance(hours=10, minutes=5)  # 09:05 UTC next day: 2h + 2h05 at work
    await tick(bot.router.context, WORKSPACE)
    assert len(bot.chat.direct_messages("ana@example.com")) == 1


async def test_snooze_and_switches_keep_the_owner_in_peace(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.command("/swarm ACME tax totals round wrong #tax sev2", user="ana")
    await bot.command("/swarm nudges off", user="ana")
    assert bot.last_told("ana").startswith("No more nudges for you.")
    bot.clock.advance(hours=4, minutes=5)
    await tick(bot.router.context, WORKSPACE)
    assert bot.chat.direct_messages("ana@example.com") == []

    await bot.command("/swarm nudges on", user="ana")
    await bot.make_lead("fay")
    await bot.command("/swarm nudges off everyone", user="fay")
    assert bot.last_told("fay") == "Nudges are off for the whole workspace."
    await tick(bot.router.context, WORKSPACE)
    assert bot.chat.direct_messages("ana@example.com") == []

    await bot.command("/swarm nudges on everyone", user="fay")
    await tick(bot.router.context, WORKSPACE)
    assert len(bot.chat.direct_messages("ana@example.com")) == 2

    await bot.click(replies.SNOOZE, "1", user="ana")
    assert bot.last_told("ana") == "Snoozed: I won't ask about swarm 1 again before tomorrow."
    await bot.say("Asked the customer for logs", user="ana", channel=bot.room(1))
    await bot.say("Asked the customer for logs", user="ana", channel=bot.room(2))
    bot.clock.advance(hours=20)  # 09:05 UTC the next day: both rooms quiet for 5h55 of working time
    await tick(bot.router.context, WORKSPACE)
    latest = bot.chat.direct_messages("ana@example.com")[2:]
    assert [r.text.split(" (")[0] for r in latest] == ["Swarm 2"]


async def test_hand_over_from_a_nudge(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.click(replies.HAND_OVER, "1", user="ana")
    # The console has no forms: the command to type instead.
    assert bot.last_told("ana") == "Type `/swarm owner 1 @person` to hand swarm 1 over."
    bot.chat.forms = True
    await bot.click(replies.HAND_OVER, "1", user="ana")
    await bot.submit(bot.last_form(), user="ana", who="chen@example.com")
    assert "@Chen Wei now owns swarm 1, taking over from @Ana Ruiz." in bot.said(bot.room(1))
    assert "Owner: @Chen Wei" in card(bot)


def reminders_to(bot: ScenarioBot, user: str) -> list[Reply]:
    """What the bot sent the person in their own chat, but for the "How well was this handled?" after a resolve."""
    return [r for r in bot.chat.direct_messages(user) if not any(b.action == replies.CSAT for b in r.buttons)]


async def test_an_owner_is_reminded_once_of_a_fix_without_its_cause(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.command("/swarm resolve restarted the export worker", channel=bot.room(1))
    bot.clock.advance(minutes=59)
    await tick(bot.router.context, WORKSPACE)
    assert reminders_to(bot, "ana@example.com") == []
    bot.clock.advance(minutes=2)
    await tick(bot.router.context, WORKSPACE)
    await tick(bot.router.context, WORKSPACE)
    reminders = reminders_to(bot, "ana@example.com")
    assert len(reminders) == 1
    assert "has no cause yet" in reminders[0].text
    assert reminders[0].buttons[0].action == replies.EDIT_ARTICLE

    await bot.click(replies.EDIT_ARTICLE, reminders[0].buttons[0].value, user="ana")
    # The console has no forms: how to edit by command instead.
    assert bot.last_told("ana").startswith("Say what to change: `/swarm kb edit")


async def test_a_complete_article_needs_no_reminder(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await bot.command("/swarm resolve restarted the export worker cause: stale cache", channel=bot.room(1))
    bot.clock.advance(hours=2)
    await tick(bot.router.context, WORKSPACE)
    assert reminders_to(bot, "ana@example.com") == []


async def test_thanks_are_said_aloud_and_counted(bot: ScenarioBot, store: Store) -> None:
    await bot.command(CASE)
    room = bot.room(1)
    await bot.command("/swarm thanks ben for the export fix", channel=room)
    assert bot.said(room)[-1] == ":tada: @Ana Ruiz thanked @Ben Okafor for the export fix."
    await bot.command("/swarm thanks dana", channel="support")
    assert bot.said("support")[-1] == ":tada: @Ana Ruiz thanked @Dana Cohen."

    async with store.unit() as uow:
        rows = (await uow.session.exec(select(ThanksRow).order_by(ThanksRow.id))).all()  # type: ignore[attr-defined]
    assert [(r.reason, r.swarm_id is not None) for r in rows] == [("the export fix", True), ("", False)]

    await bot.command("/swarm thanks ana")
    assert bot.last_told("ana") == "Thanking yourself is fine, but I only count thanks to others."
    await bot.command("/swarm thanks")
    assert bot.last_told("ana").startswith("Say whom to thank")
    await bot.command("/swarm thanks zoe for nothing")
    assert "I can't find zoe in the roster" in bot.last_told("ana")


async def test_the_digest_channel_and_switches(bot: ScenarioBot, store: Store) -> None:
    await bot.make_lead("ana", "admin")
    await bot.command("/swarm digest here", user="ana", channel="support-leads")
    assert bot.last_told("ana") == "The daily digest and recurring-issue alerts will be posted in this channel."
    await bot.command("/swarm digest off everyone", user="ana")
    await bot.command("/swarm digest off", user="ben")
    assert bot.last_told("ben").startswith("Digests will name you without a mention")
    await bot.command("/swarm digest sometimes", user="ben")
    assert bot.last_told("ben").startswith("Say on or off: `/swarm digest on/off [everyone]`")

    async with store.unit() as uow:
        workspace = (await uow.session.exec(select(WorkspaceRow).where(WorkspaceRow.key == WORKSPACE))).one()  # type: ignore[attr-defined]
    assert (workspace.digest_channel, workspace.digest_off) == ("support-leads", True)
    assert (await bot.person("ben")).digest_off
    assert not (await bot.person("ana")).digest_off


async def test_a_backlog_of_quiet_rooms_is_told_a_few_per_tick_longest_quiet_first(
    bot: ScenarioBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(automation, "NUDGES_PER_TICK", 2)
    for case in ("ACME export fails #billing sev2", "Globex totals wrong #billing sev2", "Initech PDF blank #pdf sev2"):
        await bot.command(f"/swarm {case}")
        bot.clock.advance(minutes=10)
    bot.clock.advance(hours=4)
    await tick(bot.router.context, WORKSPACE)
    nudges = [m.text for m in bot.chat.direct_messages("ana@example.com")]
    assert len(nudges) == 2
    assert "Swarm 1" in nudges[0] and "Swarm 2" in nudges[1]
    await tick(bot.router.context, WORKSPACE)
    nudges = [m.text for m in bot.chat.direct_messages("ana@example.com")]
    assert len(nudges) == 3 and "Swarm 3" in nudges[2]
