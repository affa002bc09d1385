"""Fixtures shared by the whole suite.

The database backend comes from SWARM_TEST_DATABASE_URL:
- unset: a fresh SQLite file in the test's tmp_path;
- `postgresql://postgres@127.0.0.1:5432/test`: that server, with every test in a schema of its own, created before
  and dropped after the test, so tests never see each other's rows and can run in parallel.

`database_url`: the URL of the test's empty (unmigrated) database, in the form a user would configure it
(`sqlite:///…` or `postgresql://…?options=-csearch_path%3D<schema>`); pass it to the CLI or to storage.database.
`store`: a migrated storage.database.SqlStore on that same database, closed after the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import SqlStore, create_engine, upgrade

DATABASE_URL_ENV = "SWARM_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def _keyword_search_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps start with keyword search in tests, the semantic extra installed or not: hybrid search has tests of its
    own (tests/semantic.py), and every other test expects the same results on every machine."""
    monkeypatch.setenv("SWARM_SEMANTIC", "off")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    server = os.environ.get(DATABASE_URL_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'swarm.db'}"
        return
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(server)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield (
            make_url(server)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    await upgrade(database_url)
    sql_store = SqlStore(database_url)
    try:
        yield sql_store
    finally:
        await sql_store.close()
