"""Ticket accounts (issue 25): a workspace's own account with a ticket system, its secrets sealed by the adapters.

Revision ID: 0019_ticket_accounts
Revises: 0016_tickets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_ticket_accounts"
down_revision = "0016_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", name="ticket_account_workspace_id_fkey", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "system", name="uq_ticket_account_workspace_id_system"),
    )


def downgrade() -> None:
    op.drop_table("ticket_account")
