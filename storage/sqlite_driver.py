"""aiosqlite with one trip to its thread per statement.

aiosqlite runs sqlite3 on a thread of its own, and every call crosses to it and back: SQLAlchemy's adapter makes four
crossings for a SELECT (open a cursor, execute, fetch the rows, close the cursor). On the small virtual machines this
project runs on, a crossing costs about 70 µs of CPU (two thread wake-ups), several times what SQLite itself spends on
a typical statement here. This cursor opens, executes, fetches and closes in one crossing and keeps the rows, so a
statement costs one. The engine gets it through `create_async_engine(async_creator=…)`; SQLAlchemy's aiosqlite
dialect is otherwise untouched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager

Description = tuple[tuple[str, None, None, None, None, None, None], ...]
Outcome = tuple[Description | None, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Outcome:
    """On the connection's thread: the whole life of a cursor, and what the caller reads of it afterwards."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _write(connection: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """On the connection's thread: `sql` for every row, in one transaction of its own, or nothing of it."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany(sql, rows)
        connection.execute("COMMIT")
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")


async def write_many(connection: aiosqlite.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Runs `sql` for every row in one transaction (IMMEDIATE: it waits its turn, as the engine's units do), all in
    one trip. The connection must leave transactions to its caller (isolation_level None, as the engine sets it)."""
    await _trip(connection, _write, connection._conn, sql, rows)


async def _trip(connection: aiosqlite.Connection, function: Any, *args: Any) -> Any:
    """Runs `function(*args)` on the connection's thread (aiosqlite's own queue) and waits for it."""
    return await connection._execute(function, *args)  # type: ignore[no-untyped-call]


class OneTripCursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose statement runs and is read in one trip; fetching then serves the rows kept."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        # No sqlite3 cursor is kept between calls: each statement opens and closes its own on the thread.
        self.iter_chunk_size = connection._iter_chunk_size
        self._conn = connection
        self._rows: list[Any] = []
        self._description: Description | None = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    async def _statement(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        outcome = await _trip(self._conn, _run, self._conn._conn, sql, parameters, many)
        self._description, self._rowcount, self._lastrowid, self._rows = outcome
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        return await self._statement(sql, [] if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._statement(sql, parameters, many=True)

    async def executescript(self, sql_script: str) -> OneTripCursor:
        await _trip(self._conn, self._conn._conn.executescript, sql_script)
        self._description, self._rowcount, self._lastrowid, self._rows = None, -1, None, []
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self._arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Description:
        return self._description  # type: ignore[return-value]  # None before a query, as sqlite3's


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, handing out `OneTripCursor`s: opening one is no trip at all."""

    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return OneTripCursor(self)


async def connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """As `aiosqlite.connect(database, **kwargs)`, with one-trip cursors; its thread does not keep a process alive."""
    connection = OneTripConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True
    return await connection
