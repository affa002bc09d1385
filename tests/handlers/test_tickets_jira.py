"""A swarm that belongs to a Jira Service Management request: opened from it in chat (its key or its address), and
telling it what happened, always in internal comments, through the outbox, whatever Jira answers (an outage, a
storm of 429s). The real Jira adapter talks to a loopback fake of Jira's APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.tickets.jira import Jira
from bot.analytics import rows
from bot.ports import Store
from handlers.context import Conventions
from handlers.jobs import JOBS
from handlers.ticket_events import ticket_changed
from tests.fakes.jira_api import FakeJira
from tests.harness import WORKSPACE, ScenarioBot

WEB = "https://swarm.acme.example"


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    async with FakeJira() as fake:
        fake.add_issue(
            "SUP-123",
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="High",
            labels=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        yield fake


@pytest.fixture
async def bot(store: Store, jira: FakeJira) -> AsyncIterator[ScenarioBot]:
    client = Jira(jira.url, jira.email, jira.token, timeout=5)
    scenario = ScenarioBot(store, tickets={"jsm": client}, conventions=Conventions(web_url=WEB))
    report = await scenario.load_roster()
    assert not report.rejected
    yield scenario
    await client.close()


def _every_write_is_internal(jira: FakeJira) -> None:
    writes = jira.writes()
    assert writes, "nothing was written to the request"
    for call in writes:
        assert call.method == "POST" and call.path.startswith("/rest/servicedeskapi/request/"), call.path
        assert call.path.endswith("/comment") and call.body["public"] is False, call.body
    assert all(note["public"] is False for notes in jira.request_comments.values() for note in notes)


async def _run_tickets_job(bot: ScenarioBot) -> None:
    await JOBS["tickets"](bot.router.context, WORKSPACE)


async def test_a_swarm_opens_from_a_request_and_says_so_on_it(bot: ScenarioBot, jira: FakeJira) -> None:
    await bot.command("/swarm jsm:sup-123", user="ana")

    announcement = bot.said("support")[0]
    assert "ACME cannot export invoices to PDF" in announcement
    assert "sev2 · customer ACME Corp · #billing · #pdf" in announcement
    assert f"Ticket jsm:SUP-123 {jira.url}/browse/SUP-123" in announcement
    card = bot.said(bot.room(1))[0]
    assert f"Ticket: jsm:SUP-123 (Waiting for support) {jira.url}/browse/SUP-123" in card
    assert "Description: Since Monday every export to PDF fails with error 500." in card
    [note] = jira.notes("SUP-123")
    assert note["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    _every_write_is_internal(jira)


async def test_the_requests_address_with_more_words_opens_it_too(bot: ScenarioBot, jira: FakeJira) -> None:
    await bot.command(
        "/swarm https://acme.atlassian.net/jira/servicedesk/projects/SUP/queues/custom/1/SUP-123 renderer #export sev1",
        user="ana",
    )

    assert "ACME cannot export invoices to PDF — renderer" in bot.said("support")[0]
    assert "sev1 · customer ACME Corp · #export · #billing · #pdf" in bot.said("support")[0]


async def test_a_request_jira_does_not_have_opens_nothing(bot: ScenarioBot, jira: FakeJira) -> None:
    await bot.command("/swarm jsm:SUP-999", user="ana")

    assert bot.last_told("ana") == (
        "Jira Service Management has no ticket jsm:SUP-999; check the number, or paste the ticket's address."
    )
    assert bot.said("support") == []
    assert jira.writes() == []


async def test_jira_down_never_stops_a_swarm_and_its_comment_arrives_when_it_is_back(
    bot: ScenarioBot, jira: FakeJira
) -> None:
    jira.down = True

    await bot.command("/swarm jsm:SUP-123 export to PDF fails #pdf", user="ana")

    assert "export to PDF fails" in bot.said("support")[0]
    assert bot.last_told("ana").startswith("Jira Service Management did not answer, so swarm 1 opened from what you")
    assert jira.notes("SUP-123") == []

    jira.down = False
    await _run_tickets_job(bot)
    assert jira.notes("SUP-123") == []  # not before its backoff
    bot.clock.advance(seconds=30)
    await _run_tickets_job(bot)
    await _run_tickets_job(bot)

    [note] = jira.notes("SUP-123")
    assert note["body"].startswith("Swarm 1 is working on this ticket")
    _every_write_is_internal(jira)


async def test_a_storm_of_429s_delivers_every_comment_once_and_waits_as_asked(bot: ScenarioBot, jira: FakeJira) -> None:
    keys = [f"SUP-{number}" for number in range(200, 204)]
    for key in keys:
        jira.add_issue(key, f"Export {key} fails", labels=("export",))
    jira.fail(times=1, status=429, retry_after=60)

    for key in keys:
        await bot.command(f"/swarm jsm:{key} export fails", user="dana")

    # Every swarm opened; after the 429, Jira was not asked anything for the minute it asked for.
    assert len(bot.said("support")) == 4
    assert [(c.method, c.status) for c in jira.calls] == [("GET", 429)]
    assert bot.told("dana")[0].startswith("Jira Service Management did not answer, so swarm 1 opened")

    bot.clock.advance(seconds=59)
    await _run_tickets_job(bot)
    assert len(jira.calls) == 1
    jira.fail(times=2, status=429, retry_after=30)
    for _ in range(6):  # the scheduler's rounds
        bot.clock.advance(seconds=31)
        await _run_tickets_job(bot)

    assert all(len(jira.notes(key)) == 1 for key in keys)
    assert [c.status for c in jira.calls] == [429, 429, 429, 201, 201, 201, 201]  # each 429 waited out as asked
    _every_write_is_internal(jira)


async def test_the_fix_and_its_article_go_back_to_the_request_once(bot: ScenarioBot, jira: FakeJira) -> None:
    await bot.command("/swarm jsm:SUP-123", user="ana")
    room = bot.room(1)
    await bot.command(
        "/swarm resolve restarted the PDF worker with 2 GB cause: out of memory", user="ana", channel=room
    )
    for _ in range(3):
        bot.clock.advance(minutes=5)
        await _run_tickets_job(bot)

    _, resolved = jira.notes("SUP-123")
    lines = resolved["body"].splitlines()
    assert lines[0].startswith("Swarm 1 resolved this after ")
    assert lines[1:3] == ["Fix: restarted the PDF worker with 2 GB", "Cause: out of memory"]
    assert lines[3].startswith("Knowledge article ") and lines[3].endswith(f"{WEB}/kb/1")
    _every_write_is_internal(jira)


async def test_stats_show_the_customers_stars_as_good_or_bad(bot: ScenarioBot, jira: FakeJira) -> None:
    jira.add_issue(
        "SUP-124", "Globex invoices show the wrong VAT", labels=("billing",), assignee_email="ana@example.com"
    )
    await bot.command("/swarm jsm:SUP-123", user="ana")
    await bot.command("/swarm jsm:SUP-124", user="ana")
    bot.clock.advance(hours=1)
    await bot.command("/swarm resolve restarted the PDF worker", user="ana", channel=bot.room(1))
    await bot.command("/swarm resolve fixed the VAT table", user="ana", channel=bot.room(2))
    for key in ("SUP-123", "SUP-124"):  # Jira's webhook: the request is resolved
        await ticket_changed(bot.router.context, WORKSPACE, "jsm", key, "Resolved", True)

    # The customers answer JSM's survey; the tickets job reads the feedback later, without waiting on anyone.
    jira.rate("SUP-123", 5, comment="Quick and kind.")
    jira.rate("SUP-124", 3)  # neither pleased nor displeased: not satisfied, as CSAT counts it
    await _run_tickets_job(bot)

    await bot.command("/swarm stats 7d", user="ana")
    card = bot.last_told("ana")
    assert "Ticket satisfaction: 50% good (1 good · 1 bad)" in card
    assert "First-contact resolution: 100% (2 of 2 tickets solved and never reopened)" in card
    flat = {(metric, key): value for metric, key, value in rows(await bot.core.analytics.last(WORKSPACE, "7d"))}
    assert (flat[("ticket.good", "")], flat[("ticket.bad", "")], flat[("ticket.offered", "")]) == (1, 1, 0)
    feedback = [c.path for c in jira.calls if c.path.endswith("/feedback")]
    assert sorted(feedback) == [f"/rest/servicedeskapi/request/{key}/feedback" for key in ("SUP-123", "SUP-124")]


async def test_a_comment_for_a_request_that_is_gone_is_given_up(bot: ScenarioBot, jira: FakeJira) -> None:
    await bot.command("/swarm jsm:SUP-123", user="ana")
    del jira.issues["SUP-123"]  # deleted in Jira
    await bot.command("/swarm cancel 1 duplicate", user="ana")
    for _ in range(3):
        bot.clock.advance(hours=1)
        await _run_tickets_job(bot)

    posts = [c for c in jira.writes() if c.status == 404]
    assert len(posts) == 1  # asked once, then given up: it will never take it


async def test_a_workspaces_own_jira_account_is_read_and_told(store: Store, jira: FakeJira) -> None:
    from adapters.tickets.accounts import SealedTicketAccounts

    accounts = SealedTicketAccounts(store, "a-long-random-secret-key-for-the-tests-0123456789", timeout=5)
    scenario = ScenarioBot(store, ticket_accounts=accounts)  # no Jira set up for every workspace
    try:
        assert not (await scenario.load_roster()).rejected
        await accounts.connect(WORKSPACE, "jsm", jira.url, jira.email, jira.token)

        await scenario.command("/swarm jsm:SUP-123", user="ana")

        assert "ACME cannot export invoices to PDF" in scenario.said("support")[0]
        [note] = jira.notes("SUP-123")
        assert note["body"].startswith("Swarm 1 is working on this ticket")
        _every_write_is_internal(jira)
    finally:
        await accounts.close()
