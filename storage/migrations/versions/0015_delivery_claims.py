"""Delivery claims held while their work runs: a claim is settled in the transaction of the work's first write, and
one whose worker died before that is taken over once its lease ends (bot/deliveries.py).

Every claim already in the table is settled (both columns empty), as before.

Revision ID: 0015_delivery_claims
Revises: 0014_roster_roles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_delivery_claims"
down_revision = "0014_roster_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("processed_event", sa.Column("holder", sa.String(), nullable=True))
    op.add_column("processed_event", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("processed_event", "held_until")
    op.drop_column("processed_event", "holder")
