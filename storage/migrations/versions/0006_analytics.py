"""Analytics: the requesters' answers to "How well was this handled?" (CSAT), one per swarm.

Revision ID: 0006_analytics
Revises: 0005_automation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics"
down_revision = "0005_automation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csat",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("swarm_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name="csat_workspace_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["swarm_id"], ["swarm.id"], name="csat_swarm_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="csat_person_id_fkey", ondelete="CASCADE"),
        sa.UniqueConstraint("swarm_id", name="uq_csat_swarm_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_score"),
    )
    op.create_index("ix_csat_workspace_id_at", "csat", ["workspace_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_csat_workspace_id_at", table_name="csat")
    op.drop_table("csat")
