"""Fixtures shared by the whole suite.

The database backend comes from SWARM_TEST_DATABASE_URL:
- unset: a fresh SQLite file in the test's tmp_path;
- `postgresql://postgres@127.0.0.1:5432/test`: that server, with every test in a schema of its own, created before
  and dropped after the test, so tests never see each other's rows and can run in parallel.

`database_url`: the URL of the test's empty (unmigrated) database, in the form a user would configure it
(`sqlite:///…` or `postgresql://…?options=-csearch_path%3D<schema>`); pass it to the CLI or to storage.database.
`store`: a migrated storage.database.SqlStore on that same database, closed after the test. The database is then made
from a template migrated once per test process, not migrated anew: a copy of the migrated file on SQLite, a schema
kept from an earlier test and emptied (or one the migration script fills) on PostgreSQL (tests/databases.py).

Every test that uses a database (it asks for `database_url`, or `store`, which builds on it) is marked `database`;
`pytest -m database` runs just those, which is all the PostgreSQL pass needs to run (docs/testing.md).
"""

from __future__ import annotations

import asyncio
import os
import signal
import traceback
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from storage.database import SqlStore
from tests.databases import PostgresTemplate, SqliteTemplate, Template, fresh_schema, sqlite_url

DATABASE_URL_ENV = "SWARM_TEST_DATABASE_URL"


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> Generator[None, object, object]:
    """pytest-timeout (pyproject.toml) dumps every thread's stack when a test runs too long; an asyncio test idles in
    the event loop's epoll, so its thread's stack says nothing. Before that dump, print where each asyncio task
    waits."""
    started = yield
    timed_out = signal.getsignal(signal.SIGALRM)
    if settings.method == "signal" and callable(timed_out):

        def dump_tasks_then_fail(signum: int, frame: FrameType | None) -> None:
            __tracebackhide__ = True
            _dump_tasks(item)
            timed_out(signum, frame)

        signal.signal(signal.SIGALRM, dump_tasks_then_fail)
    return started


def _dump_tasks(item: pytest.Item) -> None:
    try:
        tasks = asyncio.all_tasks(asyncio.get_running_loop())
    except RuntimeError:  # the timeout fell outside the event loop: the thread stacks tell it all
        return
    terminal = item.config.get_terminal_writer()
    terminal.sep("+", title=f"Timeout: {len(tasks)} asyncio tasks, each with the chain of awaits it is suspended in")
    for task in tasks:
        terminal.sep("~", title=task.get_name())
        frames: list[tuple[FrameType, int]] = []
        awaited: Any = task.get_coro()
        while frame := getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None):
            frames.append((frame, frame.f_lineno))
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        terminal.line("".join(traceback.StackSummary.extract(frames).format()).rstrip())
        if awaited is not None:
            terminal.line(f"  awaiting {awaited!r}")


@pytest.fixture(autouse=True)
def _keyword_search_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps start with keyword search in tests, the semantic extra installed or not: hybrid search has tests of its
    own (tests/semantic.py), and every other test expects the same results on every machine."""
    monkeypatch.setenv("SWARM_SEMANTIC", "off")
    monkeypatch.setenv("SWARM_MODEL_CACHE", "off")  # nothing exported to the user's cache directory by a test


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    """Made once per test process: what a migrated database holds, for `store` to copy (tests/databases.py)."""
    server = os.environ.get(DATABASE_URL_ENV)
    if not server:
        yield SqliteTemplate(tmp_path_factory.mktemp("template"))
        return
    template = PostgresTemplate(server)
    yield template
    asyncio.run(template.close())


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Template
) -> AsyncIterator[str]:
    """The test's own database: empty, or migrated when the test asks for `store` too (from the template)."""
    migrated = "store" in request.fixturenames
    if isinstance(migrated_template, SqliteTemplate):
        url = sqlite_url(tmp_path / "swarm.db")
        if migrated:
            await migrated_template.fill(url)
        yield url
        return
    borrowed = migrated_template.lend() if migrated else fresh_schema(migrated_template.server)
    async with borrowed as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    sql_store = SqlStore(database_url)
    try:
        yield sql_store
    finally:
        await sql_store.close()


SLOW_FOLDERS = ("bench", "production")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks `database` the tests that use one, and `slow` the benchmarks' smoke tests and the production tests."""
    tests = Path(__file__).parent
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)
        if item.path.is_relative_to(tests) and item.path.relative_to(tests).parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
