"""Idempotency keys."""

from __future__ import annotations

import asyncio

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
