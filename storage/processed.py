"""Idempotency keys: one delivery of a platform event has one effect, however often it is retried."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import col, select

from storage._sql import Repository, table_of
from storage.tables import ProcessedEventRow, utcnow

KEYS_PER_QUERY = 500  # well under SQLite's and asyncpg's bound-parameter limits


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

    async def claim_many(self, workspace_id: int, keys: Iterable[str]) -> set[str]:
        rows = [{"workspace_id": workspace_id, "key": key, "created_at": utcnow()} for key in dict.fromkeys(keys)]
        if not rows:
            return set()
        # Many parameter sets for one statement: compiled once and cached, sent as one multi-row INSERT.
        table = table_of(ProcessedEventRow)
        statement = (
            self._insert(table).on_conflict_do_nothing(index_elements=["workspace_id", "key"]).returning(table.c.key)
        )
        return {key for (key,) in (await self._session.exec(statement, params=rows)).all()}

    async def claimed(self, workspace_id: int, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        found: set[str] = set()
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            statement = select(ProcessedEventRow.key).where(
                col(ProcessedEventRow.workspace_id) == workspace_id,
                col(ProcessedEventRow.key).in_(wanted[start : start + KEYS_PER_QUERY]),
            )
            found.update((await self._session.exec(statement)).all())
        return found

    async def release(self, workspace_id: int, key: str) -> None:
        statement = delete(ProcessedEventRow).where(
            col(ProcessedEventRow.workspace_id) == workspace_id, col(ProcessedEventRow.key) == key
        )
        await self._session.exec(statement)
