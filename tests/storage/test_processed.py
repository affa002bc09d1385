"""Idempotency keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.models import Workspace
from storage.database import SqlStore


async def test_a_key_is_claimed_once_per_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is True
        assert await uow.processed.claim(workspace.id, "Ev01") is False
        assert await uow.processed.claim(workspace.id, "Ev02") is True
        assert await uow.processed.claim(other_workspace.id, "Ev01") is True
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is False
        assert await uow.processed.claim(other_workspace.id, "Ev02") is True


async def test_claim_many_claims_in_one_go_and_returns_only_the_keys_new_to_the_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    async with store.unit() as uow:
        await uow.processed.claim(workspace.id, "Ev02")
        assert await uow.processed.claim_many(workspace.id, ["Ev01", "Ev02", "Ev03", "Ev01"]) == {"Ev01", "Ev03"}
        assert await uow.processed.claim_many(other_workspace.id, ["Ev02"]) == {"Ev02"}
        assert await uow.processed.claim_many(workspace.id, []) == set()
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.processed.claim_many(workspace.id, ["Ev03", "Ev04"]) == {"Ev04"}


async def test_claimed_tells_which_keys_are_taken_without_taking_any(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    keys = [f"quiet:{n}:1" for n in range(1200)]  # more than one query's worth
    async with store.unit() as uow:
        for key in keys[::100]:
            await uow.processed.claim(workspace.id, key)
        await uow.processed.claim(other_workspace.id, keys[1])
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.processed.claimed(workspace.id, keys) == set(keys[::100])
        assert await uow.processed.claimed(workspace.id, []) == set()
        assert await uow.processed.claim(workspace.id, keys[1]) is True


async def test_a_duplicate_leaves_the_transaction_usable(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is True
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is False
        await uow.workspaces.ensure("T-AFTER-DUPLICATE")
        await uow.commit()
    async with store.engine.connect() as connection:
        keys = await connection.execute(text("SELECT key FROM workspace WHERE key = 'T-AFTER-DUPLICATE'"))
        assert keys.scalar_one_or_none() == "T-AFTER-DUPLICATE"


async def test_a_rolled_back_claim_can_be_claimed_again(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is True
    async with store.unit() as uow:
        assert await uow.processed.claim(workspace.id, "Ev01") is True


async def test_simultaneous_retries_have_one_winner(store: SqlStore, workspace: Workspace) -> None:
    async def deliver() -> bool:
        async with store.unit() as uow:
            claimed = await uow.processed.claim(workspace.id, "Ev-RETRIED")
            await asyncio.sleep(0.01)  # hold the claim while the retries arrive
            await uow.commit()
            return claimed

    results = await asyncio.gather(*(deliver() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def test_a_held_key_is_a_duplicate_until_its_hold_ends_then_it_is_taken_over(
    store: SqlStore, workspace: Workspace
) -> None:
    async with store.unit() as uow:
        assert await uow.processed.hold(workspace.id, "Ev01", "first", NOW, NOW + LEASE) is True
        assert await uow.processed.hold(workspace.id, "Ev01", "second", NOW + LEASE / 2, NOW + LEASE) is False
        later = NOW + LEASE + timedelta(seconds=1)
        assert await uow.processed.hold(workspace.id, "Ev01", "second", later, later + LEASE) is True
        # The first holder's work, had it gone on, can no longer settle what it lost.
        assert await uow.processed.settle(workspace.id, "Ev01", "first") is False
        assert await uow.processed.settle(workspace.id, "Ev01", "second") is True
        # Settled: a claim for good, whatever the time.
        far = NOW + timedelta(days=1)
        assert await uow.processed.hold(workspace.id, "Ev01", "third", far, far + LEASE) is False
        assert await uow.processed.claim_many(workspace.id, ["Ev01"], far) == set()
        await uow.commit()


async def test_claim_many_takes_over_only_the_holds_that_ended(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        await uow.processed.hold(workspace.id, "Ev-DEAD", "died", NOW, NOW + LEASE)
        await uow.processed.hold(workspace.id, "Ev-LIVE", "working", NOW + LEASE, NOW + 2 * LEASE)
        await uow.processed.claim(workspace.id, "Ev-DONE")
        keys = ["Ev-DEAD", "Ev-LIVE", "Ev-DONE", "Ev-NEW"]
        assert await uow.processed.claim_many(workspace.id, keys, NOW + LEASE + timedelta(seconds=1)) == {
            "Ev-DEAD",
            "Ev-NEW",
        }
        # Without a time, no hold is taken over.
        await uow.processed.hold(workspace.id, "Ev-LATE", "died", NOW, NOW + LEASE)
        assert await uow.processed.claim_many(workspace.id, ["Ev-LATE"]) == set()
        # Taken over by claim_many, it is claimed for good: the holder that died cannot settle it.
        assert await uow.processed.settle(workspace.id, "Ev-DEAD", "died") is False


async def test_a_hold_is_released_only_by_its_holder(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        await uow.processed.hold(workspace.id, "Ev01", "mine", NOW, NOW + LEASE)
        await uow.processed.release(workspace.id, "Ev01", "someone else")
        assert await uow.processed.claimed(workspace.id, ["Ev01"]) == {"Ev01"}
        await uow.processed.release(workspace.id, "Ev01", "mine")
        assert await uow.processed.claimed(workspace.id, ["Ev01"]) == set()
