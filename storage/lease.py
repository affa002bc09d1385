"""Leases: which one of several processes on one database does a piece of work (runs the scheduled jobs), until when.

A lease is a row of `scheduler_lease` (name, holder, expires_at). Taking and renewing it is one atomic statement,
so two processes asking at the same moment cannot both get it, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from storage.database import SqlStore
from storage.tables import SchedulerLeaseRow


class SqlLease:
    """Named leases in the store's database. Times come from the caller's clock (tests pass their own)."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Takes the lease, or renews it, for `ttl` from `now`; False while someone else holds an unexpired one.

        INSERT … ON CONFLICT DO UPDATE … WHERE: the row is written (and returned) only if it is new, already ours,
        or expired; otherwise the statement changes nothing and returns no row."""
        expires = now + ttl
        insert = postgresql.insert if self._store.engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(SchedulerLeaseRow)
            .values(name=name, holder=holder, expires_at=expires)
            .on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": holder, "expires_at": expires},
                where=or_(col(SchedulerLeaseRow.holder) == holder, col(SchedulerLeaseRow.expires_at) <= now),
            )
            .returning(col(SchedulerLeaseRow.holder))
        )
        async with self._store.unit() as uow:
            taken = (await uow.session.exec(statement)).first() is not None
            await uow.commit()
        return taken

    async def release(self, name: str, holder: str) -> None:
        """Gives the lease up at once (a clean shutdown), so another process need not wait for it to expire."""
        statement = delete(SchedulerLeaseRow).where(
            col(SchedulerLeaseRow.name) == name, col(SchedulerLeaseRow.holder) == holder
        )
        async with self._store.unit() as uow:
            await uow.session.exec(statement)
            await uow.commit()

    async def holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lease at `now`; None if nobody does (never taken, released or expired)."""
        statement = select(col(SchedulerLeaseRow.holder)).where(
            col(SchedulerLeaseRow.name) == name, col(SchedulerLeaseRow.expires_at) > now
        )
        async with self._store.unit() as uow:
            return (await uow.session.exec(statement)).first()
