"""KCS: publishers in the roster, and every change to an article kept as a version with who and when.

Revision ID: 0004_knowledge
Revises: 0003_expertise
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_knowledge"
down_revision = "0003_expertise"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as person:
        person.add_column(sa.Column("publisher", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "article_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspace.id"], name="article_version_workspace_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name="article_version_article_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="article_version_person_id_fkey", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("article_id", "version", name="uq_article_version_article_id_version"),
    )


def downgrade() -> None:
    op.drop_table("article_version")
    with op.batch_alter_table("person") as person:
        person.drop_column("publisher")
