"""The suite's databases: an empty one per test, and a migrated copy made from a template instead of by migrating.

Migrating a fresh database with Alembic costs about a quarter of a second, and most tests want a migrated one. So each
test process (each pytest-xdist worker) migrates once and copies the result into every test that asks for `store`:
- SQLite: the template is a file migrated with `storage.database.upgrade`; a test's database is a copy of that file.
- PostgreSQL: every test has a schema of its own (so tests never see each other's rows, and workers run side by side
  in one database). The template is the script `alembic upgrade head --sql` writes for PostgreSQL, run in the test's
  schema in one round trip. tests/storage/test_migrations.py checks that it builds the same schema as `upgrade`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from sqlalchemy.engine import make_url

from storage.database import _alembic_config, _split_pg_options, upgrade


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def schema_url(server: str, schema: str) -> str:
    """The URL of one schema on a PostgreSQL server, in the form a user would configure it."""
    return make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


@asynccontextmanager
async def fresh_schema(server: str) -> AsyncIterator[str]:
    """An empty schema of its own on the server for as long as the context lasts; yields its URL."""
    url = await _new_schema(server)
    try:
        yield url
    finally:
        await _drop_schema(url)


class SqliteTemplate:
    """A SQLite file migrated once; `fill` gives a test's (not yet existing) database file a copy of it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"
        asyncio.run(upgrade(sqlite_url(self.path)))
        # The engine is disposed, so SQLite has checkpointed its write-ahead log into the file: the file is it all.
        assert not Path(f"{self.path}-wal").exists() or Path(f"{self.path}-wal").stat().st_size == 0

    async def fill(self, url: str) -> None:
        await asyncio.to_thread(self._copy_to, Path(make_url(url).database or ""))

    def _copy_to(self, target: Path) -> None:
        if target.exists():
            raise AssertionError(f"{target} exists already: the template fills only an empty database")
        shutil.copyfile(self.path, target)


class PostgresTemplate:
    """The migration script for PostgreSQL, made once, and the schemas it built, kept for the next tests.

    `lend` gives a test a migrated schema with no rows: one a test before it gave back, emptied, or else a new one
    the script fills. A schema comes back only when its shape is still the template's (a test may drop an index or
    migrate down); otherwise it is dropped. Emptying takes a few milliseconds where building takes about 150.
    """

    def __init__(self, server: str) -> None:
        config = _alembic_config()
        # Without an ini file name, env.py leaves logging alone: alembic.ini's would print every migration's INFO
        # line on stderr for the rest of the process, into what other tests read from it.
        config.config_file_name = None
        config.output_buffer = io.StringIO()
        config.cmd_opts = argparse.Namespace(x=[f"url={server}"])  # env.py reads the offline URL from `-x url=`
        command.upgrade(config, "head", sql=True)
        self.script = config.output_buffer.getvalue()
        self.server = server
        self._free: list[str] = []  # schemas lent and given back, empty, as the script made them
        self._shape: str | None = None  # the fingerprint of a schema the script made
        self._empty: str | None = None  # what empties one: a DELETE for every table, a restart for every sequence

    async def fill(self, url: str) -> None:
        """Runs the migration script in the empty schema of `url`."""
        connection = await _connect(url)
        try:
            await connection.execute(self.script)  # no arguments: the simple protocol runs the whole script at once
            if self._shape is None:
                self._shape = await _shape(connection)
                self._empty = await _emptying(connection)
        finally:
            await connection.close()

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[str]:
        """A migrated schema with no rows, for as long as the context lasts; yields its URL."""
        if self._free:
            url = self._free.pop()
        else:
            url = await _new_schema(self.server)
            await self.fill(url)
        try:
            yield url
        finally:
            if await self._emptied(url):
                self._free.append(url)
            else:
                await _drop_schema(url)

    async def _emptied(self, url: str) -> bool:
        """Empties the schema if it still has the template's shape; False if it has another (or could not be)."""
        assert self._empty is not None
        connection = await _connect(url)
        try:
            if await _shape(connection) != self._shape:
                return False
            # A lock a test left behind must not hang the suite: such a schema is dropped instead of kept.
            await connection.execute("SET lock_timeout = '5s'; SET session_replication_role = replica; " + self._empty)
            return True
        except asyncpg.PostgresError:
            return False
        finally:
            await connection.close()

    async def close(self) -> None:
        """Drops the schemas kept for later tests: the session is over."""
        for url in self._free:
            await _drop_schema(url)
        self._free.clear()


def _schema_of(url: str) -> str:
    """The schema a URL's connections use: its `options`, read as storage reads them for asyncpg."""
    return str(_connect_args(url).get("server_settings", {}).get("search_path", ""))


def _connect_args(url: str) -> dict[str, Any]:
    return _split_pg_options(make_url(url))[1]


async def _new_schema(server: str) -> str:
    """Creates an empty schema of a name of its own on the server; returns the URL whose connections use it."""
    url = schema_url(server, f"t_{uuid.uuid4().hex}")
    await _execute(server, f'CREATE SCHEMA "{_schema_of(url)}"')
    return url


async def _drop_schema(url: str) -> None:
    await _execute(url, f'DROP SCHEMA IF EXISTS "{_schema_of(url)}" CASCADE')


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
        **_connect_args(url),
    )


async def _execute(url: str, statement: str) -> None:
    connection = await _connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# Everything about a schema's shape that a test could change: its relations (tables, indexes, sequences, with their
# options), columns, constraints, triggers, functions, and the migration it is at.
SHAPE = """
SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
    SELECT relname || ':' || relkind::text || ':' || coalesce(array_to_string(reloptions, ';'), '') AS part
      FROM pg_class WHERE relnamespace = current_schema()::regnamespace
    UNION ALL
    SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT conname || ':' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
    UNION ALL
    SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT proname || ':' || md5(prosrc) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'at:' || version_num FROM alembic_version
) parts
"""


async def _shape(connection: asyncpg.Connection) -> str:
    return str(await connection.fetchval(SHAPE))


async def _emptying(connection: asyncpg.Connection) -> str:
    """The statements that take every row out of a schema the script made, but the migration it is at."""
    tables = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
    )
    sequences = await connection.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    return "; ".join(
        [f'DELETE FROM "{row[0]}"' for row in tables] + [f'ALTER SEQUENCE "{row[0]}" RESTART' for row in sequences]
    )


Template = SqliteTemplate | PostgresTemplate
