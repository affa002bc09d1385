"""Jira Service Management's solved requests as history (`swarm history import --from jira`): the search read page by
page with the real adapter against a loopback fake, each request's solving comment and who solved it, 429s waited
out, JQL's time zone, and an import that stops carrying on from where it got to when run again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.tickets.jira import Jira
from bot.errors import TicketSystemDown
from bot.history import History, HistoryInterrupted, HistoryReport
from bot.models import Case, Person, SolvedTicket, Swarm, TicketLink
from storage.database import SqlStore
from tests.fakes.jira_api import FakeJira

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
SEARCH = "/rest/api/3/search/jql"


@pytest.fixture
async def fake() -> AsyncIterator[FakeJira]:
    async with FakeJira(per_page=2) as jira:
        yield jira


@pytest.fixture
async def waits() -> list[float]:
    return []


@pytest.fixture
async def jira(fake: FakeJira, waits: list[float]) -> AsyncIterator[Jira]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = Jira(fake.url, fake.email, fake.token, timeout=5, sleep=sleep)
    yield client
    await client.close()


def solved_requests(fake: FakeJira, count: int, first: int = 100) -> None:
    """`count` requests, each resolved a minute after the one before."""
    for number in range(first, first + count):
        key = f"SUP-{number}"
        fake.add_issue(key, f"Export {number} fails", f"Request {number}: the PDF export spins.", labels=("pdf",))
        fake.solve(key, f"Cleared the template cache for {number}.", by="chloe@example.com", at=_at(10, number % 60))


def _at(hour: int, minute: int, day: str = "2026-11-24") -> str:
    return f"{day}T{hour:02}:{minute:02}:00.000+0000"


async def read_all(jira: Jira, cursor: str | None = None, since: datetime = SINCE) -> list[SolvedTicket]:
    return [ticket async for page in jira.solved(since, cursor) for ticket in page.tickets]


async def test_each_solved_request_comes_with_its_solving_comment_its_solver_and_its_helpers(
    fake: FakeJira, jira: Jira
) -> None:
    fake.add_issue("SUP-1", "ACME cannot export invoices", "Every export spins forever.", labels=("billing", "pdf"))
    fake.solve("SUP-1", "Cleared the PDF template cache.", by="chloe@example.com", helpers=("isabel@example.com",))
    fake.add_issue("SUP-2", "Still open", "Nobody has solved this yet.")

    [ticket] = await read_all(jira)

    assert (ticket.system, ticket.id, ticket.subject) == ("jsm", "SUP-1", "ACME cannot export invoices")
    assert ticket.description == "Every export spins forever."
    assert ticket.tags == ("billing", "pdf")
    assert ticket.assignee_email == "chloe@example.com"
    assert ticket.participant_emails == ("isabel@example.com",)  # not the customer, who commented too
    assert ticket.solution == "Cleared the PDF template cache."
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.solved_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    [search] = [c for c in fake.calls if c.path == SEARCH]
    assert search.query["jql"] == 'statusCategory = Done AND updated >= "2025-12-31 00:00" ORDER BY updated ASC'
    assert set(search.query["fields"].split(",")) >= {"summary", "description", "labels", "assignee", "updated"}
    assert [c.query for c in fake.calls if c.path.endswith("/comment")] == [
        {"orderBy": "-created", "maxResults": "100"}
    ]


async def test_without_an_assignee_the_latest_agents_comment_solved_it(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue("SUP-1", "Login loop", "It loops.")
    fake.solve("SUP-1", "Uploaded the new IdP certificate.", helpers=("sofia@example.com",))
    fake.issues["SUP-1"]["fields"]["assignee"] = None
    fake.comments["SUP-1"].pop()  # the assignee's comment: there was none
    fake.comments["SUP-1"].append(dict(fake.comments["SUP-1"][0], id="9", created=_at(11, 0)))  # the customer's

    [ticket] = await read_all(jira)

    assert (ticket.assignee_email, ticket.participant_emails) == ("sofia@example.com", ())
    assert ticket.solution == "Try sofia@example.com's trick?"


async def test_the_search_is_read_page_by_page_and_a_cursor_carries_on(fake: FakeJira, jira: Jira) -> None:
    solved_requests(fake, 5)

    pages = [page async for page in jira.solved(SINCE)]

    assert [[t.id for t in p.tickets] for p in pages] == [["SUP-100", "SUP-101"], ["SUP-102", "SUP-103"], ["SUP-104"]]
    assert [p.last for p in pages] == [False, False, True]
    searches = [c.query for c in fake.calls if c.path == SEARCH]
    assert "nextPageToken" not in searches[0] and searches[1]["nextPageToken"] and searches[2]["nextPageToken"]
    # The cursor is the last change listed: it outlives the 7 days a nextPageToken lasts. Carrying on from 5 minutes
    # before it lists the last requests again (a caller that kept them knows them), then what came after.
    assert pages[0].cursor == "2026-11-24T10:41:00+00:00"
    rest = await read_all(jira, pages[0].cursor)
    assert [t.id for t in rest] == ["SUP-100", "SUP-101", "SUP-102", "SUP-103", "SUP-104"]
    later = await read_all(jira, "2026-11-24T10:46:00+00:00")
    assert [t.id for t in later] == ["SUP-101", "SUP-102", "SUP-103", "SUP-104"]


async def test_jql_dates_are_in_the_accounts_time_zone_and_nothing_before_since_is_read() -> None:
    async with FakeJira(zone="America/Los_Angeles") as fake:  # 8 hours behind UTC in January
        client = Jira(fake.url, fake.email, fake.token, timeout=5)
        for key, at in (("SUP-1", "2025-12-31T20:00:00.000+0000"), ("SUP-2", "2026-01-01T03:00:00.000+0000")):
            fake.add_issue(key, "Export fails")
            fake.solve(key, "Fixed it.", by="chloe@example.com", at=at)
        try:
            found = await read_all(client)
        finally:
            await client.close()

    assert [t.id for t in found] == ["SUP-2"]  # solved at 7 p.m. in Los Angeles: in UTC, on the first day


async def test_a_429_is_waited_out_as_long_as_jira_asks(fake: FakeJira, jira: Jira, waits: list[float]) -> None:
    solved_requests(fake, 1)
    fake.fail(times=2, status=429, retry_after=30)

    [ticket] = await read_all(jira)

    assert ticket.id == "SUP-100"
    assert waits == [30.0, 30.0]
    assert [c.status for c in fake.calls][:3] == [429, 429, 200]


async def test_an_outage_stops_the_search(fake: FakeJira, jira: Jira) -> None:
    solved_requests(fake, 1)
    fake.down = True

    with pytest.raises(TicketSystemDown):
        await read_all(jira)


async def test_a_request_deleted_while_the_search_is_read_is_left_out(fake: FakeJira, jira: Jira) -> None:
    solved_requests(fake, 3)
    fake.per_page = 50  # one page

    async def known(key: str) -> bool:
        if key == "SUP-101":
            del fake.issues[key]  # deleted in Jira after the search listed it: its comments are a 404
        return False

    pages = [page async for page in jira.solved(SINCE, known=known)]

    assert [t.id for p in pages for t in p.tickets] == ["SUP-100", "SUP-102"]
    assert pages[0].cursor == "2026-11-24T10:42:00+00:00"


async def test_an_import_that_stops_carries_on_from_its_cursor_and_adds_nothing_twice(
    fake: FakeJira, jira: Jira, store: SqlStore
) -> None:
    solved_requests(fake, 5)
    history = History(store)

    def jira_goes_down(report: HistoryReport) -> None:
        fake.down = True  # right after the first page is imported

    with pytest.raises(HistoryInterrupted) as stopped:
        await history.import_tickets("T1", "jsm", jira, SINCE, jira_goes_down)
    assert stopped.value.report.added == ["jsm:SUP-100", "jsm:SUP-101"]

    fake.down = False
    calls = len(fake.calls)
    report = await history.import_tickets("T1", "jsm", jira, SINCE)

    assert report.added == ["jsm:SUP-102", "jsm:SUP-103", "jsm:SUP-104"]
    assert report.skipped_existing == ["jsm:SUP-100", "jsm:SUP-101"]  # changed in the 5 minutes before it stopped
    assert not report.rejected
    first = next(c for c in fake.calls[calls:] if c.path == SEARCH)
    assert '"2026-11-23 10:36"' in first.query["jql"]  # from where it stopped (a day wider), not from the start
    read = {c.path for c in fake.calls[calls:]}
    assert not read & {"/rest/api/3/issue/SUP-100/comment", "/rest/api/3/issue/SUP-101/comment"}

    # Another first day is another import: from the start, and what is there already is skipped, unread.
    calls = len(fake.calls)
    again = await History(store).import_tickets("T1", "jsm", jira, datetime(2026, 2, 1, tzinfo=UTC))
    assert (again.added, len(again.skipped_existing)) == ([], 5)
    assert {c.path for c in fake.calls[calls:]} == {SEARCH}


async def test_a_request_a_swarm_was_opened_from_is_skipped_unread(fake: FakeJira, jira: Jira, store: SqlStore) -> None:
    solved_requests(fake, 2)
    fake.add_issue("SUP-123", "ACME cannot export invoices", assignee_email="ana@example.com")
    async with store.unit() as uow:
        workspace = (await uow.workspaces.ensure("T1")).id
        ana = await uow.people.add(Person(workspace_id=workspace, name="Ana", email="ana@example.com"))
        number = await uow.workspaces.next_swarm_number(workspace)
        linked = TicketLink("jsm", "SUP-123")
        await uow.swarms.add(
            Swarm(workspace, number, Case("ACME cannot export invoices"), ana.id or 0, "C1", ticket=linked)
        )
        await uow.commit()
    fake.solve("SUP-123", "Restarted the PDF worker.", at=_at(12, 0))

    report = await History(store).import_tickets("T1", "jsm", jira, SINCE)

    assert (report.added, report.skipped_existing) == (["jsm:SUP-100", "jsm:SUP-101"], ["jsm:SUP-123"])
    assert "/rest/api/3/issue/SUP-123/comment" not in {c.path for c in fake.calls}


async def test_a_request_without_an_agents_comment_is_reported_not_imported(
    fake: FakeJira, jira: Jira, store: SqlStore
) -> None:
    fake.add_issue("SUP-7", "Login loop", "It loops.", assignee_email="sofia@example.com")
    fake.issues["SUP-7"]["fields"]["status"]["statusCategory"]["key"] = "done"  # closed with no word

    report = await History(store).import_tickets("T1", "jsm", jira, SINCE)

    assert report.added == []
    assert [r.error.reason for r in report.rejected] == ["history_missing_resolution"]
