"""PostgreSQL's full-text index takes each article's words at once (GIN `fastupdate = off`), with no pending list.

With `fastupdate` on (PostgreSQL's default) new entries wait in a pending list, unsorted, until it holds 4 MB or
VACUUM runs, and every search reads that whole list besides the index: at 100,000 articles it held 260 pages and made
a search's index scan take 5 ms instead of 1. Articles are written a few times a day and searched at every `/swarm`,
so each write now pays for its own entries (a few milliseconds) and searches never read a pending list. The list
an index has is merged into it here. SQLite's FTS5 index has no such list: nothing changes there.

Revision ID: 0013_search_index_direct
Revises: 0012_asked
"""

from __future__ import annotations

from alembic import op

revision = "0013_search_index_direct"
down_revision = "0012_asked"
branch_labels = None
depends_on = None

INDEX = "ix_article_search_vector"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")
