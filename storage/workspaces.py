"""Workspaces (tenants) and their per-workspace counters."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from bot.models import Workspace
from storage._sql import Repository
from storage.tables import WorkspaceRow, utcnow


class SqlWorkspaceRepository(Repository):
    async def keys(self) -> list[str]:
        statement = select(WorkspaceRow.key).order_by(col(WorkspaceRow.id))
        return list((await self._session.exec(statement)).all())

    async def ensure(self, key: str, name: str = "") -> Workspace:
        # Nearly every unit of work starts here and the workspace nearly always exists: read first, so the common
        # case is one SELECT rather than an INSERT that does nothing (and, on PostgreSQL, burns a sequence value).
        lookup = select(WorkspaceRow).where(WorkspaceRow.key == key)
        row = (await self._session.exec(lookup)).first()
        if row is None:
            # ON CONFLICT, so two first events from a new Slack team cannot both insert it.
            insert = self._insert(WorkspaceRow).values(key=key, name=name, created_at=utcnow())
            await self._session.exec(insert.on_conflict_do_nothing(index_elements=["key"]))
            row = (await self._session.exec(lookup)).one()
        if name and row.name != name:
            row.name = name  # a renamed Slack team or Teams tenant
            await self._session.flush()
        return _to_workspace(row)

    async def get(self, key: str) -> Workspace | None:
        row = (await self._session.exec(select(WorkspaceRow).where(WorkspaceRow.key == key))).first()
        return None if row is None else _to_workspace(row)

    async def by_id(self, workspace_id: int) -> Workspace | None:
        row = await self._session.get(WorkspaceRow, workspace_id)
        return None if row is None else _to_workspace(row)

    async def save(self, workspace: Workspace) -> None:
        row = await self._session.get(WorkspaceRow, workspace.id)
        if row is None:
            raise LookupError(f"no workspace with id {workspace.id}")
        row.digest_channel = workspace.digest_channel
        row.digest_off = workspace.digest_off
        row.nudges_off = workspace.nudges_off
        await self._session.flush()

    async def next_swarm_number(self, workspace_id: int) -> int:
        return await self._bump(workspace_id, "swarm_counter")

    async def next_article_number(self, workspace_id: int) -> int:
        return await self._bump(workspace_id, "article_counter")

    async def _bump(self, workspace_id: int, counter: str) -> int:
        # One UPDATE … RETURNING: the row lock (PostgreSQL) or the write lock (SQLite) makes read-and-increment atomic.
        column = col(getattr(WorkspaceRow, counter))
        statement = (
            update(WorkspaceRow)
            .where(col(WorkspaceRow.id) == workspace_id)
            .values({column: column + 1})
            .returning(column)
            .execution_options(synchronize_session=False)
        )
        number = (await self._session.exec(statement)).scalar_one_or_none()
        if number is None:
            raise LookupError(f"no workspace with id {workspace_id}")
        return int(number)


def _to_workspace(row: WorkspaceRow) -> Workspace:
    assert row.id is not None
    return Workspace(
        id=row.id,
        key=row.key,
        name=row.name,
        digest_channel=row.digest_channel,
        digest_off=row.digest_off,
        nudges_off=row.nudges_off,
    )
