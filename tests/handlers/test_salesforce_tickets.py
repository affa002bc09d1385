"""A swarm that belongs to a Salesforce Case: opened from it in chat by its CaseNumber or its Lightning address, and
telling it what happened, always in unpublished CaseComments, through the outbox, however Salesforce refuses. The
real Salesforce adapter talks to a loopback fake of Salesforce's REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.tickets.salesforce import LIMIT_REST, Salesforce
from bot.ports import Store
from handlers.context import Conventions
from handlers.jobs import JOBS
from tests.fakes.salesforce_api import FakeSalesforce
from tests.harness import WORKSPACE, ScenarioBot

WEB = "https://swarm.acme.example"


@pytest.fixture
async def salesforce() -> AsyncIterator[FakeSalesforce]:
    async with FakeSalesforce() as fake:
        fake.add_case(
            "00001026",
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="High",
            account="ACME Corp",
            owner_email="ana@example.com",
        )
        yield fake


@pytest.fixture
def case_id(salesforce: FakeSalesforce) -> str:
    return next(iter(salesforce.cases))


@pytest.fixture
async def bot(store: Store, salesforce: FakeSalesforce) -> AsyncIterator[ScenarioBot]:
    client = Salesforce(salesforce.url, salesforce.client_id, salesforce.client_secret, timeout=5)
    scenario = ScenarioBot(store, tickets={"sf": client}, conventions=Conventions(web_url=WEB))
    assert not (await scenario.load_roster()).rejected
    yield scenario
    await client.close()


def _every_write_is_internal(salesforce: FakeSalesforce) -> None:
    writes = salesforce.writes()
    assert writes, "nothing was written to the Case"
    for call in writes:
        assert (call.method, call.path) == ("POST", "/services/data/v62.0/sobjects/CaseComment")
        assert call.body["IsPublished"] is False, call.body
    assert all(not c["IsPublished"] for comments in salesforce.comments.values() for c in comments if c.get("swarm"))


async def _run_tickets_job(bot: ScenarioBot) -> None:
    await JOBS["tickets"](bot.router.context, WORKSPACE)


async def test_a_swarm_opens_from_a_case_number_and_says_so_on_the_case(
    bot: ScenarioBot, salesforce: FakeSalesforce, case_id: str
) -> None:
    await bot.command("/swarm sf:00001026", user="ana")

    announcement = bot.said("support")[0]
    assert "ACME cannot export invoices to PDF" in announcement
    assert "sev2 · customer ACME Corp" in announcement  # High → sev2
    link = f"{salesforce.url}/lightning/r/Case/{case_id}/view"
    assert f"Ticket sf:{case_id} {link}" in announcement  # kept by its Id, which the webhook names
    card = bot.said(bot.room(1))[0]
    assert f"Ticket: sf:{case_id} (New) {link}" in card
    assert "Description: Since Monday every export to PDF fails with error 500." in card

    [note] = salesforce.notes(case_id)
    assert note["CommentBody"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.\n")
    assert f"Room: #{bot.room(1)} in console. {WEB}/swarms/1" in note["CommentBody"]
    _every_write_is_internal(salesforce)

    await bot.command("/swarm sf:00001026 again", user="dana")  # the number finds the swarm kept by the Id
    assert bot.last_told("dana") == f"Swarm 1 is already open for sf:{case_id}: `/swarm join 1` joins it."


async def test_the_cases_lightning_address_opens_it_too(
    bot: ScenarioBot, salesforce: FakeSalesforce, case_id: str
) -> None:
    await bot.command(f"/swarm https://acme.lightning.force.com/lightning/r/Case/{case_id}/view #export", user="ana")

    assert "sev2 · customer ACME Corp · #export" in bot.said("support")[0]
    assert f"WHERE Id = '{case_id}'" in salesforce.calls[-2].query["q"]


async def test_a_case_salesforce_does_not_have_opens_nothing(bot: ScenarioBot, salesforce: FakeSalesforce) -> None:
    await bot.command("/swarm sf:00009999", user="ana")

    assert bot.last_told("ana") == (
        "Salesforce has no ticket sf:00009999; check the number, or paste the ticket's address."
    )
    assert bot.said("support") == []
    assert salesforce.writes() == []


async def test_salesforce_down_never_stops_a_swarm_and_its_note_reaches_the_case_by_its_number(
    bot: ScenarioBot, salesforce: FakeSalesforce, case_id: str
) -> None:
    salesforce.down = True

    await bot.command("/swarm sf:00001026 export to PDF fails #pdf", user="ana")

    assert "export to PDF fails" in bot.said("support")[0]
    assert bot.last_told("ana").startswith("Salesforce did not answer, so swarm 1 opened from what you typed.")
    salesforce.down = False
    bot.clock.advance(seconds=30)
    await _run_tickets_job(bot)
    await _run_tickets_job(bot)

    [note] = salesforce.notes(case_id)  # the swarm kept the number: the Case was looked up first
    assert note["CommentBody"].startswith("Swarm 1 is working on this ticket")
    _every_write_is_internal(salesforce)


async def test_the_request_limit_is_waited_out_and_every_note_arrives_once(
    bot: ScenarioBot, salesforce: FakeSalesforce
) -> None:
    numbers = [f"0000{n}" for n in range(2001, 2005)]
    cases = [salesforce.add_case(n, f"Export {n} fails") for n in numbers]
    salesforce.fail(times=1, status=403)  # REQUEST_LIMIT_EXCEEDED

    for number in numbers:
        await bot.command(f"/swarm sf:{number} export fails", user="dana")

    # Every swarm opened; after the 403, Salesforce was asked nothing more while it rests.
    assert len(bot.said("support")) == 4
    api = [c for c in salesforce.calls if c.path != "/services/oauth2/token"]
    assert [c.status for c in api] == [403]
    assert bot.told("dana")[0].startswith("Salesforce did not answer, so swarm 1 opened from what you typed.")

    bot.clock.advance(seconds=LIMIT_REST - 1)
    await _run_tickets_job(bot)
    assert len(salesforce.calls) == len(api) + 1  # the token, and the 403
    for _ in range(4):  # the scheduler's rounds
        bot.clock.advance(seconds=LIMIT_REST)
        await _run_tickets_job(bot)

    assert all(len(salesforce.notes(case)) == 1 for case in cases)
    _every_write_is_internal(salesforce)


async def test_an_expired_token_mid_outbox_is_renewed_and_the_note_sent_once(
    bot: ScenarioBot, salesforce: FakeSalesforce, case_id: str
) -> None:
    await bot.command("/swarm sf:00001026", user="ana")
    salesforce.expire_tokens()

    await bot.command("/swarm cancel 1 duplicate of an older case", user="ana")

    assert [n["CommentBody"] for n in salesforce.notes(case_id)][-1] == (
        "Swarm 1 was cancelled by Ana Ruiz: duplicate of an older case"
    )
    assert len(salesforce.token_calls()) == 2
    _every_write_is_internal(salesforce)
