"""The migrations build the schema that storage.tables describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

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
    assert head == "0013_search_index_direct"
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
                    "UNION SELECT indexname FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND indexdef LIKE '%USING gin%'"
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
