"""The suite's own databases (tests/databases.py): a schema kept for the next test comes back empty and as the
migrations made it, and one whose shape a test changed is never lent again."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from storage.database import create_engine
from tests.conftest import DATABASE_URL_ENV
from tests.databases import PostgresTemplate, _schema_of

pytestmark = pytest.mark.skipif(not os.environ.get(DATABASE_URL_ENV), reason="schemas are lent on PostgreSQL only")


ADD = "INSERT INTO workspace (key, name, created_at) VALUES ('{key}', '{key}', now()) RETURNING id"


async def _run(url: str, *statements: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            results = [await connection.execute(text(statement)) for statement in statements]
            return [result.scalar() if result.returns_rows else None for result in results]
    finally:
        await engine.dispose()


@pytest.fixture
def template() -> PostgresTemplate:
    return PostgresTemplate(os.environ[DATABASE_URL_ENV])


async def test_a_schema_given_back_is_lent_again_empty_with_its_counters_restarted(template: PostgresTemplate) -> None:
    try:
        async with template.lend() as first:
            (made,) = await _run(first, ADD.format(key="T1"))
            await _run(first, ADD.format(key="T2"))
        async with template.lend() as second:
            assert second == first
            rows, again = await _run(
                second,
                "SELECT count(*) FROM workspace",
                ADD.format(key="T3"),
            )
            assert (rows, again) == (0, made)
            (version,) = await _run(second, "SELECT version_num FROM alembic_version")
            assert version is not None
    finally:
        await template.close()


async def test_a_schema_whose_shape_a_test_changed_is_dropped_not_lent(template: PostgresTemplate) -> None:
    try:
        async with template.lend() as changed:
            await _run(changed, "DROP INDEX ix_article_search_vector")
        async with template.lend() as fresh:
            assert fresh != changed
            (index,) = await _run(fresh, "SELECT to_regclass('ix_article_search_vector')::text")
            assert index == "ix_article_search_vector"
        gone = f"SELECT count(*) FROM pg_namespace WHERE nspname = '{_schema_of(changed)}'"
        (left,) = await _run(template.server, gone)
        assert left == 0
    finally:
        await template.close()
