"""Hybrid search: the articles' vectors of meaning, kept so that a restart embeds nothing again.

Revision ID: 0007_semantic
Revises: 0006_analytics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_semantic"
down_revision = "0006_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_embedding",
        sa.Column("article_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("article_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name="article_embedding_article_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspace.id"], name="article_embedding_workspace_id_fkey", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_article_embedding_workspace_id_model", "article_embedding", ["workspace_id", "model"])


def downgrade() -> None:
    op.drop_index("ix_article_embedding_workspace_id_model", table_name="article_embedding")
    op.drop_table("article_embedding")
