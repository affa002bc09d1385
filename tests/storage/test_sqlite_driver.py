"""aiosqlite with one trip to its thread per statement: a statement returns what sqlite3 returns, in one trip."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import sqlite_driver
from storage.database import create_engine


class CountedConnection(sqlite_driver.OneTripConnection):
    """Counts the trips to the connection's thread (aiosqlite's `_execute` is the one way there)."""

    trips = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.trips += 1
        return await super()._execute(fn, *args, **kwargs)


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[CountedConnection]:
    counted = CountedConnection(partial(sqlite3.connect, str(tmp_path / "one.db")), iter_chunk_size=64)
    await counted
    cursor = await counted.cursor()
    await cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
    try:
        yield counted
    finally:
        await counted.close()


async def test_a_select_is_one_trip_and_its_rows_are_kept(connection: CountedConnection) -> None:
    cursor = await connection.cursor()
    await cursor.executemany("INSERT INTO note (body) VALUES (?)", [("a",), ("b",), ("c",)])
    assert cursor.rowcount == 3
    before = connection.trips

    async with connection.cursor() as cursor:
        await cursor.execute("SELECT id, body FROM note ORDER BY id")
        assert [d[0] for d in cursor.description] == ["id", "body"]
        assert await cursor.fetchone() == (1, "a")
        assert await cursor.fetchmany(1) == [(2, "b")]
        assert await cursor.fetchall() == [(3, "c")]
        assert await cursor.fetchone() is None

    assert connection.trips == before + 1


async def test_an_insert_tells_its_row_id_and_count_and_returning_gives_rows(connection: CountedConnection) -> None:
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO note (body) VALUES (?)", ("first",))
    assert (cursor.lastrowid, cursor.rowcount, cursor.description) == (1, 1, None)
    assert await cursor.fetchall() == []

    await cursor.execute("INSERT INTO note (body) VALUES (?), (?) RETURNING id", ("x", "y"))
    assert await cursor.fetchall() == [(2,), (3,)]


async def test_an_error_reaches_the_caller_and_the_connection_goes_on(connection: CountedConnection) -> None:
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO note (body) VALUES ('same')")
    with pytest.raises(sqlite3.IntegrityError):
        await cursor.execute("INSERT INTO note (body) VALUES ('same')")
    await cursor.execute("SELECT count(*) FROM note")
    assert await cursor.fetchall() == [(1,)]


async def test_a_write_of_many_rows_is_one_trip_and_one_transaction(tmp_path: Path) -> None:
    counted = CountedConnection(
        partial(sqlite3.connect, str(tmp_path / "w.db"), isolation_level=None), iter_chunk_size=64
    )
    await counted
    try:
        cursor = await counted.cursor()
        await cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
        before = counted.trips
        await sqlite_driver.write_many(counted, "INSERT INTO note (body) VALUES (?)", [("a",), ("b",)])
        assert counted.trips == before + 1

        with pytest.raises(sqlite3.IntegrityError):  # "c" would fit, "a" is there already: neither is kept
            await sqlite_driver.write_many(counted, "INSERT INTO note (body) VALUES (?)", [("c",), ("a",)])
        await sqlite_driver.write_many(counted, "INSERT INTO note (body) VALUES (?)", [("d",)])
        await cursor.execute("SELECT body FROM note ORDER BY id")
        assert await cursor.fetchall() == [("a",), ("b",), ("d",)]
        assert not counted._conn.in_transaction
    finally:
        await counted.close()


async def test_the_engine_runs_on_it_with_the_project_settings(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'swarm.db'}")
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_driver.OneTripConnection)
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            await connection.execute(text("CREATE TABLE tag (name TEXT PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO tag VALUES ('pdf')"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO tag VALUES ('pdf')"))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT lower('ÁNGEL'), count(*) FROM tag"))).one() == ("ángel", 1)
    finally:
        await engine.dispose()
