"""The inbox: platform deliveries that were acknowledged and wait for their work (adapters/inbox.py).

Taking work is one atomic statement (UPDATE … WHERE id IN (oldest free rows) RETURNING), so two workers on one
database never take the same delivery: PostgreSQL skips rows another worker has locked, SQLite has one writer at a
time. A taken delivery that is not finished by `claimed_until` (its worker died) is free again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, update
from sqlmodel import col, select

from storage._sql import table_of
from storage.database import SqlStore
from storage.tables import InboxRow


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
        self._postgres = store.engine.dialect.name == "postgresql"

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Keeps (kind, team, payload) deliveries, in this order, in one transaction."""
        if not deliveries:
            return
        rows = [
            {"platform": self._platform, "kind": kind, "team": team, "payload": payload, "received_at": now}
            for kind, team, payload in deliveries
        ]
        async with self._store.unit() as uow:
            await uow.session.exec(insert(table_of(InboxRow)).values(attempts=0), params=rows)
            await uow.commit()

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

    async def finish(self, ids: Sequence[int]) -> None:
        """The work of these deliveries is done: they leave the inbox."""
        if not ids:
            return
        async with self._store.unit() as uow:
            await uow.session.exec(delete(InboxRow).where(col(InboxRow.id).in_(list(ids))))
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
