"""Automation in Slack: the pinned case card kept up to date with chat.update, and nudges in the owner's DM."""

from __future__ import annotations

from adapters.scheduler import Runner
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.harness import Clock

CASE = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


async def test_the_pinned_card_is_the_rooms_rolling_summary(slack: SlackScenario) -> None:
    await slack.command(CASE)
    room = slack.room()
    card = slack.posts(room.id)[0]
    pinned = [(c.args["channel"], c.args["timestamp"]) for c in slack.api.calls_to("pins.add") if c.ok]
    assert pinned == [(room.id, room.pins[0])]

    announcement = slack.posts(SUPPORT)[0]
    announced = next(c for c in slack.api.calls_to("chat.postMessage") if c.args.get("channel") == SUPPORT)
    await slack.react("raising_hand", SUPPORT, announced.response["ts"], user="fay")
    assert "Swarm 1" in announcement["text"]

    updates = [c.args for c in slack.api.calls_to("chat.update") if c.ok and c.args["channel"] == room.id]
    assert updates and all(u["ts"] == room.pins[0] for u in updates)
    assert "Helpers: <@UFAY>" in str(updates[-1]["blocks"])
    assert card["text"].startswith("Swarm 1: ACME cannot export invoices")


async def test_a_quiet_room_nudges_its_owner_in_a_direct_message(slack: SlackScenario) -> None:
    await slack.command(CASE)
    clock = slack.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(hours=4, minutes=5)
    done = await Runner([slack.mount]).run("tick")
    assert done.failed == []

    opened = [c for c in slack.api.calls_to("conversations.open") if c.ok and c.args["users"] == "UANA"]
    assert len(opened) == 1
    dm = opened[0].response["channel"]["id"]
    nudge = slack.posts(dm)[-1]
    assert "Swarm 1 (ACME cannot export invoices to PDF since 4.2) has been quiet for 4h 5m" in nudge["text"]
    actions = next(b for b in nudge["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["resolve", "hand_over", "snooze"]

    await slack.click("snooze", "1", user="ana", channel=dm, ts=slack.posts(dm)[-1].get("ts", "1"))
    assert slack.ephemerals("ana")[-1] == "Snoozed: I won't ask about swarm 1 again before tomorrow."
