"""Search ranks by BM25 in the database (issue 26): each article keeps the counts BM25 needs.

`search_terms` holds each word's stem with how often the article says it (a title word counting 3), `search_length`
the article's length so counted (storage.search.rank_columns); search computes BM25 from them in SQL for its
candidates, where it read every candidate's text in Python before. The articles already saved are counted here, by
the search module as it is when migrating (`swarm kb reindex` counts them again).

Revision ID: 0017_search_rank
Revises: 0016_tickets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017_search_rank"
down_revision = "0016_tickets"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    from storage.search import RANK_TEXT_COLUMNS, rank_columns

    terms_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("article", sa.Column("search_terms", terms_type, nullable=True))
    op.add_column("article", sa.Column("search_length", sa.Float(), nullable=False, server_default="0"))
    article = sa.table(
        "article",
        sa.column("id", sa.Integer()),
        *(sa.column(name, sa.Text()) for name in RANK_TEXT_COLUMNS if name not in ("tags", "asked")),
        sa.column("tags", sa.JSON()),
        sa.column("asked", sa.JSON()),
        sa.column("search_terms", terms_type),
        sa.column("search_length", sa.Float()),
    )
    if op.get_context().as_sql:
        return  # SQL written out for a script (the test suites' template): no rows to count
    connection = op.get_bind()
    last = 0
    while True:
        rows = (
            connection.execute(sa.select(article).where(article.c.id > last).order_by(article.c.id).limit(BATCH))
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            terms, length = rank_columns(dict(row))
            connection.execute(
                article.update().where(article.c.id == row["id"]).values(search_terms=terms, search_length=length)
            )
        last = rows[-1]["id"]


def downgrade() -> None:
    op.drop_column("article", "search_length")
    op.drop_column("article", "search_terms")
