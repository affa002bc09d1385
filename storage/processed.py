"""Idempotency keys: one delivery of a platform event has one effect, however often it is retried."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col

from storage._sql import Repository
from storage.tables import ProcessedEventRow, utcnow


class SqlProcessedEventRepository(Repository):
    async def claim(self, workspace_id: int, key: str) -> bool:
        # ON CONFLICT DO NOTHING rather than catching a unique violation: on PostgreSQL that error would abort the
        # whole transaction the handler is working in.
        statement = (
            self._insert(ProcessedEventRow)
            .values(workspace_id=workspace_id, key=key, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["workspace_id", "key"])
            .returning(col(ProcessedEventRow.id))
        )
        return (await self._session.exec(statement)).first() is not None

    async def release(self, workspace_id: int, key: str) -> None:
        statement = delete(ProcessedEventRow).where(
            col(ProcessedEventRow.workspace_id) == workspace_id, col(ProcessedEventRow.key) == key
        )
        await self._session.exec(statement)
