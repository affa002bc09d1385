"""Forgetting: a workspace's or a person's data deleted for good, on request (`swarm workspace forget`, `swarm roster
forget`) or when a Slack workspace uninstalls Swarm with SWARM_UNINSTALL_DATA=delete.

`dry_run` does the same work in a transaction that is rolled back: the counts of what would go, for the question
asked before anything is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import Store


@dataclass(frozen=True)
class Forgotten:
    """What was (or, in a dry run, would be) deleted: a count per kind of data, in a stable order."""

    what: str  # the workspace's key or the person's e-mail
    counts: dict[str, int]


async def forget_workspace(store: Store, key: str, dry_run: bool = False) -> Forgotten | None:
    """Deletes the workspace `key` and everything in it; None if there is no such workspace."""
    async with store.unit() as uow:
        workspace = await uow.workspaces.get(key)
        if workspace is None:
            return None
        counts = await uow.forgetting.forget_workspace(workspace.id, key)
        if not dry_run:
            await uow.commit()
    return Forgotten(key, counts)


async def forget_person(store: Store, key: str, email: str, dry_run: bool = False) -> Forgotten | None:
    """Deletes the person with this e-mail (case-insensitive) in workspace `key`; None if there is no such person
    (or no such workspace)."""
    async with store.unit() as uow:
        workspace = await uow.workspaces.get(key)
        person = None if workspace is None else await uow.people.by_email(workspace.id, email)
        if person is None or person.id is None:
            return None
        counts = await uow.forgetting.forget_person(person.id)
        if not dry_run:
            await uow.commit()
    return Forgotten(email, counts)
