"""Roster roles: a lead or an admin may act on any swarm and on workspace-wide settings (docs/permissions.md).

Everyone already in the roster is an agent, as before; a roster import or, on Slack, the workspace's own admins and
owners make leads and admins.

Revision ID: 0014_roster_roles
Revises: 0013_search_index_direct
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_roster_roles"
down_revision = "0013_search_index_direct"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("person", sa.Column("role", sa.String(), nullable=False, server_default="agent"))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 has it): copying the table, as a batch would, breaks the foreign keys to it.
    op.drop_column("person", "role")
