"""The inbox table: deliveries kept in order, taken by one worker at a time, free again when a lease ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage.database import SqlStore
from storage.inbox import SqlInbox
from storage.tables import InboxRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def deliveries(count: int, kind: str = "message") -> list[tuple[str, str, str]]:
    return [(kind, "T1", f'{{"n": {i}}}') for i in range(count)]


async def test_the_oldest_deliveries_are_taken_first_and_only_once(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(5), NOW)
    first = await inbox.take("a", 3, NOW, LEASE)
    assert [d.payload for d in first] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert {d.attempts for d in first} == {1}
    rest = await inbox.take("b", 10, NOW, LEASE)
    assert [d.payload for d in rest] == ['{"n": 3}', '{"n": 4}']
    assert await inbox.take("c", 10, NOW, LEASE) == []
    assert await inbox.waiting() == 5  # taken is not done


async def test_finished_deliveries_leave_and_another_platforms_are_not_taken(store: SqlStore) -> None:
    slack, teams = SqlInbox(store, "slack"), SqlInbox(store, "teams")
    await slack.put(deliveries(2), NOW)
    await teams.put(deliveries(1, "activity"), NOW)
    taken = await slack.take("a", 10, NOW, LEASE)
    await slack.finish([d.id for d in taken], "a")
    assert await slack.waiting() == 0
    assert [d.kind for d in await teams.take("a", 10, NOW, LEASE)] == ["activity"]


async def test_a_delivery_whose_worker_died_is_taken_again_when_its_lease_ends(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(1), NOW)
    (taken,) = await inbox.take("dead", 10, NOW, LEASE)
    assert await inbox.take("b", 10, NOW + LEASE - timedelta(seconds=1), LEASE) == []
    (again,) = await inbox.take("b", 10, NOW + LEASE, LEASE)
    assert (again.id, again.attempts) == (taken.id, 2)


async def test_a_worker_removes_only_what_it_still_holds(store: SqlStore) -> None:
    """A slow worker's lease ended and another took the delivery: the slow one's finish leaves it to the other. And
    on SQLite a removed last row's id goes to the next delivery: removing that id again must not remove the new one."""
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(1), NOW)
    (slow,) = await inbox.take("slow", 10, NOW, LEASE)
    (fast,) = await inbox.take("fast", 10, NOW + LEASE, LEASE)
    await inbox.finish([slow.id], "slow")
    assert await inbox.waiting() == 1
    await inbox.finish([fast.id], "fast")
    assert await inbox.waiting() == 0
    await inbox.put(deliveries(1), NOW)
    (new,) = await inbox.take("next", 10, NOW, LEASE)
    await inbox.finish([new.id], "slow")  # whatever its id, not the slow worker's
    assert await inbox.waiting() == 1


async def test_a_stopping_worker_releases_what_it_did_not_finish(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(3), NOW)
    await inbox.take("a", 2, NOW, LEASE)
    await inbox.take("b", 1, NOW, LEASE)
    assert await inbox.release("a") == 2
    assert [d.payload for d in await inbox.take("c", 10, NOW, LEASE)] == ['{"n": 0}', '{"n": 1}']


async def test_workers_taking_at_once_never_share_a_delivery(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(40), NOW)
    batches = await asyncio.gather(*(inbox.take(f"w{i}", 7, NOW, LEASE) for i in range(8)))
    ids = [d.id for batch in batches for d in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_a_delivery_keeps_when_it_came_in_utc_as_every_other_time(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(1), datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    async with store.unit() as uow:
        (row,) = (await uow.session.exec(select(InboxRow))).all()
    assert (row.platform, row.kind, row.team, row.attempts, row.holder) == ("slack", "message", "T1", 0, None)
    assert row.received_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC) and row.received_at.tzinfo == UTC


async def test_a_refused_write_keeps_none_of_its_rows_and_the_next_write_goes_on(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(1), NOW)
    with pytest.raises(Exception, match=r"(?i)null"):
        await inbox.put([("message", "T1", "kept?"), ("message", None, "no team")], NOW)  # type: ignore[list-item]
    await inbox.put(deliveries(1), NOW)
    assert [d.payload for d in await inbox.take("a", 10, NOW, LEASE)] == ['{"n": 0}', '{"n": 0}']


async def test_writes_share_one_held_connection_that_goes_back_when_the_store_closes(store: SqlStore) -> None:
    inbox = SqlInbox(store, "slack")
    await asyncio.gather(*(inbox.put(deliveries(2), NOW) for _ in range(5)))
    assert store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert await inbox.waiting() == 10
    await store.close()
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_write_after_the_server_dropped_the_held_connection_goes_on_a_new_one(store: SqlStore) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("only a database server drops a connection")
    writers = text("SELECT pid FROM pg_stat_activity WHERE query LIKE 'INSERT INTO inbox%'")
    async with store.unit() as uow:  # other tests' connections may have written an inbox last, too
        before = set((await uow.session.execute(writers)).scalars())
    inbox = SqlInbox(store, "slack")
    await inbox.put(deliveries(1), NOW)
    async with store.unit() as uow:
        (held,) = set((await uow.session.execute(writers)).scalars()) - before
        terminate = text("SELECT pg_terminate_backend(:pid)")
        assert (await uow.session.execute(terminate, {"pid": held})).scalar() is True
    await inbox.put(deliveries(1), NOW)
    assert await inbox.waiting() == 2
