"""Zendesk's solved tickets as history (`swarm history import --from zendesk`): the export read page by page with
the real adapter against a loopback fake, each ticket's solving comment and who solved it, 429s waited out, and an
import that stops carrying on from its cursor when run again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.tickets.zendesk import Zendesk
from bot.errors import TicketSystemDown
from bot.history import History, HistoryInterrupted, HistoryReport
from bot.models import Case, Person, SolvedTicket, Swarm, TicketLink
from storage.database import SqlStore
from tests.fakes.zendesk_api import FakeZendesk

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk(per_page=2) as zendesk:
        yield zendesk


@pytest.fixture
async def waits() -> list[float]:
    return []


@pytest.fixture
async def zendesk(fake: FakeZendesk, waits: list[float]) -> AsyncIterator[Zendesk]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = Zendesk(fake.url, fake.email, fake.token, timeout=5, sleep=sleep)
    yield client
    await client.close()


def solved_tickets(fake: FakeZendesk, count: int, first: int = 100) -> None:
    for number in range(first, first + count):
        fake.add_ticket(number, f"Export {number} fails", f"Ticket {number}: the PDF export spins.", tags=("pdf",))
        fake.solve(number, f"Cleared the template cache for {number}.", by="chloe@example.com")


async def read_all(zendesk: Zendesk, cursor: str | None = None) -> list[SolvedTicket]:
    return [ticket async for page in zendesk.solved(SINCE, cursor) for ticket in page.tickets]


async def test_each_solved_ticket_comes_with_its_solving_comment_its_solver_and_its_helpers(
    fake: FakeZendesk, zendesk: Zendesk
) -> None:
    fake.add_ticket(4521, "ACME cannot export invoices", "Every export spins forever.", tags=("billing", "pdf"))
    fake.solve(4521, "Cleared the PDF template cache.", by="chloe@example.com", helpers=("isabel@example.com",))
    fake.add_ticket(4522, "Still open", "Nobody has solved this yet.")

    [ticket] = await read_all(zendesk)

    assert (ticket.system, ticket.id, ticket.subject) == ("zd", "4521", "ACME cannot export invoices")
    assert ticket.description == "Every export spins forever."
    assert ticket.tags == ("billing", "pdf")
    assert ticket.assignee_email == "chloe@example.com"
    assert ticket.participant_emails == ("isabel@example.com",)
    assert ticket.solution == "Cleared the PDF template cache."
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.solved_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    export = [c for c in fake.calls if c.path == "/api/v2/incremental/tickets/cursor"]
    assert export[0].query == {"start_time": str(int(SINCE.timestamp()))}
    assert [c.query for c in fake.calls if c.path.endswith("/comments")] == [{"sort_order": "desc", "include": "users"}]


async def test_the_export_is_read_page_by_page_and_a_cursor_carries_on(fake: FakeZendesk, zendesk: Zendesk) -> None:
    solved_tickets(fake, 5)

    pages = [page async for page in zendesk.solved(SINCE)]

    assert [len(p.tickets) for p in pages] == [2, 2, 1]
    assert [p.last for p in pages] == [False, False, True]
    rest = await read_all(zendesk, pages[0].cursor)
    assert [t.id for t in rest] == ["102", "103", "104"]


async def test_a_429_is_waited_out_as_long_as_zendesk_asks(
    fake: FakeZendesk, zendesk: Zendesk, waits: list[float]
) -> None:
    solved_tickets(fake, 1)
    fake.fail(times=2, status=429, retry_after=30)

    [ticket] = await read_all(zendesk)

    assert ticket.id == "100"
    assert waits == [30.0, 30.0]
    assert [c.status for c in fake.calls][:3] == [429, 429, 200]


async def test_an_outage_stops_the_export(fake: FakeZendesk, zendesk: Zendesk) -> None:
    solved_tickets(fake, 1)
    fake.down = True

    with pytest.raises(TicketSystemDown):
        await read_all(zendesk)


async def test_an_import_that_stops_carries_on_from_its_cursor_and_adds_nothing_twice(
    fake: FakeZendesk, zendesk: Zendesk, store: SqlStore
) -> None:
    solved_tickets(fake, 5)
    history = History(store)

    def zendesk_goes_down(report: HistoryReport) -> None:
        fake.down = True  # right after the first page is imported

    with pytest.raises(HistoryInterrupted) as stopped:
        await history.import_tickets("T1", "zd", zendesk, SINCE, zendesk_goes_down)
    assert stopped.value.report.added == ["zd:100", "zd:101"]

    fake.down = False
    calls = len(fake.calls)
    report = await history.import_tickets("T1", "zd", zendesk, SINCE)

    assert report.added == ["zd:102", "zd:103", "zd:104"]
    assert not report.skipped_existing and not report.rejected
    export = [c for c in fake.calls[calls:] if c.path == "/api/v2/incremental/tickets/cursor"]
    assert "cursor" in export[0].query  # from where it stopped, not from the start

    # Another first day is another import: from the start, and what is there already is skipped, unread.
    calls = len(fake.calls)
    again = await history.import_tickets("T1", "zd", zendesk, datetime(2026, 2, 1, tzinfo=UTC))
    assert (again.added, len(again.skipped_existing)) == ([], 5)
    assert {c.path for c in fake.calls[calls:]} == {"/api/v2/incremental/tickets/cursor"}


async def test_a_ticket_a_swarm_was_opened_from_is_skipped_unread(
    fake: FakeZendesk, zendesk: Zendesk, store: SqlStore
) -> None:
    solved_tickets(fake, 2)
    fake.add_ticket(4521, "ACME cannot export invoices", assignee_email="ana@example.com")
    workspace = await _workspace(store)
    async with store.unit() as uow:
        ana = await uow.people.add(Person(workspace_id=workspace, name="Ana", email="ana@example.com"))
        number = await uow.workspaces.next_swarm_number(workspace)
        linked = TicketLink("zd", "4521")
        await uow.swarms.add(
            Swarm(workspace, number, Case("ACME cannot export invoices"), ana.id or 0, "C1", ticket=linked)
        )
        await uow.commit()
    fake.solve(4521, "Restarted the PDF worker.")

    report = await History(store).import_tickets("T1", "zd", zendesk, SINCE)

    assert (report.added, report.skipped_existing) == (["zd:100", "zd:101"], ["zd:4521"])
    assert "/api/v2/tickets/4521/comments" not in {c.path for c in fake.calls}


async def _workspace(store: SqlStore) -> int:
    async with store.unit() as uow:
        workspace = await uow.workspaces.ensure("T1")
        await uow.commit()
    return workspace.id


async def test_a_ticket_without_a_solving_comment_is_reported_not_imported(
    fake: FakeZendesk, zendesk: Zendesk, store: SqlStore
) -> None:
    fake.add_ticket(7, "Login loop", "It loops.", assignee_email="sofia@example.com")
    fake.tickets[7]["status"] = "closed"

    report = await History(store).import_tickets("T1", "zd", zendesk, SINCE)

    assert report.added == []
    assert [r.error.reason for r in report.rejected] == ["history_missing_resolution"]
