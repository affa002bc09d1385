"""Alembic environment. storage.database.upgrade() hands in an open connection; the alembic command makes its own."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.database import create_engine, database_url
from storage.search import is_search_object

config = context.config


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Autogenerate cannot describe full-text search objects; the migrations manage them by hand.
    return not is_search_object(name)


def database_url_from_command_line() -> str:
    url: str = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "SWARM_DATABASE_URL", "sqlite:///swarm.db"
    )
    return url


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=include_object,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode lets future migrations be written once for both.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    # Only the alembic command gets here; logging set up by the application must not be replaced.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        # `alembic upgrade head --sql`: the script for a DBA to read, in the dialect of the URL given.
        context.configure(
            url=database_url(database_url_from_command_line()),
            target_metadata=SQLModel.metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_with_own_engine(database_url_from_command_line()))
