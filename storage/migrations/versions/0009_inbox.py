"""The inbox: acknowledged platform deliveries waiting for their work, so a worker process (or another replica)
does the work and a crash between the acknowledgement and the work loses nothing (adapters/inbox.py).

Revision ID: 0009_inbox
Revises: 0008_sealed_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_inbox"
down_revision = "0008_sealed_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("team", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_inbox_claimed_until_id", "inbox", ["claimed_until", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_claimed_until_id", table_name="inbox")
    op.drop_table("inbox")
