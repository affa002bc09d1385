"""The scheduler's lease: one holder at a time, renewed by its holder, taken over once it expires or is released."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import SqlStore
from storage.lease import SqlLease

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


async def test_the_first_asker_gets_the_lease_and_others_wait(store: SqlStore) -> None:
    lease = SqlLease(store)
    assert await lease.acquire("scheduler", "a", TTL, NOW)
    assert not await lease.acquire("scheduler", "b", TTL, NOW + timedelta(seconds=5))
    assert await lease.holder("scheduler", NOW + timedelta(seconds=5)) == "a"
    # Another name is another lease.
    assert await lease.acquire("other", "b", TTL, NOW)


async def test_the_holder_renews_and_pushes_the_expiry_on(store: SqlStore) -> None:
    lease = SqlLease(store)
    assert await lease.acquire("scheduler", "a", TTL, NOW)
    assert await lease.acquire("scheduler", "a", TTL, NOW + timedelta(seconds=20))
    # Past the first expiry, but within the renewed one: still a's.
    assert not await lease.acquire("scheduler", "b", TTL, NOW + timedelta(seconds=40))
    assert await lease.holder("scheduler", NOW + timedelta(seconds=40)) == "a"


async def test_an_expired_lease_goes_to_the_next_asker(store: SqlStore) -> None:
    lease = SqlLease(store)
    assert await lease.acquire("scheduler", "a", TTL, NOW)
    later = NOW + TTL + timedelta(seconds=1)
    assert await lease.holder("scheduler", later) is None
    assert await lease.acquire("scheduler", "b", TTL, later)
    # The old holder comes back: too late, b has it now.
    assert not await lease.acquire("scheduler", "a", TTL, later + timedelta(seconds=1))
    assert await lease.holder("scheduler", later) == "b"


async def test_release_lets_another_take_it_at_once(store: SqlStore) -> None:
    lease = SqlLease(store)
    assert await lease.acquire("scheduler", "a", TTL, NOW)
    await lease.release("scheduler", "b")  # not b's to release: nothing happens
    assert not await lease.acquire("scheduler", "b", TTL, NOW)
    await lease.release("scheduler", "a")
    assert await lease.holder("scheduler", NOW) is None
    assert await lease.acquire("scheduler", "b", TTL, NOW)


async def test_of_many_asking_at_once_exactly_one_gets_it(store: SqlStore) -> None:
    lease = SqlLease(store)
    taken = await asyncio.gather(*(lease.acquire("scheduler", f"p{i}", TTL, NOW) for i in range(8)))
    assert sum(taken) == 1
    winner = f"p{taken.index(True)}"
    assert await lease.holder("scheduler", NOW) == winner
