"""Salesforce's closed Cases as history (`swarm history import --from salesforce`): the query read batch by batch
with the real adapter against a loopback fake, each Case's solving comment and who solved it, the comments of many
Cases in one query, a 429 waited out but a spent allowance stopping, and an import that stops carrying on from its
cursor when run again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.tickets.salesforce import PARENTS_PER_QUERY, Salesforce
from bot.errors import TicketSystemDown
from bot.history import History, HistoryInterrupted, HistoryReport
from bot.models import Case, Person, SolvedTicket, Swarm, TicketLink
from storage.database import SqlStore
from tests.fakes.salesforce_api import FakeSalesforce

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
QUERY = "/services/data/v62.0/query"
EARLIER = "2026-11-24T09:00:00.000+0000"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSalesforce]:
    async with FakeSalesforce(per_page=2) as salesforce:
        yield salesforce


@pytest.fixture
async def waits() -> list[float]:
    return []


@pytest.fixture
async def salesforce(fake: FakeSalesforce, waits: list[float]) -> AsyncIterator[Salesforce]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = Salesforce(fake.url, fake.client_id, fake.client_secret, timeout=5, sleep=sleep)
    yield client
    await client.close()


def closed_cases(fake: FakeSalesforce, count: int, first: int = 100) -> list[str]:
    """`count` Cases closed a minute apart, in the order of their numbers."""
    ids = []
    for number in range(first, first + count):
        case_id = fake.add_case(f"0000{number}", f"Export {number} fails", f"Case {number}: the PDF export spins.")
        at = f"2026-11-24T10:{number % 60:02d}:00.000+0000"
        fake.solve(case_id, f"Cleared the template cache for {number}.", by="chloe@example.com", at=at)
        ids.append(case_id)
    return ids


async def read_all(salesforce: Salesforce, cursor: str | None = None) -> list[SolvedTicket]:
    return [ticket async for page in salesforce.solved(SINCE, cursor) for ticket in page.tickets]


def queries(fake: FakeSalesforce, since: int = 0) -> list[str]:
    return [c.query.get("q", c.path) for c in fake.calls[since:] if c.path.startswith(QUERY)]


async def test_each_closed_case_comes_with_its_solving_comment_its_solver_and_its_helpers(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    case_id = fake.add_case("00001026", "ACME cannot export invoices", "Every export spins forever.")
    fake.add_comment(case_id, "Is it every invoice?", by=fake.user("chloe@example.com"), at="2026-11-23T09:00:00Z")
    fake.add_comment(case_id, "Yes, all of them.", by=fake.user("buyer@acme.example", staff=False))
    fake.add_comment(case_id, "Swarm opened a swarm for this Case.", published=False)  # Swarm's own note
    fake.solve(case_id, "Cleared the PDF template cache.", by="chloe@example.com", helpers=("isabel@example.com",))
    fake.add_case("00001027", "Still open", "Nobody has solved this yet.")

    [ticket] = await read_all(salesforce)

    assert (ticket.system, ticket.id, ticket.subject) == ("sf", case_id, "ACME cannot export invoices")
    assert ticket.description == "Every export spins forever."
    assert ticket.tags == ()  # a Case has none
    assert ticket.assignee_email == "chloe@example.com"
    assert ticket.participant_emails == ("isabel@example.com",)  # neither the customer nor Swarm
    assert ticket.solution == "Cleared the PDF template cache."
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.solved_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    cases, comments = [q for q in queries(fake) if " FROM " in q]  # and the next batches of the comments
    assert cases.endswith(
        "FROM Case WHERE IsClosed = true AND LastModifiedDate >= 2026-01-01T00:00:00Z ORDER BY LastModifiedDate, Id"
    )
    assert comments.endswith(f"FROM CaseComment WHERE ParentId IN ('{case_id}') ORDER BY CreatedDate DESC")


async def test_a_case_owned_by_a_queue_is_solved_by_the_latest_staff_comment(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    case_id = fake.add_case("00001028", "SSO loops", description=None, owner_is_queue=True)
    fake.add_comment(case_id, "Login loops after the IdP change.", by=fake.user("buyer@acme.example", staff=False))
    at = "2026-11-24T16:00:00.000+0000"
    fake.add_comment(case_id, "Uploaded the new IdP certificate.", by=fake.user("sofia@example.com"), at=at)
    fake.close_case(case_id, at="2026-11-25T08:00:00.000+0000")

    [ticket] = await read_all(salesforce)

    assert (ticket.assignee_email, ticket.solution) == ("sofia@example.com", "Uploaded the new IdP certificate.")
    assert ticket.description == "Login loops after the IdP change."  # the first comment, with no Description
    assert ticket.participant_emails == ()


async def test_the_query_is_read_batch_by_batch_and_a_cursor_carries_on(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    ids = closed_cases(fake, 5)

    pages = [page async for page in salesforce.solved(SINCE)]

    assert [[t.id for t in p.tickets] for p in pages] == [ids[0:2], ids[2:4], ids[4:]]
    assert [p.last for p in pages] == [False, False, True]
    assert [q.startswith(f"{QUERY}/01g") for q in queries(fake) if "FROM Case " in q or "/01g" in q] == [
        False,
        True,
        True,
    ]
    rest = await read_all(salesforce, pages[0].cursor)
    assert [t.id for t in rest] == ids[2:]
    assert pages[0].cursor == f"2026-11-24T10:41:00Z {ids[1]}"


async def test_a_cursor_is_no_query_locator_and_outlives_them(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    ids = closed_cases(fake, 3)
    first, *_ = [page async for page in salesforce.solved(SINCE)]
    fake.expire_locators()  # days later

    calls = len(fake.calls)
    rest = await read_all(salesforce, first.cursor)

    assert [t.id for t in rest] == ids[2:]
    moment = "2026-11-24T10:41:00Z"
    assert (
        f"(LastModifiedDate > {moment} OR (LastModifiedDate = {moment} AND Id > '{ids[1]}'))"
        in (queries(fake, calls)[0])
    )


async def test_cases_changed_in_the_same_second_are_told_apart_by_their_id(
    fake: FakeSalesforce, salesforce: Salesforce
) -> None:
    ids = [fake.add_case(f"0000{n}", f"Case {n}") for n in range(3)]
    for case_id in ids:
        fake.solve(case_id, "Fixed.", by="chloe@example.com", at="2026-11-24T10:30:00.000+0000")

    first, *_ = [page async for page in salesforce.solved(SINCE)]
    rest = await read_all(salesforce, first.cursor)

    assert [t.id for t in first.tickets] + [t.id for t in rest] == sorted(ids)


async def test_the_comments_of_many_cases_come_in_one_query_per_hundred() -> None:
    async with FakeSalesforce() as fake:
        client = Salesforce(fake.url, fake.client_id, fake.client_secret, timeout=5)
        ids = closed_cases(fake, PARENTS_PER_QUERY + 5)
        try:
            tickets = await read_all(client)
        finally:
            await client.close()

    assert len(tickets) == PARENTS_PER_QUERY + 5
    assert all(t.solution.startswith("Cleared the template cache") for t in tickets)
    assert [q.count("'500") for q in queries(fake) if "FROM CaseComment" in q] == [PARENTS_PER_QUERY, 5]
    assert {t.id for t in tickets} == set(ids)


async def test_comments_beyond_one_batch_are_read_from_the_next(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    [case_id] = closed_cases(fake, 1)
    for n in range(3):
        fake.add_comment(case_id, f"Still looking ({n}).", by=fake.user("isabel@example.com"), at=EARLIER)

    [ticket] = await read_all(salesforce)

    assert ticket.solution == "Cleared the template cache for 100."
    assert ticket.participant_emails == ("isabel@example.com",)
    assert len([q for q in queries(fake) if q.startswith(f"{QUERY}/01g")]) == 1  # 4 comments, 2 a batch


async def test_a_429_is_waited_out_as_long_as_it_asks(
    fake: FakeSalesforce, salesforce: Salesforce, waits: list[float]
) -> None:
    closed_cases(fake, 1)
    fake.fail(times=2, status=429, retry_after=30)

    [ticket] = await read_all(salesforce)

    assert ticket.solution == "Cleared the template cache for 100."
    assert waits == [30.0, 30.0]
    assert [c.status for c in fake.calls][1:4] == [429, 429, 200]


async def test_a_spent_request_allowance_stops_the_export_at_once_and_says_so(
    fake: FakeSalesforce, salesforce: Salesforce, waits: list[float]
) -> None:
    closed_cases(fake, 1)
    fake.fail(times=1, status=403)

    with pytest.raises(TicketSystemDown, match="REQUEST_LIMIT_EXCEEDED: the org's API requests of the last 24 hours"):
        await read_all(salesforce)
    assert waits == []  # a rolling 24 hours: minutes of waiting would not bring it back


async def test_an_outage_stops_the_export(fake: FakeSalesforce, salesforce: Salesforce) -> None:
    closed_cases(fake, 1)
    fake.down = True

    with pytest.raises(TicketSystemDown):
        await read_all(salesforce)


async def test_an_import_that_stops_carries_on_from_its_cursor_and_adds_nothing_twice(
    fake: FakeSalesforce, salesforce: Salesforce, store: SqlStore
) -> None:
    ids = closed_cases(fake, 5)
    history = History(store)

    def salesforce_goes_down(report: HistoryReport) -> None:
        fake.down = True  # right after the first page is imported

    with pytest.raises(HistoryInterrupted) as stopped:
        await history.import_tickets("T1", "sf", salesforce, SINCE, salesforce_goes_down)
    assert stopped.value.report.added == [f"sf:{i}" for i in ids[:2]]

    fake.down = False
    fake.expire_locators()
    calls = len(fake.calls)
    report = await history.import_tickets("T1", "sf", salesforce, SINCE)

    assert report.added == [f"sf:{i}" for i in ids[2:]]
    assert not report.skipped_existing and not report.rejected
    assert f"Id > '{ids[1]}'" in queries(fake, calls)[0]  # from where it stopped, not from the start

    # Another first day is another import: from the start, and what is there already is skipped, unread.
    calls = len(fake.calls)
    again = await history.import_tickets("T1", "sf", salesforce, datetime(2026, 2, 1, tzinfo=UTC))
    assert (again.added, len(again.skipped_existing)) == ([], 5)
    assert not [q for q in queries(fake, calls) if "FROM CaseComment" in q]


async def test_a_case_a_swarm_was_opened_from_is_skipped_unread(
    fake: FakeSalesforce, salesforce: Salesforce, store: SqlStore
) -> None:
    ids = closed_cases(fake, 2)
    linked = fake.add_case("00001026", "ACME cannot export invoices", owner_email="ana@example.com")
    async with store.unit() as uow:
        workspace = await uow.workspaces.ensure("T1")
        ana = await uow.people.add(Person(workspace_id=workspace.id, name="Ana", email="ana@example.com"))
        number = await uow.workspaces.next_swarm_number(workspace.id)
        link = TicketLink("sf", linked)
        await uow.swarms.add(
            Swarm(workspace.id, number, Case("ACME cannot export invoices"), ana.id or 0, "C1", ticket=link)
        )
        await uow.commit()
    fake.solve(linked, "Restarted the PDF worker.", at="2026-11-25T09:00:00.000+0000")

    report = await History(store).import_tickets("T1", "sf", salesforce, SINCE)

    assert (report.added, report.skipped_existing) == ([f"sf:{i}" for i in ids], [f"sf:{linked}"])
    assert all(linked not in q for q in queries(fake) if "FROM CaseComment" in q)


async def test_a_case_without_a_solving_comment_is_reported_not_imported(
    fake: FakeSalesforce, salesforce: Salesforce, store: SqlStore
) -> None:
    case_id = fake.add_case("00001029", "Login loop", "It loops.", owner_email="sofia@example.com")
    fake.close_case(case_id)

    report = await History(store).import_tickets("T1", "sf", salesforce, SINCE)

    assert report.added == []
    assert [r.error.reason for r in report.rejected] == ["history_missing_resolution"]
