"""Adapter state: platform refs (Teams conversation references, card ids) and Slack's OAuth installations and states.

The Slack tables are slack_sdk's own (AsyncSQLAlchemyInstallationStore reads and writes them); they are built from its
table definitions so the store finds exactly the columns it expects.

Revision ID: 0002_platform_refs
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

revision = "0002_platform_refs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

SLACK_INSTALLATIONS = "slack_installations"
SLACK_BOTS = "slack_bots"
SLACK_OAUTH_STATES = "slack_oauth_states"


def _slack_tables() -> sa.MetaData:
    metadata = sa.MetaData()
    AsyncSQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_INSTALLATIONS)
    AsyncSQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_BOTS)
    AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_OAUTH_STATES)
    return metadata


def upgrade() -> None:
    op.create_table(
        "platform_ref",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspace.id"], name="platform_ref_workspace_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "workspace_id", "platform", "kind", "key", name="uq_platform_ref_workspace_id_platform_kind_key"
        ),
    )
    _slack_tables().create_all(op.get_bind())


def downgrade() -> None:
    _slack_tables().drop_all(op.get_bind())
    op.drop_table("platform_ref")
