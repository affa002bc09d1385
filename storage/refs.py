"""Adapter state the core has no word for, kept as JSON by (workspace, platform, kind, key)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from storage.database import SqlStore
from storage.tables import PlatformRefRow, utcnow


class SqlPlatformRefs:
    """Remembers and recalls platform references; each call is its own short transaction."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def put(self, workspace: str, platform: str, kind: str, key: str, data: dict[str, Any]) -> None:
        async with self._store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            session = uow.session
            row = (
                await session.exec(
                    select(PlatformRefRow).where(
                        col(PlatformRefRow.workspace_id) == ws.id,
                        col(PlatformRefRow.platform) == platform,
                        col(PlatformRefRow.kind) == kind,
                        col(PlatformRefRow.key) == key,
                    )
                )
            ).first()
            if row is None:
                row = PlatformRefRow(workspace_id=ws.id, platform=platform, kind=kind, key=key)
            row.data, row.updated_at = data, utcnow()
            session.add(row)
            await uow.commit()

    async def get(self, workspace: str, platform: str, kind: str, key: str) -> dict[str, Any] | None:
        async with self._store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            row = (
                await uow.session.exec(
                    select(PlatformRefRow).where(
                        col(PlatformRefRow.workspace_id) == ws.id,
                        col(PlatformRefRow.platform) == platform,
                        col(PlatformRefRow.kind) == kind,
                        col(PlatformRefRow.key) == key,
                    )
                )
            ).first()
            await uow.commit()
            return dict(row.data) if row is not None else None
