"""A room message is in its swarm's timeline once: a unique index on (swarm_id, message_id) for `message` entries.

The timeline keeps a room message by the platform's message id; a retried or repeated delivery of it now meets this
index (INSERT … ON CONFLICT DO NOTHING) instead of needing a delivery claim and a look-up of its own. Copies that an
earlier version could have kept are removed first, the oldest kept.

Revision ID: 0011_message_once
Revises: 0010_closing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_message_once"
down_revision = "0010_closing"
branch_labels = None
depends_on = None

MESSAGES = sa.text("kind = 'message'")


def upgrade() -> None:
    op.execute(
        "DELETE FROM swarm_event WHERE kind = 'message' AND message_id IS NOT NULL AND id NOT IN ("
        " SELECT MIN(id) FROM swarm_event WHERE kind = 'message' AND message_id IS NOT NULL"
        " GROUP BY swarm_id, message_id)"
    )
    op.create_index(
        "uq_swarm_event_swarm_id_message_id",
        "swarm_event",
        ["swarm_id", "message_id"],
        unique=True,
        sqlite_where=MESSAGES,
        postgresql_where=MESSAGES,
    )


def downgrade() -> None:
    op.drop_index("uq_swarm_event_swarm_id_message_id", table_name="swarm_event")
