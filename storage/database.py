"""Engines from URLs, migrations, and the Store that hands out units of work.

The URL a user configures is the ordinary one (`sqlite:///swarm.db`, `postgresql://user@host/db`); the async
drivers are chosen here. A PostgreSQL URL may carry libpq-style `options` (`?options=-csearch_path%3Dtenant`),
which become asyncpg server settings, so one URL string can point the server, the CLI and psql at the same schema.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deliveries import Duplicate, unsettled
from bot.errors import Busy
from bot.ports import (
    ArticleRepository,
    ArticleVersionRepository,
    CsatRepository,
    EmbeddingRepository,
    ForgettingRepository,
    PersonRepository,
    ProcessedEventRepository,
    SwarmRepository,
    ThanksRepository,
    TicketAccountRepository,
    TicketNoteRepository,
    WorkspaceRepository,
)
from storage import sqlite_driver
from storage.articles import SqlArticleRepository
from storage.csat import SqlCsatRepository
from storage.embeddings import SqlEmbeddingRepository
from storage.forgetting import SqlForgettingRepository
from storage.people import SqlPersonRepository
from storage.processed import SqlProcessedEventRepository
from storage.swarms import SqlSwarmRepository
from storage.thanks import SqlThanksRepository
from storage.tickets import SqlTicketAccountRepository, SqlTicketNoteRepository
from storage.versions import SqlArticleVersionRepository
from storage.workspaces import SqlWorkspaceRepository

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"

# Writers queue behind each other on SQLite; a unit of work is short, so waiting beats failing.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
# For the one synchronous user of the database, APScheduler's job store (adapters/scheduler.py).
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def database_url(url: str) -> str:
    """The same URL with the async driver this project uses: aiosqlite for SQLite, asyncpg for PostgreSQL."""
    return _with_driver(url, _DRIVERS)


def sync_database_url(url: str) -> str:
    """The same URL with a synchronous driver: the standard library's sqlite3, or psycopg 3 for PostgreSQL.

    psycopg is libpq's: it takes the URL's `options` (`-csearch_path=…`) as they are."""
    return _with_driver(url, _SYNC_DRIVERS)


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"not a database URL: {url!r}") from error
    driver = drivers.get(parsed.get_backend_name())
    if driver is None:
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///FILE or postgresql://…")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(url: str, *, one_trip: bool = True) -> AsyncEngine:
    """An async engine for a SQLite file or a PostgreSQL database, configured for this project's transactions.

    SQLite must be a file: an in-memory database lives on one shared connection, where concurrent units of work
    would trample each other's transactions. Its statements make one trip to aiosqlite's thread each
    (storage/sqlite_driver.py); one_trip=False keeps aiosqlite's own cursors, the baseline of bench/sqlite_trips.py.
    """
    parsed = make_url(database_url(url))
    # Non-ASCII tags and names must stay readable in the JSON columns that full-text search indexes.
    serializer = partial(json.dumps, ensure_ascii=False)
    # A failed statement's error would quote its parameters (what people typed, their e-mail) into the log.
    if parsed.get_backend_name() == "sqlite":
        if one_trip:
            (database,), options = SQLiteDialect_aiosqlite().create_connect_args(parsed)
            options["timeout"] = SQLITE_BUSY_TIMEOUT_SECONDS
            connect = partial(sqlite_driver.connect, database, **options)
            engine = create_async_engine(
                parsed, json_serializer=serializer, hide_parameters=True, async_creator=connect
            )
        else:
            timeout = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            engine = create_async_engine(parsed, json_serializer=serializer, hide_parameters=True, connect_args=timeout)
        _configure_sqlite(engine)
        return engine
    parsed, connect_args = _split_pg_options(parsed)
    return create_async_engine(
        parsed, json_serializer=serializer, hide_parameters=True, connect_args=connect_args, pool_pre_ping=True
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module, which skips it before SELECT and DDL (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()
        # SQLite's own lower() folds ASCII only; case-insensitive lookups of "Ángel" must work as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes fails at once
        # with SQLITE_BUSY when another unit committed in between; this way it waits its turn (busy timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _split_pg_options(url: URL) -> tuple[URL, dict[str, Any]]:
    """asyncpg takes no libpq `options`; turn `-c name=value` / `--name=value` into its server_settings."""
    options = url.query.get("options")
    if options is None:
        return url, {}
    if not isinstance(options, str):
        raise ValueError("give the `options` parameter of a database URL once")
    settings: dict[str, str] = {}
    tokens = iter(shlex.split(options))
    for token in tokens:
        if token == "-c":
            token = next(tokens, "")
        elif token.startswith("-c") or token.startswith("--"):
            token = token[2:]
        else:
            raise ValueError(f"unsupported option {token!r} in database URL: use -c name=value")
        name, equals, value = token.partition("=")
        if not equals or not name:
            raise ValueError(f"option {token!r} in database URL is not name=value")
        settings[name.replace("-", "_")] = value
    return url.difference_update_query(["options"]), {"server_settings": settings}


def _alembic_config() -> Config:
    config = Config(str(ALEMBIC_INI))
    # Absolute, so migrations run from any working directory and from an installed wheel.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _upgrade_to_head(connection: Connection) -> None:
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(url: str) -> None:
    """Migrates the database at url to the newest schema; a no-op when it is current."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head)
    finally:
        await engine.dispose()


class SqlUnitOfWork:
    """One transaction on one session; implements bot.ports.UnitOfWork."""

    workspaces: WorkspaceRepository
    people: PersonRepository
    swarms: SwarmRepository
    articles: ArticleRepository
    versions: ArticleVersionRepository
    processed: ProcessedEventRepository
    thanks: ThanksRepository
    csat: CsatRepository
    embeddings: EmbeddingRepository
    forgetting: ForgettingRepository
    ticket_notes: TicketNoteRepository
    ticket_accounts: TicketAccountRepository

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._wrote = False
        self.workspaces = SqlWorkspaceRepository(session, dialect)
        self.people = SqlPersonRepository(session, dialect)
        self.swarms = SqlSwarmRepository(session, dialect)
        self.articles = SqlArticleRepository(session, dialect)
        self.versions = SqlArticleVersionRepository(session, dialect)
        self.processed = SqlProcessedEventRepository(session, dialect)
        self.thanks = SqlThanksRepository(session, dialect)
        self.csat = SqlCsatRepository(session, dialect)
        self.embeddings = SqlEmbeddingRepository(session, dialect)
        self.forgetting = SqlForgettingRepository(session, dialect)
        self.ticket_notes = SqlTicketNoteRepository(session, dialect)
        self.ticket_accounts = SqlTicketAccountRepository(session, dialect)

    @property
    def session(self) -> AsyncSession:
        """For storage's own modules that are not repositories of the core (storage.refs)."""
        return self._session

    async def commit(self) -> None:
        """Makes the work so far permanent; the unit stays usable and starts a new transaction. The first commit
        that writes anything for a platform delivery's work settles the delivery's claim in the same transaction
        (bot/deliveries.py); if the claim was taken over meanwhile, nothing is kept and `Duplicate` is raised."""
        claim = unsettled() if self._wrote else None
        if claim is not None and not await self.processed.settle(claim.workspace_id, claim.key, claim.holder):
            raise Duplicate(claim.key)
        await self._session.commit()
        if claim is not None:
            claim.settled = True

    def watch_writes(self) -> None:
        """Notes whether this unit writes: only then does its commit settle a delivery's claim."""
        session = self._session.sync_session

        def executed(state: ORMExecuteState) -> None:
            self._wrote = self._wrote or state.is_insert or state.is_update or state.is_delete

        def flushed(_: Session, __: UOWTransaction) -> None:
            self._wrote = True

        event.listen(session, "do_orm_execute", executed)
        event.listen(session, "after_flush", flushed)


# PostgreSQL's SQLSTATE classes and codes of a failure that trying again may get past: a connection lost or refused
# (08), too many connections (53), the server shutting down (57), a serialisation failure or deadlock, a lock not
# available.
BUSY_CLASSES = frozenset({"08", "53", "57"})
BUSY_CODES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY = ("database is locked", "database table is locked")


def busy(error: BaseException) -> bool:
    """Whether a database failure is the database being busy or away rather than the statement being wrong."""
    if isinstance(error, PoolTimeout | OSError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if isinstance(code, str) and code:
        return code[:2] in BUSY_CLASSES or code in BUSY_CODES
    return any(words in str(error.orig) for words in SQLITE_BUSY)


class SqlStore:
    """bot.ports.Store on SQLite or PostgreSQL. Does not migrate: run upgrade() first (`swarm db upgrade`).

    Give it a URL, or an engine made by create_engine() (which sets up SQLite's transactions and pragmas) to share
    one connection pool with other users of the database, such as Slack's installation store.
    """

    def __init__(self, url_or_engine: str | AsyncEngine) -> None:
        if isinstance(url_or_engine, str):
            self._engine = create_engine(url_or_engine)
            self._owns_engine = True
        else:
            self._engine = url_or_engine
            self._owns_engine = False
        self._dialect = self._engine.dialect.name
        # Rows are mapped to dataclasses before a commit, so nothing needs reloading afterwards.
        self._sessions = async_sessionmaker(self._engine, class_=AsyncSession, expire_on_commit=False)
        self._held: set[AsyncConnection] = set()

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlUnitOfWork]:
        """A transaction: leaving it without commit() rolls back, whether the block ended normally or raised."""
        # Closing the session returns its connection to the pool, which rolls back whatever was not committed.
        async with self._sessions() as session:
            uow = SqlUnitOfWork(session, self._dialect)
            if unsettled() is not None:
                uow.watch_writes()
            try:
                yield uow
            except (DBAPIError, PoolTimeout, OSError) as error:
                if busy(error):
                    raise Busy(type(error).__name__) from error
                raise

    async def hold(self) -> AsyncConnection:
        """A connection out of the pool, with the engine's settings, kept until `let_go` or `close()`: for a writer
        that writes so often that a checkout each time would cost more than its write (storage.inbox)."""
        connection = await self._engine.connect()
        self._held.add(connection)
        return connection

    async def let_go(self, connection: AsyncConnection, broken: bool = False) -> None:
        """Gives a held connection back to the pool, or, when it is `broken` (a statement on it failed midway, or
        the server went away), closes it for good."""
        self._held.discard(connection)
        if broken:
            await connection.invalidate()
        await connection.close()

    async def close(self) -> None:
        """Closes the connections of an engine this store created; an engine passed in stays open. Held
        connections go back to the pool either way."""
        for connection in list(self._held):
            await self.let_go(connection)
        if self._owns_engine:
            await self._engine.dispose()
