"""The ticket's figures beside Swarm's (issue 25): a swarm keeps what its ticket's system said since it was linked
(its last solve, how many times it was reopened, its satisfaction rating), and `swarm history import --from SYSTEM`
keeps its place in the system's export.

Swarms already saved have none of these yet (empty, and no reopen); no import has a place yet.

Revision ID: 0018_ticket_figures
Revises: 0017_search_rank
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_ticket_figures"
# The lead re-chains this onto 0017 at merge (another branch's migration).
down_revision = "0017_search_rank"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("swarm", sa.Column("ticket_solved_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("swarm", sa.Column("ticket_reopens", sa.Integer(), server_default="0", nullable=False))
    op.add_column("swarm", sa.Column("ticket_rating", sa.String(), nullable=True))
    op.add_column("swarm", sa.Column("ticket_rating_read_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "history_cursor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey("workspace.id", name="history_cursor_workspace_id_fkey", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "system", name="uq_history_cursor_workspace_id_system"),
    )


def downgrade() -> None:
    op.drop_table("history_cursor")
    # Plain DROP COLUMNs (SQLite 3.35 has them): copying the table, as a batch would, breaks the foreign keys to it.
    for name in ("ticket_rating_read_at", "ticket_rating", "ticket_reopens", "ticket_solved_at"):
        op.drop_column("swarm", name)
