"""The migrations build the schema that storage.tables describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (fills SQLModel.metadata)
from bot.models import Case, Person, Swarm
from storage.database import ALEMBIC_INI, MIGRATIONS_DIR, SqlStore, create_engine, upgrade
from storage.search import is_search_object
from tests.conftest import DATABASE_URL_ENV
from tests.databases import fresh_schema, sqlite_url

APP_TABLES = {
    "workspace",
    "person",
    "person_skill",
    "swarm",
    "swarm_member",
    "swarm_event",
    "article",
    "article_link",
    "processed_event",
    "platform_ref",
    "article_version",
    "thanks",
    "scheduler_lease",
    "csat",
    "article_embedding",
    "ticket_note",
}
# slack_sdk's OAuth installation store owns these; its own table definitions build them.
SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def _ours(name: str | None) -> bool:
    return not is_search_object(name) and name not in SLACK_TABLES


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to: _ours(name),
        },
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def _run(url: str, work: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migrated_schema_matches_the_tables(database_url: str) -> None:
    await upgrade(database_url)
    assert await _run(database_url, _differences) == []


async def test_the_comparison_notices_a_missing_index(database_url: str) -> None:
    await upgrade(database_url)

    def drop_index_and_compare(connection: Connection) -> list[Any]:
        connection.execute(text("DROP INDEX ix_swarm_member_person_id"))
        return _differences(connection)

    differences = await _run(database_url, drop_index_and_compare)
    assert [(d[0], d[1].name) for d in differences] == [("add_index", "ix_swarm_member_person_id")]


async def test_upgrade_reaches_the_head_and_can_run_again(database_url: str) -> None:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head == "0019_ticket_accounts"
    await upgrade(database_url)
    await upgrade(database_url)

    def version(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    assert await _run(database_url, version) == head
    assert await _run(database_url, _tables) >= APP_TABLES | SLACK_TABLES


async def test_upgrade_does_not_depend_on_the_working_directory(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    await upgrade(database_url)
    assert await _run(database_url, _tables) >= APP_TABLES


async def test_the_search_objects_exist(database_url: str) -> None:
    await upgrade(database_url)

    def search_objects(connection: Connection) -> set[str]:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'article_fts%'"))
        else:
            rows = connection.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'article' AND is_generated = 'ALWAYS' "
                    # pg_class and pg_am, not pg_indexes: its indexdef would be worked out for every schema's
                    # indexes, and another test process may be dropping its schema at that moment.
                    "UNION SELECT c.relname FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
                    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'i' AND a.amname = 'gin'"
                )
            )
        return {name for (name,) in rows}

    found = await _run(database_url, search_objects)
    if "search_vector" in found:
        assert found == {"search_vector", "ix_article_search_vector"}
    else:
        assert {"article_fts", "article_fts_insert", "article_fts_delete", "article_fts_update"} <= found


def _search_index_options(connection: Connection) -> list[str] | None:
    found = connection.execute(
        text(
            "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'ix_article_search_vector' AND n.nspname = current_schema()"
        )
    )
    return found.scalar_one()


async def test_the_postgresql_search_index_has_no_pending_list(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("GIN pending lists are a PostgreSQL matter")
    await upgrade(database_url)
    assert await _run(database_url, _search_index_options) == ["fastupdate=off"]

    def back_to_0012(connection: Connection) -> list[str] | None:
        config = Config(str(ALEMBIC_INI))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "0012_asked")
        return _search_index_options(connection)

    assert await _run(database_url, back_to_0012) is None  # PostgreSQL's default: fastupdate on
    await upgrade(database_url)
    assert await _run(database_url, _search_index_options) == ["fastupdate=off"]


async def test_downgrade_removes_everything_and_upgrade_rebuilds_it(database_url: str) -> None:
    await upgrade(database_url)

    def downgrade_to_base(connection: Connection) -> set[str]:
        config = Config(str(ALEMBIC_INI))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return _tables(connection)

    assert await _run(database_url, downgrade_to_base) == {"alembic_version"}
    await upgrade(database_url)
    assert await _run(database_url, _differences) == []


async def test_keeping_each_room_message_once_removes_the_copies_an_older_version_kept(database_url: str) -> None:
    await upgrade(database_url)
    store = SqlStore(database_url)
    try:
        async with store.unit() as uow:
            workspace = await uow.workspaces.ensure("T1", "One")
            ana = await uow.people.add(Person(workspace_id=workspace.id, name="Ana"))
            await uow.swarms.add(Swarm(workspace.id, 1, Case("case"), ana.id or 0, "C1"))
            await uow.commit()
    finally:
        await store.close()

    def with_copies(connection: Connection) -> None:
        config = Config(str(ALEMBIC_INI))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "0010_closing")
        rows = [
            ("message", "m1", "first"),
            ("message", "m1", "copy"),
            ("message", "m2", "other"),
            ("solution", "m1", "mark"),
            ("message", None, "no id"),
            ("message", None, "no id either"),
        ]
        for kind, message_id, said in rows:
            connection.execute(
                text(
                    "INSERT INTO swarm_event (workspace_id, swarm_id, kind, text, message_id, at)"
                    " SELECT workspace_id, id, :kind, :said, :message_id, '2026-11-24 09:00:00' FROM swarm"
                ),
                {"kind": kind, "said": said, "message_id": message_id},
            )

    await _run(database_url, with_copies)
    await upgrade(database_url)

    def timeline(connection: Connection) -> list[tuple[str, str | None, str]]:
        rows = connection.execute(text("SELECT kind, message_id, text FROM swarm_event ORDER BY id"))
        return [(kind, message_id, said) for kind, message_id, said in rows]

    assert await _run(database_url, timeline) == [
        ("message", "m1", "first"),
        ("message", "m2", "other"),
        ("solution", "m1", "mark"),
        ("message", None, "no id"),
        ("message", None, "no id either"),
    ]
    assert await _run(database_url, _differences) == []


async def test_ranking_in_the_database_counts_the_words_of_the_articles_saved_before(database_url: str) -> None:
    # Migration 0017_search_rank: search computes BM25 from each article's word counts, which articles saved by an
    # older version do not have; the migration counts them.
    await upgrade(database_url)
    store = SqlStore(database_url)
    try:
        async with store.unit() as uow:
            await uow.workspaces.ensure("T1", "One")
            await uow.commit()
    finally:
        await store.close()

    def saved_before(connection: Connection) -> None:
        config = Config(str(ALEMBIC_INI))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "0016_tickets")
        connection.execute(
            text(
                "INSERT INTO article (workspace_id, number, title, issue, environment, resolution, cause, tags,"
                " contributors, state, reuse_count, created_at, updated_at, asked)"
                " SELECT id, 1, 'Export fails', 'Exports time out.', '', '', '', '[\"csv\"]', '[]', 'validated', 0,"
                " '2026-11-24 09:00:00', '2026-11-24 09:00:00', '[]' FROM workspace"
            )
        )

    await _run(database_url, saved_before)
    await upgrade(database_url)
    store = SqlStore(database_url)
    try:
        async with store.unit() as uow:
            workspace = await uow.workspaces.ensure("T1")
            [hit] = await uow.articles.search(workspace.id, "exports time out", limit=3)
    finally:
        await store.close()
    # "Export" twice (the title's counting 3), "time" and "csv" once each ("out" is a stop word).
    assert hit.article.title == "Export fails" and hit.rank > 0 and hit.matched == pytest.approx(1.0)

    def counts(connection: Connection) -> tuple[Any, float]:
        terms, length = connection.execute(text("SELECT search_terms, search_length FROM article")).one()
        return terms, float(length)

    terms, length = await _run(database_url, counts)
    terms = terms if isinstance(terms, dict) else json.loads(terms)
    assert terms == {"expor": 4.0, "fail": 3.0, "time": 1.0, "csv": 1.0} and length == 9.0


def _schema(connection: Connection) -> dict[str, Any]:
    """Everything a database's schema holds that tests could notice: tables, columns, keys, indexes, and on
    PostgreSQL the triggers and functions full-text search adds; names only, never which schema they are in."""
    seen = inspect(connection)
    found: dict[str, Any] = {}
    for table in sorted(seen.get_table_names()):
        found[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in seen.get_columns(table)
            ],
            "primary key": seen.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (f["constrained_columns"], f["referred_table"]) for f in seen.get_foreign_keys(table)
            ),
            "indexes": sorted((i["name"] or "", i["column_names"], bool(i["unique"])) for i in seen.get_indexes(table)),
            "unique": sorted((u["name"] or "", u["column_names"]) for u in seen.get_unique_constraints(table)),
        }
    if connection.dialect.name == "postgresql":
        found["triggers"] = sorted(
            connection.execute(
                text(
                    "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
                )
            ).scalars()
        )
        found["index options"] = sorted(
            connection.execute(
                text(
                    "SELECT relname, array_to_string(reloptions, ',') FROM pg_class "
                    "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'i' AND reloptions IS NOT NULL"
                )
            ).all()
        )
    else:
        # A table's CREATE statement is left out: SQLite's batch migrations copy tables and write their constraints
        # in no fixed order, so two migrations of the same schema differ there; the inspector compared them above.
        found["sqlite_master"] = sorted(
            connection.execute(
                text(
                    "SELECT type, name, CASE WHEN type = 'table' THEN '' ELSE sql END FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%'"
                )
            ).all()
        )
    found["alembic_version"] = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return found


async def test_the_suites_template_builds_the_schema_that_migrating_builds(
    store: SqlStore, database_url: str, tmp_path: Path
) -> None:
    """`store` is filled from a template, not migrated (tests/databases.py); it must be what `upgrade` makes."""
    templated = await _run(database_url, _schema)
    server = os.environ.get(DATABASE_URL_ENV)
    if not server:
        migrated_url = sqlite_url(tmp_path / "migrated.db")
        await upgrade(migrated_url)
        assert await _run(migrated_url, _schema) == templated
        return
    async with fresh_schema(server) as migrated_url:
        await upgrade(migrated_url)
        assert await _run(migrated_url, _schema) == templated
