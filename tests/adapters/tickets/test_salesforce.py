"""The Salesforce adapter against a loopback fake of Salesforce's REST API: what it reads, what it writes, how it
signs in and how it fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from adapters.settings import Settings
from adapters.tickets import systems
from adapters.tickets.salesforce import LIMIT_REST, Salesforce
from bot.errors import TicketNotFound, TicketSystemDown
from tests.fakes.salesforce_api import FakeSalesforce, record_id


@pytest.fixture
async def fake() -> AsyncIterator[FakeSalesforce]:
    async with FakeSalesforce() as salesforce:
        yield salesforce


@pytest.fixture
async def salesforce(fake: FakeSalesforce) -> AsyncIterator[Salesforce]:
    client = Salesforce(fake.url, fake.client_id, fake.client_secret, timeout=5)
    yield client
    await client.close()


def _every_write_is_internal(fake: FakeSalesforce) -> None:
    for call in fake.writes():
        assert call.path.endswith("/sobjects/CaseComment") and call.body["IsPublished"] is False, call.body
    assert all(not c["IsPublished"] for comments in fake.comments.values() for c in comments if c.get("swarm"))


async def test_a_case_is_read_by_its_number_in_one_query(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case(
        "00001026",
        "ACME cannot export invoices to PDF",
        "Since Monday every export fails.",
        priority="High",
        account="ACME Corp",
        owner_email="ana@example.com",
    )

    ticket = await salesforce.fetch("00001026")

    assert (ticket.system, ticket.id) == ("sf", case_id)  # the Id, which the webhook names, not the number typed
    assert len(ticket.id) == 18
    assert ticket.subject == "ACME cannot export invoices to PDF"
    assert ticket.description == "Since Monday every export fails."
    assert ticket.organization == "ACME Corp"
    assert (ticket.priority, ticket.status) == ("High", "New")
    assert ticket.assignee_email == "ana@example.com"
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.url == f"{fake.url}/lightning/r/Case/{case_id}/view"
    token, query = fake.calls
    assert token.path == "/services/oauth2/token" and token.body["grant_type"] == "client_credentials"
    assert query.path == "/services/data/v62.0/query"
    assert "FROM Case WHERE CaseNumber = '00001026' LIMIT 1" in query.query["q"]


async def test_a_case_is_read_by_its_id_of_15_or_18_characters(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001027", "Login loop", account=None, priority=None)

    by_id = await salesforce.fetch(case_id)
    by_short_id = await salesforce.fetch(case_id[:15])

    assert by_id.id == by_short_id.id == case_id
    assert by_id.organization is None and by_id.priority is None
    assert [c.path for c in fake.calls].count("/services/oauth2/token") == 1  # the token is kept


async def test_the_first_comment_stands_in_for_an_empty_description(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    case_id = fake.add_case("00001028", "Export fails", description=None)
    fake.add_comment(case_id, "It started after the upgrade.")
    fake.add_comment(case_id, "Still broken.")

    ticket = await salesforce.fetch("00001028")

    assert ticket.description == "It started after the upgrade."
    assert "FROM CaseComment WHERE ParentId" in fake.calls[-1].query["q"]


async def test_a_case_owned_by_a_queue_has_no_assignee(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    fake.add_case("00001029", "Export fails", owner_email="tier2@acme.example", owner_is_queue=True)

    ticket = await salesforce.fetch("00001029")

    assert ticket.assignee_email is None  # a queue's e-mail is nobody's in the roster


async def test_a_note_is_an_unpublished_case_comment(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001026", "Export fails")

    await salesforce.add_note(case_id, "Swarm 3 is on it.")

    [call] = fake.writes()
    assert (call.method, call.path) == ("POST", "/services/data/v62.0/sobjects/CaseComment")
    assert call.body == {"ParentId": case_id, "CommentBody": "Swarm 3 is on it.", "IsPublished": False}
    assert call.status == 201
    assert [(n["CommentBody"], n["IsPublished"]) for n in fake.notes(case_id)] == [("Swarm 3 is on it.", False)]
    _every_write_is_internal(fake)


async def test_a_note_for_a_case_number_finds_its_case_first(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    """A swarm opened while Salesforce was down keeps the number typed; its notes still reach the Case."""
    case_id = fake.add_case("00001026", "Export fails")

    await salesforce.add_note("00001026", "Swarm 3 is on it.")

    assert [n["CommentBody"] for n in fake.notes(case_id)] == ["Swarm 3 is on it."]
    _every_write_is_internal(fake)


async def test_a_long_note_is_cut_to_what_a_case_comment_holds(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001026", "Export fails")

    await salesforce.add_note(case_id, "Fix: " + "é" * 3000)

    [note] = fake.notes(case_id)
    assert len(note["CommentBody"].encode()) <= 4000 and note["CommentBody"].endswith("é…")
    _every_write_is_internal(fake)


async def test_an_expired_token_is_renewed_once(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001026", "Export fails")
    await salesforce.fetch(case_id)
    fake.expire_tokens()

    await salesforce.add_note(case_id, "Swarm 3 is on it.")

    assert [c.status for c in fake.calls] == [200, 200, 401, 200, 201]
    assert len(fake.token_calls()) == 2
    _every_write_is_internal(fake)


async def test_calls_at_once_share_one_new_token(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001026", "Export fails")

    await asyncio.gather(*(salesforce.fetch(case_id) for _ in range(5)))

    assert len(fake.token_calls()) == 1


async def test_credentials_refused_are_down_and_never_retried_forever(fake: FakeSalesforce) -> None:
    fake.add_case("00001026", "Export fails")
    wrong = Salesforce(fake.url, fake.client_id, "not-the-secret", timeout=5)
    try:
        with pytest.raises(TicketSystemDown):
            await wrong.fetch("00001026")
    finally:
        await wrong.close()
    assert [(c.path, c.status) for c in fake.calls] == [("/services/oauth2/token", 400)]


async def test_a_token_that_keeps_failing_is_down_after_one_renewal(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    case_id = fake.add_case("00001026", "Export fails")
    await salesforce.fetch(case_id)
    fake.tokens_work = False
    fake.expire_tokens()

    with pytest.raises(TicketSystemDown):
        await salesforce.add_note(case_id, "note")

    assert len(fake.token_calls()) == 2 and fake.writes()[-1].status == 401
    assert fake.notes(case_id) == []


async def test_what_salesforce_will_never_do_is_not_found(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    with pytest.raises(TicketNotFound):
        await salesforce.fetch("00009999")
    with pytest.raises(TicketNotFound):
        await salesforce.fetch(record_id("500", 42))  # no such Case
    with pytest.raises(TicketNotFound):
        await salesforce.add_note(record_id("500", 43), "to a Case that was deleted")
    with pytest.raises(TicketNotFound):
        await salesforce.fetch("0' OR CaseNumber != '0")
    with pytest.raises(TicketNotFound):
        await salesforce.fetch("../sobjects/User")
    assert all("OR" not in c.query.get("q", "") for c in fake.calls)
    assert all(not c.writes or c.status == 400 for c in fake.calls)


async def test_the_request_limit_is_down_for_a_while(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    """Salesforce answers too many calls with 403 REQUEST_LIMIT_EXCEEDED, not 429, and says nothing of when."""
    case_id = fake.add_case("00001026", "Export fails")
    fake.fail(times=1, status=403)
    with pytest.raises(TicketSystemDown) as limited:
        await salesforce.add_note(case_id, "note")
    assert limited.value.retry_after == LIMIT_REST
    assert fake.notes(case_id) == []

    fake.fail(times=1, status=429, retry_after=17)  # a proxy in front of it may say so
    with pytest.raises(TicketSystemDown) as proxied:
        await salesforce.fetch(case_id)
    assert proxied.value.retry_after == 17


async def test_an_outage_or_no_connection_may_pass(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    case_id = fake.add_case("00001026", "Export fails")
    fake.down = True
    with pytest.raises(TicketSystemDown) as down:
        await salesforce.fetch(case_id)
    assert down.value.retry_after is None
    fake.down = False
    fake.fail(times=1, status=503)
    with pytest.raises(TicketSystemDown):
        await salesforce.add_note(case_id, "note")
    await salesforce.add_note(case_id, "note")  # back
    assert len(fake.notes(case_id)) == 1

    nobody = Salesforce("http://127.0.0.1:9", fake.client_id, fake.client_secret, timeout=2)
    try:
        with pytest.raises(TicketSystemDown):
            await nobody.add_note(case_id, "note")
    finally:
        await nobody.close()


def test_only_urls_of_its_own_org_are_its_cases() -> None:
    real = Salesforce("https://acme.my.salesforce.com", "id", "secret")
    assert real.accepts(None) and real.accepts("acme.my.salesforce.com") and real.accepts("acme.lightning.force.com")
    assert not real.accepts("globex.lightning.force.com") and not real.accepts("globex.my.salesforce.com")
    sandbox = Salesforce("https://acme--uat.sandbox.my.salesforce.com", "id", "secret")
    assert sandbox.accepts("acme--uat.sandbox.lightning.force.com")
    assert not sandbox.accepts("acme.lightning.force.com")
    assert Salesforce("http://127.0.0.1:8080", "id", "secret").accepts("acme.lightning.force.com")
    case_id = record_id("500", 7)
    assert real.url(case_id) == f"https://acme.my.salesforce.com/lightning/r/Case/{case_id}/view"
    assert real.url("00001026") == "https://acme.my.salesforce.com/lightning/o/Case/home"


def test_salesforce_is_set_up_with_all_three_settings_or_none() -> None:
    url = {"SALESFORCE_URL": "https://acme.my.salesforce.com"}
    both = {**url, "SALESFORCE_CLIENT_ID": "3MVG9id", "SALESFORCE_CLIENT_SECRET": "secret"}
    set_up = systems(Settings(_env_file=None, **both))  # type: ignore[call-arg]
    assert isinstance(set_up["sf"], Salesforce) and set_up["sf"].name == "Salesforce"
    assert "sf" not in systems(Settings(_env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="go together"):
        Settings(_env_file=None, **url)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="is no address"):
        Settings(_env_file=None, **{**both, "SALESFORCE_URL": "acme.my.salesforce.com"})  # type: ignore[call-arg]
