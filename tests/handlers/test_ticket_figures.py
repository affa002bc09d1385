"""The ticket's own figures beside Swarm's: what Zendesk says about a swarm's ticket after the swarm (solved,
reopened, rated) reaches `/swarm stats`, the dashboard and `swarm stats --csv` as one computation. The real Zendesk
adapter talks to a loopback fake of Zendesk's API; the webhook's events arrive through their handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from adapters.tickets.zendesk import Zendesk
from adapters.webui.dashboard import board
from bot.analytics import rows
from bot.ports import Store
from handlers.jobs import JOBS
from handlers.replies import duration
from handlers.ticket_events import ticket_changed
from tests.fakes.zendesk_api import CREATED, FakeZendesk
from tests.harness import WORKSPACE, ScenarioBot

FILED = datetime.fromisoformat(CREATED.replace("Z", "+00:00"))


@pytest.fixture
async def zendesk() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk() as fake:
        fake.add_ticket(4521, "ACME cannot export invoices to PDF", tags=("billing",), assignee_email="ana@example.com")
        fake.add_ticket(4522, "Globex invoices show the wrong VAT", tags=("billing",), assignee_email="ana@example.com")
        yield fake


@pytest.fixture
async def bot(store: Store, zendesk: FakeZendesk) -> AsyncIterator[ScenarioBot]:
    client = Zendesk(zendesk.url, zendesk.email, zendesk.token, timeout=5)
    scenario = ScenarioBot(store, tickets={"zd": client})
    assert not (await scenario.load_roster()).rejected
    yield scenario
    await client.close()


async def status(bot: ScenarioBot, ticket: int, value: str) -> None:
    """Zendesk's webhook says the ticket's status changed (solved and closed are done)."""
    await ticket_changed(bot.router.context, WORKSPACE, "zd", str(ticket), value, value in ("solved", "closed"))


async def tickets_job(bot: ScenarioBot) -> None:
    await JOBS["tickets"](bot.router.context, WORKSPACE)


async def test_stats_show_how_long_the_customer_waited_first_contact_resolution_and_the_tickets_rating(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    await bot.command("/swarm zd:4522", user="ana")
    bot.clock.advance(hours=1)
    await bot.command("/swarm resolve restarted the PDF worker", user="ana", channel=bot.room(1))
    await bot.command("/swarm resolve fixed the VAT table", user="ana", channel=bot.room(2))

    # Ticket 4521 is solved an hour after its swarm, and stays solved; 4522 is solved, reopened by the customer,
    # and solved again: it counts against first-contact resolution.
    bot.clock.advance(hours=1)
    first_solve = bot.clock()
    await status(bot, 4521, "solved")
    await status(bot, 4522, "solved")
    bot.clock.advance(hours=2)
    await status(bot, 4522, "open")
    bot.clock.advance(hours=1)
    await status(bot, 4522, "solved")
    await status(bot, 4521, "closed")  # closed after solved: still the same solve

    # The customers answer Zendesk's survey; the tickets job reads the ratings, later, without waiting on anyone.
    zendesk.rate(4521, "good")
    zendesk.rate(4522, "offered")
    await tickets_job(bot)

    await bot.command("/swarm stats 7d", user="ana")
    card = bot.last_told("ana")
    waits = sorted([first_solve - FILED, bot.clock() - FILED])
    middle = (waits[0] + waits[1]) / 2
    assert f"Ticket time to resolve: median {duration(middle)} · p90 {duration(waits[1])}" in card
    assert "(from the ticket's creation)" in card
    assert "First-contact resolution: 50% (1 of 2 tickets solved and never reopened)" in card
    assert "Ticket satisfaction: 100% good (1 good · 0 bad · 1 asked, no answer)" in card
    assert "\nTime to resolve: median 1h" in card, card  # Swarm's own, beside them

    # The dashboard and `swarm stats --csv` read the very same report.
    report = await bot.core.analytics.last(WORKSPACE, "7d")
    shown = {f.label: f.value for f in board(report, []).figures}
    assert shown["Ticket time to resolve"] == duration(middle)
    assert shown["First-contact resolution"] == "50%"
    assert shown["Ticket satisfaction"] == "100%"
    flat = {(metric, key): value for metric, key, value in rows(report)}
    assert flat[("ticket.time_to_resolve.median", "")] == middle.total_seconds()
    assert flat[("ticket.first_contact_rate", "")] == 0.5
    assert (flat[("ticket.reopened", "")], flat[("ticket.good", "")], flat[("ticket.offered", "")]) == (1, 1, 1)


async def test_a_ticket_reopened_and_not_solved_again_is_no_first_contact_resolution(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    bot.clock.advance(minutes=30)
    await bot.command("/swarm resolve restarted the PDF worker", user="ana", channel=bot.room(1))
    await status(bot, 4521, "solved")
    await status(bot, 4521, "solved")  # the same delivery twice changes nothing
    await status(bot, 4521, "pending")

    await bot.command("/swarm stats 7d", user="ana")
    card = bot.last_told("ana")
    assert "Ticket time to resolve: no ticket solved yet" in card
    assert "First-contact resolution: 0% (0 of 1 ticket solved and never reopened)" in card
    assert "Ticket satisfaction: no ratings yet" in card


async def test_a_workspace_without_tickets_shows_no_ticket_figures(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #billing", user="ana")
    await bot.command("/swarm resolve restarted the worker", user="ana", channel=bot.room(1))

    await bot.command("/swarm stats 7d", user="ana")

    assert "Ticket" not in bot.last_told("ana")
    report = await bot.core.analytics.last(WORKSPACE, "7d")
    assert all(not f.label.startswith(("Ticket", "First-contact")) for f in board(report, []).figures)


async def test_reading_ratings_never_waits_for_zendesk_and_each_is_read_again_later(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    await bot.command("/swarm resolve restarted the PDF worker", user="ana", channel=bot.room(1))
    zendesk.rate(4521, "offered")
    zendesk.fail(times=1, status=429, retry_after=120)
    reads = len(zendesk.calls)

    await tickets_job(bot)  # the 429: nothing kept, nothing waited for
    await tickets_job(bot)  # within the two minutes Zendesk asked for: not asked
    assert [(c.method, c.status) for c in zendesk.calls[reads:]] == [("GET", 429)]

    bot.clock.advance(minutes=3)
    await tickets_job(bot)
    await bot.command("/swarm stats 7d", user="ana")
    assert "Ticket satisfaction: no ratings yet" in bot.last_told("ana")  # offered: asked, no answer

    # The customer answers the next day: read again once RATING_EVERY has passed, not before.
    zendesk.rate(4521, "bad")
    await tickets_job(bot)
    bot.clock.advance(hours=7)
    await tickets_job(bot)
    await bot.command("/swarm stats 7d", user="ana")
    assert "Ticket satisfaction: 0% good (0 good · 1 bad)" in bot.last_told("ana")
    assert [(c.method, c.path) for c in zendesk.calls[reads:]] == [("GET", "/api/v2/tickets/4521")] * 3
