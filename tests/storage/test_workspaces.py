"""Workspaces and their counters."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Workspace
from storage.database import SqlStore


async def test_ensure_creates_a_workspace_once(store: SqlStore) -> None:
    async with store.unit() as uow:
        first = await uow.workspaces.ensure("T01", "Acme")
        again = await uow.workspaces.ensure("T01")
        other = await uow.workspaces.ensure("T02", "Globex")
        await uow.commit()
    assert first == again == Workspace(id=first.id, key="T01", name="Acme")
    assert other.id != first.id


async def test_ensure_takes_a_new_name_but_keeps_the_old_one_when_given_none(store: SqlStore) -> None:
    async with store.unit() as uow:
        await uow.workspaces.ensure("T01", "Acme")
        renamed = await uow.workspaces.ensure("T01", "Acme Corp")
        unnamed = await uow.workspaces.ensure("T01")
        await uow.commit()
    assert renamed.name == unnamed.name == "Acme Corp"


async def test_numbers_count_per_workspace_and_per_kind(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    async with store.unit() as uow:
        swarms = [await uow.workspaces.next_swarm_number(workspace.id) for _ in range(3)]
        other = await uow.workspaces.next_swarm_number(other_workspace.id)
        articles = [await uow.workspaces.next_article_number(workspace.id) for _ in range(2)]
        await uow.commit()
    assert (swarms, other, articles) == ([1, 2, 3], 1, [1, 2])


async def test_a_rolled_back_number_is_handed_out_again(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        assert await uow.workspaces.next_swarm_number(workspace.id) == 1
    async with store.unit() as uow:
        assert await uow.workspaces.next_swarm_number(workspace.id) == 1


async def test_concurrent_openers_never_share_a_number(store: SqlStore, workspace: Workspace) -> None:
    async def open_one() -> int:
        async with store.unit() as uow:
            number = await uow.workspaces.next_swarm_number(workspace.id)
            await asyncio.sleep(0.01)  # keep the transaction open while the others try
            await uow.commit()
            return number

    numbers = await asyncio.gather(*(open_one() for _ in range(12)))
    assert sorted(numbers) == list(range(1, 13))


async def test_an_unknown_workspace_has_no_numbers(store: SqlStore) -> None:
    async with store.unit() as uow:
        with pytest.raises(LookupError):
            await uow.workspaces.next_swarm_number(404)
