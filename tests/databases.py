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

import asyncpg
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import _alembic_config, create_engine, upgrade


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def schema_url(server: str, schema: str) -> str:
    """The URL of one schema on a PostgreSQL server, in the form a user would configure it."""
    return make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


@asynccontextmanager
async def fresh_schema(server: str) -> AsyncIterator[str]:
    """An empty schema of its own on the server for as long as the context lasts; yields its URL."""
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(server)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema_url(server, schema)
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


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
    """The migration script for PostgreSQL, made once; `fill` runs it in a test's empty schema."""

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

    async def fill(self, url: str) -> None:
        parsed = make_url(url)
        options = str(parsed.query.get("options", ""))
        schema = options.removeprefix("-csearch_path=")
        connection = await asyncpg.connect(
            host=parsed.host,
            port=parsed.port,
            user=parsed.username,
            password=parsed.password,
            database=parsed.database,
            server_settings={"search_path": schema},
        )
        try:
            await connection.execute(self.script)  # no arguments: the simple protocol runs the whole script at once
        finally:
            await connection.close()


Template = SqliteTemplate | PostgresTemplate
