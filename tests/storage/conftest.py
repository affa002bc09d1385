"""Fixtures for the storage tests: two workspaces on the test's store and a quick way to add people."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.models import Person, Workspace
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]


@pytest.fixture
async def workspace(store: SqlStore) -> Workspace:
    async with store.unit() as uow:
        created = await uow.workspaces.ensure("T-ACME", "Acme")
        await uow.commit()
    return created


@pytest.fixture
async def other_workspace(store: SqlStore) -> Workspace:
    async with store.unit() as uow:
        created = await uow.workspaces.ensure("T-GLOBEX", "Globex")
        await uow.commit()
    return created


@pytest.fixture
def add_person(store: SqlStore, workspace: Workspace) -> AddPerson:
    """add_person(name, **fields) commits a person (in `workspace` unless workspace_id is given) and returns it."""

    async def add(name: str, **fields: Any) -> Person:
        fields.setdefault("workspace_id", workspace.id)
        async with store.unit() as uow:
            person = await uow.people.add(Person(name=name, **fields))
            await uow.commit()
        return person

    return add
