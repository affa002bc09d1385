"""Closing a swarm step by step: the swarm is marked `closing` while its posts (the summary in the room and under
the announcement, the announcement marked) are not all made, each summary's message id is kept, and `closings`
counts the closings (the summaries' marks name it), so a crash half way is finished by the scheduler and nothing is
posted twice (handlers/closing.py).

Revision ID: 0010_closing
Revises: 0009_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_closing"
down_revision = "0009_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("swarm") as swarm:
        swarm.add_column(sa.Column("closing", sa.Boolean(), nullable=False, server_default=sa.false()))
        swarm.add_column(sa.Column("closings", sa.Integer(), nullable=False, server_default="0"))
        swarm.add_column(sa.Column("summary_id", sa.String(), nullable=True))
        swarm.add_column(sa.Column("thread_summary_id", sa.String(), nullable=True))
    op.create_index("ix_swarm_workspace_id_closing", "swarm", ["workspace_id", "closing"])


def downgrade() -> None:
    op.drop_index("ix_swarm_workspace_id_closing", table_name="swarm")
    with op.batch_alter_table("swarm") as swarm:
        swarm.drop_column("thread_summary_id")
        swarm.drop_column("summary_id")
        swarm.drop_column("closings")
        swarm.drop_column("closing")
