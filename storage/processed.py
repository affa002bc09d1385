"""Idempotency keys: one delivery of a platform event has one effect, however often it is retried.

A key is claimed for good at once (`claim`, `claim_many`), or held while a delivery's work runs and settled with that
work's first write (`hold`, `settle`: bot/deliveries.py). A hold whose time ended is a dead worker's: it is taken
over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, update
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

    async def hold(self, workspace_id: int, key: str, holder: str, now: datetime, until: datetime) -> bool:
        table = table_of(ProcessedEventRow)
        statement = (
            self._insert(table)
            .values(workspace_id=workspace_id, key=key, created_at=utcnow(), holder=holder, held_until=until)
            .on_conflict_do_update(
                index_elements=["workspace_id", "key"],
                set_={"holder": holder, "held_until": until},
                where=table.c.held_until.is_not(None) & (table.c.held_until < now),
            )
            .returning(table.c.id)
        )
        return (await self._session.exec(statement)).first() is not None

    async def settle(self, workspace_id: int, key: str, holder: str) -> bool:
        statement = (
            update(ProcessedEventRow)
            .where(
                col(ProcessedEventRow.workspace_id) == workspace_id,
                col(ProcessedEventRow.key) == key,
                col(ProcessedEventRow.holder) == holder,
            )
            .values(holder=None, held_until=None)
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def claim_many(self, workspace_id: int, keys: Iterable[str], now: datetime | None = None) -> set[str]:
        rows = [{"workspace_id": workspace_id, "key": key, "created_at": utcnow()} for key in dict.fromkeys(keys)]
        if not rows:
            return set()
        # Many parameter sets for one statement: compiled once and cached, sent as one multi-row INSERT.
        table = table_of(ProcessedEventRow)
        insert = self._insert(table)
        if now is None:
            statement = insert.on_conflict_do_nothing(index_elements=["workspace_id", "key"])
        else:
            statement = insert.on_conflict_do_update(
                index_elements=["workspace_id", "key"],
                set_={"holder": None, "held_until": None},
                where=table.c.held_until.is_not(None) & (table.c.held_until < now),
            )
        return {key for (key,) in (await self._session.exec(statement.returning(table.c.key), params=rows)).all()}

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

    async def release(self, workspace_id: int, key: str, holder: str | None = None) -> None:
        statement = delete(ProcessedEventRow).where(
            col(ProcessedEventRow.workspace_id) == workspace_id, col(ProcessedEventRow.key) == key
        )
        if holder is not None:
            statement = statement.where(col(ProcessedEventRow.holder) == holder)
        await self._session.exec(statement)
