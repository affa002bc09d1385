"""The inbox: platform deliveries that were acknowledged and wait for their work (adapters/inbox.py).

Taking work is one atomic statement (UPDATE … WHERE id IN (oldest free rows) RETURNING), so two workers on one
database never take the same delivery: PostgreSQL skips rows another worker has locked, SQLite has one writer at a
time. A taken delivery that is not finished by `claimed_until` (its worker died) is free again.

Keeping deliveries (`put`) is what the process that answers the platform does all day, on the event loop that
answers it, so it skips SQLAlchemy: one statement on a connection the inbox holds, straight to the driver. Through a
session, a write cost 0.7-1.0 ms of the loop's CPU whatever its rows (checkout, transaction, statement building,
commit, return); this way 0.05-0.1 ms (bench/inbox_write.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from storage import sqlite_driver
from storage._sql import table_of
from storage.database import SqlStore
from storage.tables import InboxRow

_COLUMNS = "INSERT INTO inbox (platform, kind, team, payload, received_at, attempts)"
_PUT = {"sqlite": f"{_COLUMNS} VALUES (?, ?, ?, ?, ?, 0)", "postgresql": f"{_COLUMNS} VALUES ($1, $2, $3, $4, $5, 0)"}


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    team: str
    payload: str
    attempts: int


class SqlInbox:
    """The `inbox` table of one platform's deliveries. Times come from the caller's clock."""

    def __init__(self, store: SqlStore, platform: str) -> None:
        self._store = store
        self._platform = platform
        dialect = store.engine.dialect
        self._postgres = dialect.name == "postgresql"
        self._put = _PUT["postgresql" if self._postgres else "sqlite"]
        # The column type's own conversion (UTC, and SQLite's text form), as SQLAlchemy would apply it.
        convert = table_of(InboxRow).c.received_at.type.bind_processor(dialect)
        self._received_at: Callable[[datetime], Any] = convert or (lambda value: value)
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the held connection's aiosqlite or asyncpg connection
        self._writing = asyncio.Lock()

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Keeps (kind, team, payload) deliveries, in this order, in one transaction."""
        if not deliveries:
            return
        received_at = self._received_at(now)
        rows = [(self._platform, kind, team, payload, received_at) for kind, team, payload in deliveries]
        async with self._writing:
            held = self._connection is not None
            try:
                await self._write(rows)
                return
            except BaseException as error:
                await self._let_go()
                if not held or not isinstance(error, Exception):
                    raise
            # The server may have closed a connection held since an earlier write (a restart, an idle timeout):
            # once more on a new one, before the writer's own retry and its error in the log.
            try:
                await self._write(rows)
            except BaseException:
                await self._let_go()
                raise

    async def _write(self, rows: list[tuple[str, str, str, str, Any]]) -> None:
        if self._connection is None:
            self._connection = await self._store.hold()
            self._driver = (await self._connection.get_raw_connection()).driver_connection
        if self._postgres:
            await self._driver.executemany(self._put, rows)  # in a transaction of its own
        else:
            await sqlite_driver.write_many(self._driver, self._put, rows)

    async def _let_go(self) -> None:
        """After a failed write: refused rows leave the connection as it was, but a lost server or a cancelled
        write may not, so the next write starts on a new one."""
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            await self._store.let_go(connection, broken=True)

    async def take(self, holder: str, limit: int, now: datetime, lease: timedelta) -> list[Delivery]:
        """Up to `limit` of the oldest free deliveries, now `holder`'s until now + lease, oldest first."""
        free = (
            select(col(InboxRow.id))
            .where(
                col(InboxRow.platform) == self._platform,
                or_(col(InboxRow.claimed_until).is_(None), col(InboxRow.claimed_until) <= now),
            )
            .order_by(col(InboxRow.id))
            .limit(limit)
        )
        if self._postgres:
            free = free.with_for_update(skip_locked=True)
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id).in_(free.scalar_subquery()))
            .values(holder=holder, claimed_until=now + lease, attempts=col(InboxRow.attempts) + 1)
            .returning(
                col(InboxRow.id), col(InboxRow.kind), col(InboxRow.team), col(InboxRow.payload), col(InboxRow.attempts)
            )
        )
        async with self._store.unit() as uow:
            rows = (await uow.session.execute(statement)).all()
            await uow.commit()
        return sorted((Delivery(*row) for row in rows), key=lambda d: d.id)

    async def finish(self, ids: Sequence[int], holder: str) -> None:
        """The work of these deliveries is done: they leave the inbox, those `holder` still holds. One another worker
        took meanwhile (its lease ended while this one worked) is that worker's to remove; and on SQLite, where the
        id of a removed last row is given to the next, an id removed twice could be a newer delivery's."""
        if not ids:
            return
        statement = delete(InboxRow).where(col(InboxRow.id).in_(list(ids)), col(InboxRow.holder) == holder)
        async with self._store.unit() as uow:
            await uow.session.exec(statement)
            await uow.commit()

    async def retry(self, ids: Sequence[int], holder: str, at: datetime) -> None:
        """These deliveries, still `holder`'s, failed: they are free to take again from `at` instead of when their
        lease ends."""
        if not ids:
            return
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id).in_(list(ids)), col(InboxRow.holder) == holder)
            .values(claimed_until=at)
        )
        async with self._store.unit() as uow:
            await uow.session.exec(statement)
            await uow.commit()

    async def release(self, holder: str) -> int:
        """Frees what `holder` took and did not finish (it is stopping), for any worker to take at once."""
        statement = (
            update(InboxRow)
            .where(col(InboxRow.platform) == self._platform, col(InboxRow.holder) == holder)
            .values(holder=None, claimed_until=None)
        )
        async with self._store.unit() as uow:
            result = await uow.session.exec(statement)
            await uow.commit()
        return int(result.rowcount)

    async def waiting(self) -> int:
        """How many deliveries wait or are being worked on (every worker's)."""
        statement = select(func.count()).select_from(InboxRow).where(col(InboxRow.platform) == self._platform)
        async with self._store.unit() as uow:
            return int((await uow.session.exec(statement)).one())
