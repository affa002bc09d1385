"""The initial schema: every table of the first version and full-text search over articles.

Written by hand and frozen: it spells out types and names instead of importing storage.tables, so that later
changes to the tables cannot change what this revision does.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _at(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _ref(table: str, column: str, target: str, *, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"{table}_{column}_fkey", ondelete=ondelete)


def _workspace_ref(table: str) -> tuple[sa.Column[Any], sa.ForeignKeyConstraint]:
    return sa.Column("workspace_id", sa.Integer(), nullable=False), _ref(table, "workspace_id", "workspace")


def upgrade() -> None:
    op.create_table(
        "workspace",
        _id(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("swarm_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("article_counter", sa.Integer(), server_default="0", nullable=False),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("key", name="uq_workspace_key"),
    )
    op.create_table(
        "person",
        _id(),
        *_workspace_ref("person"),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("slack_id", sa.String(), nullable=True),
        sa.Column("teams_id", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("working_hours", sa.String(), nullable=True),
        sa.Column("learning", sa.JSON(), nullable=False),
        sa.Column("max_active_swarms", sa.Integer(), nullable=False),
        _at("away_until"),
        sa.UniqueConstraint("workspace_id", "email", name="uq_person_workspace_id_email"),
        sa.UniqueConstraint("workspace_id", "slack_id", name="uq_person_workspace_id_slack_id"),
        sa.UniqueConstraint("workspace_id", "teams_id", name="uq_person_workspace_id_teams_id"),
    )
    op.create_table(
        "person_skill",
        _id(),
        *_workspace_ref("person_skill"),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("evidence", sa.Integer(), nullable=False),
        _at("last_used"),
        _ref("person_skill", "person_id", "person"),
        sa.UniqueConstraint("person_id", "skill", name="uq_person_skill_person_id_skill"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_person_skill_level"),
        sa.CheckConstraint("source IN ('declared', 'inferred')", name="ck_person_skill_source"),
    )
    op.create_table(
        "swarm",
        _id(),
        *_workspace_ref("swarm"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(), nullable=True),
        sa.Column("product", sa.String(), nullable=True),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("origin_channel", sa.String(), nullable=False),
        sa.Column("announcement_id", sa.String(), nullable=True),
        sa.Column("room_id", sa.String(), nullable=True),
        sa.Column("room_name", sa.String(), nullable=True),
        _at("created_at", nullable=False),
        _at("first_expert_reply_at"),
        _at("resolved_at"),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        _ref("swarm", "owner_id", "person", ondelete="RESTRICT"),
        sa.UniqueConstraint("workspace_id", "number", name="uq_swarm_workspace_id_number"),
    )
    op.create_index("ix_swarm_workspace_id_room_id", "swarm", ["workspace_id", "room_id"])
    op.create_index("ix_swarm_workspace_id_announcement_id", "swarm", ["workspace_id", "announcement_id"])
    op.create_index("ix_swarm_workspace_id_status", "swarm", ["workspace_id", "status"])
    op.create_table(
        "swarm_member",
        _id(),
        *_workspace_ref("swarm_member"),
        sa.Column("swarm_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        _at("invited_at"),
        _at("joined_at"),
        _at("left_at"),
        _at("declined_at"),
        _ref("swarm_member", "swarm_id", "swarm"),
        _ref("swarm_member", "person_id", "person"),
        sa.UniqueConstraint("swarm_id", "person_id", name="uq_swarm_member_swarm_id_person_id"),
    )
    op.create_index("ix_swarm_member_person_id", "swarm_member", ["person_id"])
    op.create_table(
        "swarm_event",
        _id(),
        *_workspace_ref("swarm_event"),
        sa.Column("swarm_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        _at("at", nullable=False),
        _ref("swarm_event", "swarm_id", "swarm"),
        _ref("swarm_event", "person_id", "person", ondelete="SET NULL"),
    )
    op.create_index("ix_swarm_event_swarm_id_at", "swarm_event", ["swarm_id", "at"])
    op.create_index("ix_swarm_event_swarm_id_message_id", "swarm_event", ["swarm_id", "message_id"])
    op.create_table(
        "article",
        _id(),
        *_workspace_ref("article"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("issue", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("contributors", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("swarm_id", sa.Integer(), nullable=True),
        sa.Column("reuse_count", sa.Integer(), nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _ref("article", "swarm_id", "swarm", ondelete="SET NULL"),
        sa.UniqueConstraint("workspace_id", "number", name="uq_article_workspace_id_number"),
    )
    op.create_index("ix_article_swarm_id", "article", ["swarm_id"])
    op.create_table(
        "article_link",
        _id(),
        *_workspace_ref("article_link"),
        sa.Column("swarm_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        _at("created_at", nullable=False),
        _ref("article_link", "swarm_id", "swarm"),
        _ref("article_link", "article_id", "article"),
        sa.UniqueConstraint("swarm_id", "article_id", "kind", name="uq_article_link_swarm_id_article_id_kind"),
        sa.CheckConstraint("kind IN ('created', 'reused')", name="ck_article_link_kind"),
    )
    op.create_index("ix_article_link_article_id", "article_link", ["article_id"])
    op.create_table(
        "processed_event",
        _id(),
        *_workspace_ref("processed_event"),
        sa.Column("key", sa.String(), nullable=False),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("workspace_id", "key", name="uq_processed_event_workspace_id_key"),
    )
    op.create_index("ix_processed_event_created_at", "processed_event", ["created_at"])

    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in ("article_fts_insert", "article_fts_delete", "article_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS article_fts")
    for table in (
        "processed_event",
        "article_link",
        "article",
        "swarm_event",
        "swarm_member",
        "swarm",
        "person_skill",
        "person",
        "workspace",
    ):
        op.drop_table(table)


_FTS_COLUMNS = "title, issue, environment, resolution, cause, tags"


def _fts_values(row: str) -> str:
    return ", ".join(f"{row}.{name}" for name in ("id", *_FTS_COLUMNS.split(", ")))


# An external-content FTS5 table indexes the article rows without a second copy of their text; the triggers keep it
# in step. Porter stemming on top of unicode61 (diacritics folded) matches PostgreSQL's `english` configuration.
SQLITE_SEARCH = (
    f"""
    CREATE VIRTUAL TABLE article_fts USING fts5(
        {_FTS_COLUMNS},
        content='article', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, {_FTS_COLUMNS}) VALUES ({_fts_values("new")});
    END
    """,
    f"""
    CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_fts_values("old")});
    END
    """,
    # Only when searchable text changes: bumping reuse_count must not re-index the article.
    f"""
    CREATE TRIGGER article_fts_update AFTER UPDATE OF {_FTS_COLUMNS} ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_fts_values("old")});
        INSERT INTO article_fts(rowid, {_FTS_COLUMNS}) VALUES ({_fts_values("new")});
    END
    """,
)

# A stored generated column is computed by PostgreSQL itself, so no write path can forget it. Weights: title and tags
# (A) over issue and resolution (B) over environment and cause (C).
POSTGRESQL_SEARCH = (
    """
    ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(tags::text, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(issue, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(resolution, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(environment, '')), 'C') ||
        setweight(to_tsvector('english'::regconfig, coalesce(cause, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)",
)
