"""Tickets (issue 25): a swarm records the ticket it belongs to, and internal notes for tickets wait in an outbox.

Swarms already saved have no ticket (the new columns are empty).

Revision ID: 0016_tickets
Revises: 0015_delivery_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_tickets"
down_revision = "0015_delivery_claims"
branch_labels = None
depends_on = None

SWARM_COLUMNS = ("description", "ticket_system", "ticket_id", "ticket_url", "ticket_status", "ticket_created_at")


def upgrade() -> None:
    op.add_column("swarm", sa.Column("description", sa.Text(), nullable=True))
    for name in SWARM_COLUMNS[1:-1]:
        op.add_column("swarm", sa.Column(name, sa.String(), nullable=True))
    op.add_column("swarm", sa.Column("ticket_created_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_swarm_workspace_id_ticket", "swarm", ["workspace_id", "ticket_system", "ticket_id"])
    op.create_table(
        "ticket_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", name="ticket_note_workspace_id_fkey", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "swarm_id",
            sa.Integer(),
            sa.ForeignKey("swarm.id", name="ticket_note_swarm_id_fkey", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("workspace_id", "key", name="uq_ticket_note_workspace_id_key"),
    )
    op.create_index("ix_ticket_note_sent_at_next_at", "ticket_note", ["sent_at", "next_at"])
    op.create_index("ix_ticket_note_swarm_id", "ticket_note", ["swarm_id"])


def downgrade() -> None:
    op.drop_table("ticket_note")
    op.drop_index("ix_swarm_workspace_id_ticket", table_name="swarm")
    # Plain DROP COLUMNs (SQLite 3.35 has them): copying the table, as a batch would, breaks the foreign keys to it.
    for name in reversed(SWARM_COLUMNS):
        op.drop_column("swarm", name)
