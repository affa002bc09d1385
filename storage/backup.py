"""`swarm backup` / `swarm restore`: a consistent copy of Swarm's database, and putting one back.

SQLite: the sqlite3 module's online backup API, page by page, consistent while servers keep writing.
PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists` (the PostgreSQL client tools must be on
PATH, of the server's major version or newer). When the URL pins a schema (`options=-csearch_path=NAME`), only that
schema is dumped and restored.

Restoring overwrites the database: it refuses a database that holds Swarm data unless forced. Stop every
`swarm serve` before restoring.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import _split_pg_options, create_engine

# A database with a row in any of these holds Swarm data.
DATA_TABLES = ("workspace", "person", "swarm", "article")
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


async def backup(url: str, file: Path) -> None:
    """Writes a consistent copy of the database at url to file (replacing it)."""
    parsed = make_url(url)
    file.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"there is no database at {source}")
        await asyncio.to_thread(_sqlite_copy, source, file)
        return
    uri, env, schema = _libpq(url)
    options = ["--format=custom", f"--file={file}", *([f"--schema={schema}"] if schema else [])]
    await _run_tool("pg_dump", [*options, f"--dbname={uri}"], env)


async def restore(url: str, file: Path, force: bool = False) -> None:
    """Replaces the database at url with the backup in file; refuses a database with data unless force."""
    header = await asyncio.to_thread(_header, file)
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and not header.startswith(SQLITE_HEADER):
        raise BackupError(f"{file} is not a SQLite backup (made by `swarm backup` with a sqlite:/// URL)")
    if not sqlite and not header.startswith(PG_DUMP_HEADER):
        raise BackupError(f"{file} is not a pg_dump custom-format backup (made by `swarm backup` on PostgreSQL)")
    if not force and await has_data(url):
        raise BackupError(
            "the database already holds Swarm data: restoring would replace it. Run again with --force to overwrite"
        )
    if sqlite:
        await asyncio.to_thread(_sqlite_copy, file, _sqlite_path(url))
        return
    uri, env, _ = _libpq(url)
    await _run_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", f"--dbname={uri}", str(file)], env)


async def has_data(url: str) -> bool:
    """Whether the database holds any Swarm data (a missing or unmigrated database holds none)."""
    if make_url(url).get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            for table in DATA_TABLES:
                if engine.dialect.name == "sqlite":
                    exists = await connection.scalar(
                        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"),
                        {"name": table},
                    )
                else:
                    exists = await connection.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": table})
                if exists and await connection.scalar(text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')):
                    return True
    finally:
        await engine.dispose()
    return False


def _header(file: Path) -> bytes:
    if not file.is_file():
        raise BackupError(f"there is no backup file {file}")
    with file.open("rb") as stream:
        return stream.read(16)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("only a SQLite file can be backed up or restored, not an in-memory database")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """sqlite3's online backup API: a consistent snapshot even while others write to source."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"copying {source} to {target} failed: {error}") from None
    finally:
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str], str | None]:
    """The URL as libpq takes it (no driver, no password: that goes in PGPASSWORD, out of `ps`), its environment, and
    the schema the URL pins with search_path, if any."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
        parsed = parsed.set(password=None)
    _, connect_args = _split_pg_options(parsed)
    search_path = connect_args.get("server_settings", {}).get("search_path")
    schema = search_path.split(",")[0].strip().strip('"') if search_path else None
    return parsed.render_as_string(hide_password=False), env, schema or None


async def _run_tool(tool: str, args: list[str], env: dict[str, str]) -> None:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"{tool} is not installed: backing up PostgreSQL needs its client tools (pg_dump, pg_restore) on PATH, "
            "of the server's major version or newer (Debian/Ubuntu: apt-get install postgresql-client)"
        )
    process = await asyncio.create_subprocess_exec(
        path, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{tool} failed (exit {process.returncode}): {stderr.decode(errors='replace').strip()}")
