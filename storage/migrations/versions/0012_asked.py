"""Articles keep the words of the cases they answered (`asked`, a JSON list), and search indexes them.

SQLite: the FTS5 table gets an `asked` column (an external-content table cannot be altered: it is made again, with
its triggers, and rebuilt from the articles). PostgreSQL: the generated tsvector takes `asked` at weight B, beside
the issue and the resolution (the column is computed by the database, so it is dropped and added again, and its GIN
index with it).

Revision ID: 0012_asked
Revises: 0011_message_once
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_asked"
down_revision = "0011_message_once"
branch_labels = None
depends_on = None

_BEFORE = "title, issue, environment, resolution, cause, tags"
_AFTER = f"{_BEFORE}, asked"
_TRIGGERS = ("article_fts_insert", "article_fts_delete", "article_fts_update")


def _values(row: str, columns: str) -> str:
    return ", ".join(f"{row}.{name}" for name in ("id", *columns.split(", ")))


def _sqlite_search(columns: str) -> list[str]:
    # As 0001_initial made it, with these columns.
    return [
        f"""
        CREATE VIRTUAL TABLE article_fts USING fts5(
            {columns},
            content='article', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        f"""
        CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
            INSERT INTO article_fts(rowid, {columns}) VALUES ({_values("new", columns)});
        END
        """,
        f"""
        CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
            INSERT INTO article_fts(article_fts, rowid, {columns}) VALUES ('delete', {_values("old", columns)});
        END
        """,
        f"""
        CREATE TRIGGER article_fts_update AFTER UPDATE OF {columns} ON article BEGIN
            INSERT INTO article_fts(article_fts, rowid, {columns}) VALUES ('delete', {_values("old", columns)});
            INSERT INTO article_fts(rowid, {columns}) VALUES ({_values("new", columns)});
        END
        """,
        "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
    ]


def _postgresql_search(asked: bool) -> list[str]:
    extra = "|| setweight(to_tsvector('english'::regconfig, coalesce(asked::text, '')), 'B')" if asked else ""
    return [
        "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
        f"""
        ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
            setweight(to_tsvector('english'::regconfig, coalesce(tags::text, '')), 'A') ||
            setweight(to_tsvector('english'::regconfig, coalesce(issue, '')), 'B') ||
            setweight(to_tsvector('english'::regconfig, coalesce(resolution, '')), 'B') ||
            setweight(to_tsvector('english'::regconfig, coalesce(environment, '')), 'C') ||
            setweight(to_tsvector('english'::regconfig, coalesce(cause, '')), 'C')
            {extra}
        ) STORED
        """,
        "CREATE INDEX IF NOT EXISTS ix_article_search_vector ON article USING gin (search_vector)",
    ]


def _search(dialect: str, asked: bool) -> list[str]:
    if dialect == "sqlite":
        drops = [f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS] + ["DROP TABLE IF EXISTS article_fts"]
        return drops + _sqlite_search(_AFTER if asked else _BEFORE)
    if dialect == "postgresql":
        return _postgresql_search(asked)
    return []


def upgrade() -> None:
    with op.batch_alter_table("article") as article:
        article.add_column(sa.Column("asked", sa.JSON(), nullable=False, server_default="[]"))
    for statement in _search(op.get_context().dialect.name, asked=True):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        # The triggers name `asked`: they go before the column does.
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS article_fts")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table("article") as article:
        article.drop_column("asked")
    for statement in _search(dialect, asked=False):
        op.execute(statement)
