"""Automation in Teams: the room's root card is its rolling summary; nudges reach the owner's 1:1 chat with the bot."""

from __future__ import annotations

from adapters.scheduler import Runner
from tests.adapters.teams.conftest import TeamsScenario
from tests.harness import Clock

CASE = "ACME tax totals round wrong #tax sev2"


async def test_the_root_card_follows_the_swarm(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    await teams.react(teams.announcement(1), user="fay")
    card = teams.fake.messages[teams.root(1)]
    assert "Helpers: <at>Fay Singh</at>" in card.text
    assert [b["title"] for b in card.buttons()] == ["I can help", "Can't now", "Join", "Resolve"]


async def test_a_quiet_room_nudges_its_owner_in_their_personal_chat(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    clock = teams.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(hours=4, minutes=5)
    done = await Runner([teams.mount]).run("tick")
    assert done.failed == []
    nudge = teams.last_told("ana")
    assert nudge.startswith("Swarm 1 (ACME tax totals round wrong) has been quiet for 4h 5m.")
    assert "/swarm nudges off" in nudge
