"""URLs, engines and the unit of work."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError

import storage.database
from bot.errors import Busy
from bot.models import Person, Workspace
from bot.ports import Store
from storage.database import SqlStore, busy, create_engine, database_url

AddPerson = Callable[..., Awaitable[Person]]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///swarm.db", "sqlite+aiosqlite:///swarm.db"),
        ("sqlite:////var/lib/swarm/swarm.db", "sqlite+aiosqlite:////var/lib/swarm/swarm.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+pysqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://swarm:s3cret@db:5432/swarm", "postgresql+asyncpg://swarm:s3cret@db:5432/swarm"),
        ("postgres://swarm@db/swarm", "postgresql+asyncpg://swarm@db/swarm"),
        ("postgresql+psycopg2://db/swarm", "postgresql+asyncpg://db/swarm"),
        ("postgresql+asyncpg://db/swarm", "postgresql+asyncpg://db/swarm"),
        (
            "postgresql://db/swarm?options=-csearch_path%3Dt1",
            "postgresql+asyncpg://db/swarm?options=-csearch_path%3Dt1",
        ),
    ],
)
def test_database_url_picks_the_async_driver(given: str, expected: str) -> None:
    assert database_url(given) == expected


@pytest.mark.parametrize("given", ["mysql://db/swarm", "not a url", ""])
def test_database_url_refuses_what_it_cannot_serve(given: str) -> None:
    with pytest.raises(ValueError):
        database_url(given)


@pytest.mark.parametrize("options", ["-x", "-csearch_path", "search_path=t1"])
def test_create_engine_refuses_malformed_postgresql_options(options: str) -> None:
    with pytest.raises(ValueError):
        create_engine(f"postgresql://db/swarm?options={options}")


def test_sql_store_is_a_store(store: SqlStore) -> None:
    checked: Store = store  # mypy proves the Protocol is met; this only has to run
    assert checked is store


async def test_leaving_a_unit_without_commit_rolls_back(store: SqlStore) -> None:
    async with store.unit() as uow:
        await uow.workspaces.ensure("T-GONE")
    async with store.unit() as uow:
        assert await _workspace_keys(store) == []


async def test_an_exception_rolls_the_unit_back(store: SqlStore) -> None:
    with pytest.raises(RuntimeError):
        async with store.unit() as uow:
            await uow.workspaces.ensure("T-GONE")
            raise RuntimeError("boom")
    assert await _workspace_keys(store) == []


async def test_commit_keeps_the_work_so_far_and_the_unit_goes_on(store: SqlStore) -> None:
    async with store.unit() as uow:
        await uow.workspaces.ensure("T-KEPT")
        await uow.commit()
        await uow.workspaces.ensure("T-LATER")
        await uow.commit()
        await uow.workspaces.ensure("T-GONE")
    assert await _workspace_keys(store) == ["T-KEPT", "T-LATER"]


async def test_foreign_keys_are_enforced(store: SqlStore) -> None:
    async with store.unit() as uow:
        with pytest.raises(IntegrityError):
            await uow.people.add(Person(workspace_id=999_999, name="Nobody"))


async def test_datetimes_come_back_aware_and_in_utc(add_person: AddPerson, store: SqlStore) -> None:
    madrid_noon = datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    person = await add_person("Ana", away_until=madrid_noon)
    async with store.unit() as uow:
        loaded = await uow.people.get(person.id or 0)
    assert loaded is not None and loaded.away_until is not None
    assert loaded.away_until.utcoffset() == timedelta(0)
    assert loaded.away_until == madrid_noon
    assert loaded.away_until < datetime.now(UTC)


async def test_naive_datetimes_are_refused(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.people.add(Person(workspace_id=workspace.id, name="Ana", away_until=datetime(2024, 6, 1)))


async def test_each_postgresql_test_works_in_a_schema_of_its_own(store: SqlStore, database_url: str) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("schemas are a PostgreSQL matter")
    async with store.engine.connect() as connection:
        schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
    assert schema.startswith("t_")
    assert f"search_path%3D{schema}" in database_url


async def test_sqlite_runs_in_wal_mode(store: SqlStore) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("journal modes are a SQLite matter")
    async with store.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1


async def test_a_store_leaves_an_engine_it_was_given_open(store: SqlStore) -> None:
    borrowed = SqlStore(store.engine)
    await borrowed.close()
    async with store.unit() as uow:
        await uow.workspaces.ensure("T-STILL-OPEN")


async def test_a_held_connection_stays_out_of_the_pool_until_let_go_and_a_broken_one_is_closed(
    store: SqlStore,
) -> None:
    pool: Any = store.engine.pool
    held = await store.hold()
    async with store.unit() as uow:  # units take other connections meanwhile
        await uow.workspaces.ensure("T-BESIDE")
        assert pool.checkedout() == 2
    assert (pool.checkedout(), pool.checkedin()) == (1, 1)
    await store.let_go(held)
    assert (pool.checkedout(), pool.checkedin()) == (0, 2)  # back in the pool, for anyone

    broken = await store.hold()
    driver = (await broken.get_raw_connection()).driver_connection  # aiosqlite's or asyncpg's connection
    await driver.execute("SELECT 1")
    await store.let_go(broken, broken=True)
    with pytest.raises(Exception, match=r"(?i)closed|no active connection"):  # closed for good, not reused
        await driver.execute("SELECT 1")

    await store.hold()
    await store.close()  # gives back what is still held
    assert pool.checkedout() == 0


async def _workspace_keys(store: SqlStore) -> list[str]:
    async with store.engine.connect() as connection:
        rows = await connection.execute(text("SELECT key FROM workspace ORDER BY id"))
        return [key for (key,) in rows]


class _PgError(Exception):
    """What asyncpg's errors carry through SQLAlchemy's adapter: the SQLSTATE code."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "is_busy"),
    [
        (OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("INSERT", {}, sqlite3.OperationalError("database table is locked")), True),
        (OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: swarm")), False),
        (DBAPIError("UPDATE", {}, _PgError("40001")), True),  # serialization failure
        (DBAPIError("UPDATE", {}, _PgError("40P01")), True),  # deadlock
        (DBAPIError("SELECT", {}, _PgError("08006")), True),  # connection failure
        (DBAPIError("SELECT", {}, _PgError("57P01")), True),  # the server shutting down
        (DBAPIError("SELECT", {}, _PgError("53300")), True),  # too many connections
        (DBAPIError("INSERT", {}, _PgError("23505")), False),  # a unique violation: the statement is wrong
        (DBAPIError("INSERT", {}, _PgError("42P01")), False),  # no such table
        (DBAPIError("SELECT", {}, Exception("gone"), connection_invalidated=True), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (ValueError("naive datetime"), False),
    ],
)
def test_only_a_busy_or_absent_database_is_worth_trying_again(error: BaseException, is_busy: bool) -> None:
    assert busy(error) is is_busy


async def test_a_unit_that_meets_a_locked_database_raises_busy(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("a lock held by another process is a SQLite matter here")
    monkeypatch.setattr(storage.database, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.05)
    impatient = SqlStore(store.engine.url.render_as_string(hide_password=False))
    database = impatient.engine.url.database
    assert database is not None
    holder = sqlite3.connect(database)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, and not letting go
    try:
        with pytest.raises(Busy):
            async with impatient.unit() as uow:
                await uow.workspaces.ensure("T-LOCKED-OUT")
                await uow.commit()
    finally:
        holder.rollback()
        holder.close()
        await impatient.close()
