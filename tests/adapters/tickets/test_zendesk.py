"""The Zendesk adapter against a loopback fake of Zendesk's API: what it reads, what it writes, how it fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.tickets.zendesk import Zendesk
from bot.errors import TicketNotFound, TicketSystemDown
from tests.fakes.zendesk_api import FakeZendesk


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk() as zendesk:
        yield zendesk


@pytest.fixture
async def zendesk(fake: FakeZendesk) -> AsyncIterator[Zendesk]:
    client = Zendesk(fake.url, fake.email, fake.token, timeout=5)
    yield client
    await client.close()


async def test_a_ticket_is_read_with_its_organisation_and_assignee(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(
        4521,
        "ACME cannot export invoices to PDF",
        "Since Monday every export fails.",
        priority="urgent",
        tags=("billing", "pdf"),
        organization="ACME Corp",
        assignee_email="ana@example.com",
    )

    ticket = await zendesk.fetch("4521")

    assert ticket.subject == "ACME cannot export invoices to PDF"
    assert ticket.description == "Since Monday every export fails."
    assert ticket.organization == "ACME Corp"
    assert (ticket.priority, ticket.status, ticket.tags) == ("urgent", "open", ("billing", "pdf"))
    assert ticket.assignee_email == "ana@example.com"
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.url == f"{fake.url}/agent/tickets/4521"
    first, *then = [c.path for c in fake.calls]
    assert first == "/api/v2/tickets/4521"
    assert sorted(then) == [  # asked at once, in either order
        f"/api/v2/organizations/{fake.tickets[4521]['organization_id']}",
        f"/api/v2/users/{fake.tickets[4521]['assignee_id']}",
    ]


async def test_the_requesters_organisation_is_found_when_the_ticket_has_none(
    fake: FakeZendesk, zendesk: Zendesk
) -> None:
    fake.add_ticket(7, "Login loop", organization="Globex", organization_on_ticket=False)
    fake.tickets[7]["description"] = ""

    ticket = await zendesk.fetch("7")

    assert ticket.organization == "Globex"
    assert ticket.description == "Hi there, something is broken."  # the first comment
    assert ticket.assignee_email is None and ticket.priority == "normal"


async def test_a_note_is_an_internal_comment(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(4521, "Export fails")

    await zendesk.add_note("4521", "Swarm 3 is on it.")

    [call] = fake.writes()
    assert (call.method, call.path) == ("PUT", "/api/v2/tickets/4521")
    assert call.body == {"ticket": {"comment": {"body": "Swarm 3 is on it.", "public": False}}}
    assert [(n["body"], n["public"]) for n in fake.notes(4521)] == [("Swarm 3 is on it.", False)]


async def test_what_zendesk_will_never_do_is_not_found(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(9, "Old", status="closed")
    with pytest.raises(TicketNotFound):
        await zendesk.fetch("404")
    with pytest.raises(TicketNotFound):
        await zendesk.add_note("9", "too late")  # a closed ticket takes no comment (422)
    with pytest.raises(TicketNotFound):
        await zendesk.fetch("../users/1")
    assert all(not c.writes or c.status == 422 for c in fake.calls)


async def test_a_rate_limit_says_how_long_to_wait(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(4521, "Export fails")
    fake.fail(times=1, status=429, retry_after=17)
    with pytest.raises(TicketSystemDown) as limited:
        await zendesk.add_note("4521", "note")
    assert limited.value.retry_after == 17

    fake.fail(times=1, status=429)
    with pytest.raises(TicketSystemDown) as unsaid:
        await zendesk.fetch("4521")
    assert unsaid.value.retry_after == 60


async def test_an_outage_or_refused_credentials_may_pass(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(4521, "Export fails")
    fake.down = True
    with pytest.raises(TicketSystemDown):
        await zendesk.fetch("4521")
    fake.down = False

    wrong = Zendesk(fake.url, fake.email, "not-the-token", timeout=5)
    try:
        with pytest.raises(TicketSystemDown):
            await wrong.fetch("4521")
    finally:
        await wrong.close()

    nobody = Zendesk("http://127.0.0.1:9", fake.email, fake.token, timeout=2)
    try:
        with pytest.raises(TicketSystemDown):
            await nobody.add_note("4521", "note")
    finally:
        await nobody.close()


def test_only_urls_of_its_own_account_are_its_tickets() -> None:
    real = Zendesk("https://acme.zendesk.com", "a@b.c", "t")
    assert real.accepts(None) and real.accepts("acme.zendesk.com")
    assert not real.accepts("globex.zendesk.com")
    assert Zendesk("http://127.0.0.1:8080", "a@b.c", "t").accepts("acme.zendesk.com")
    assert real.url("4521") == "https://acme.zendesk.com/agent/tickets/4521"


async def test_a_tickets_satisfaction_rating_is_its_score(fake: FakeZendesk, zendesk: Zendesk) -> None:
    fake.add_ticket(4521, "ACME cannot export invoices")
    assert await zendesk.rating("4521") is None  # a plan without CSAT: the field is null

    for score in ("unoffered", "offered", "good", "bad"):
        fake.rate(4521, score)
        assert await zendesk.rating("4521") == score
    fake.rate(4521, "excellent")  # no score Zendesk documents
    assert await zendesk.rating("4521") is None
    assert {(c.method, c.path) for c in fake.calls} == {("GET", "/api/v2/tickets/4521")}

    with pytest.raises(TicketNotFound):
        await zendesk.rating("9999")
