"""A swarm keeps its ticket; the outbox of ticket notes keeps each note once and lends it to one sender at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.models import Case, HistoryCursor, Person, Swarm, SwarmStatus, TicketLink, TicketNote, Workspace
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _swarm(store: SqlStore, workspace: Workspace, owner: Person, ticket: TicketLink | None) -> Swarm:
    async with store.unit() as uow:
        swarm = await uow.swarms.add(
            Swarm(
                workspace.id,
                await uow.workspaces.next_swarm_number(workspace.id),
                Case("export fails", description="Since Monday every export fails."),
                owner.id or 0,
                "C1",
                created_at=T0,
                ticket=ticket,
            )
        )
        await uow.commit()
    return swarm


async def test_a_swarm_keeps_its_ticket(store: SqlStore, workspace: Workspace, add_person: AddPerson) -> None:
    ana = await add_person("Ana")
    filed = datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    link = TicketLink("zd", "4521", "https://acme.zendesk.com/agent/tickets/4521", "open", filed)
    swarm = await _swarm(store, workspace, ana, link)
    await _swarm(store, workspace, ana, None)

    async with store.unit() as uow:
        again = await uow.swarms.by_id(swarm.id or 0)
        linked = await uow.swarms.by_ticket(workspace.id, "zd", "4521")
    assert again is not None and again.ticket == link
    assert again.case.description == "Since Monday every export fails."
    assert [s.number for s in linked] == [swarm.number]


def _note(workspace: Workspace, swarm: Swarm, key: str) -> TicketNote:
    return TicketNote(workspace.id, key, "zd", "4521", f"note {key}", swarm.id, created_at=T0, next_at=T0)


async def test_a_note_is_kept_once_and_lent_to_one_sender(
    store: SqlStore, workspace: Workspace, add_person: AddPerson
) -> None:
    swarm = await _swarm(store, workspace, await add_person("Ana"), TicketLink("zd", "4521"))
    async with store.unit() as uow:
        assert await uow.ticket_notes.add(_note(workspace, swarm, "opened:1"))
        assert not await uow.ticket_notes.add(_note(workspace, swarm, "opened:1"))
        assert await uow.ticket_notes.add(_note(workspace, swarm, "resolved-1:1"))
        await uow.commit()

    now = T0 + timedelta(seconds=1)
    async with store.unit() as uow:
        first = await uow.ticket_notes.take(now, "one", now + timedelta(minutes=2), 10)
        await uow.commit()
    async with store.unit() as uow:
        second = await uow.ticket_notes.take(now, "two", now + timedelta(minutes=2), 10)
        await uow.commit()
    assert [n.key for n in first] == ["opened:1", "resolved-1:1"]
    assert second == []

    sent, later = first
    sent.sent_at, sent.attempts = now, 1
    later.attempts, later.next_at, later.last_error = 1, now + timedelta(seconds=30), "429"
    async with store.unit() as uow:
        await uow.ticket_notes.settle(sent, "one")
        await uow.ticket_notes.settle(later, "one")
        await uow.commit()

    async with store.unit() as uow:
        assert await uow.ticket_notes.take(now + timedelta(seconds=29), "two", now + timedelta(minutes=3), 10) == []
        retried = await uow.ticket_notes.take(now + timedelta(seconds=30), "two", now + timedelta(minutes=3), 10)
        await uow.commit()
        kept = await uow.ticket_notes.for_swarm(swarm.id or 0)
    assert [n.key for n in retried] == ["resolved-1:1"]
    assert [(n.key, n.sent_at is not None, n.attempts) for n in kept] == [
        ("opened:1", True, 1),
        ("resolved-1:1", False, 1),
    ]


async def test_a_dead_senders_notes_are_taken_after_its_hold(
    store: SqlStore, workspace: Workspace, add_person: AddPerson
) -> None:
    swarm = await _swarm(store, workspace, await add_person("Ana"), TicketLink("zd", "4521"))
    async with store.unit() as uow:
        await uow.ticket_notes.add(_note(workspace, swarm, "opened:1"))
        assert len(await uow.ticket_notes.take(T0, "dead", T0 + timedelta(minutes=2), 10)) == 1
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.ticket_notes.take(T0 + timedelta(minutes=1), "next", T0 + timedelta(minutes=3), 10) == []
        taken = await uow.ticket_notes.take(T0 + timedelta(minutes=3), "next", T0 + timedelta(minutes=5), 10)
    assert [n.key for n in taken] == ["opened:1"]


async def test_a_ticket_rating_is_read_never_read_first_and_kept_alone(
    store: SqlStore, workspace: Workspace, add_person: AddPerson
) -> None:
    ana = await add_person("Ana")
    swarms = [await _swarm(store, workspace, ana, TicketLink("zd", str(4520 + n))) for n in range(4)]
    await _swarm(store, workspace, ana, None)  # no ticket: never due
    async with store.unit() as uow:
        for n, swarm in enumerate(swarms):
            swarm.status, swarm.resolved_at = SwarmStatus.RESOLVED, T0 - timedelta(days=40 if n == 3 else 1)
            await uow.swarms.save(swarm)
        await uow.swarms.keep_rating(swarms[0].id or 0, "offered", T0 - timedelta(hours=7))
        await uow.swarms.keep_rating(swarms[1].id or 0, "good", T0 - timedelta(hours=1))
        await uow.commit()

    async with store.unit() as uow:
        due = await uow.swarms.awaiting_rating(
            workspace.id, ["zd"], T0 - timedelta(days=30), T0 - timedelta(hours=6), 10
        )
        none = await uow.swarms.awaiting_rating(workspace.id, ["jsm"], T0 - timedelta(days=30), T0, 10)
        kept = await uow.swarms.by_id(swarms[1].id or 0)

    # Never read first (4522), then the longest unread (4520); 4521 was read an hour ago, 4523 resolved too long ago.
    assert [s.ticket.id for s in due if s.ticket] == ["4522", "4520"]
    assert none == []
    assert kept is not None and kept.ticket is not None
    assert (kept.ticket.rating, kept.ticket.rating_read_at, kept.ticket.id) == ("good", T0 - timedelta(hours=1), "4521")


async def test_an_imports_cursor_is_kept_per_workspace_and_system(store: SqlStore, workspace: Workspace) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with store.unit() as uow:
        assert await uow.history_cursors.get(workspace.id, "zd") is None
        await uow.history_cursors.keep(HistoryCursor(workspace.id, "zd", since, "page-1"), T0)
        await uow.history_cursors.keep(HistoryCursor(workspace.id, "zd", since, "page-2"), T0)
        await uow.history_cursors.keep(HistoryCursor(workspace.id, "jsm", since, None), T0)
        await uow.commit()

    async with store.unit() as uow:
        assert await uow.history_cursors.get(workspace.id, "zd") == HistoryCursor(workspace.id, "zd", since, "page-2")
        assert await uow.history_cursors.get(workspace.id, "jsm") == HistoryCursor(workspace.id, "jsm", since, None)
