"""Automation: the rolling summary's message, snoozes, opt-outs, thank-yous and the scheduler's lease.

Revision ID: 0005_automation
Revises: 0004_knowledge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_automation"
down_revision = "0004_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace") as workspace:
        workspace.add_column(sa.Column("digest_channel", sa.String(), nullable=True))
        workspace.add_column(sa.Column("digest_off", sa.Boolean(), nullable=False, server_default=sa.false()))
        workspace.add_column(sa.Column("nudges_off", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("person") as person:
        person.add_column(sa.Column("digest_off", sa.Boolean(), nullable=False, server_default=sa.false()))
        person.add_column(sa.Column("nudges_off", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("swarm") as swarm:
        swarm.add_column(sa.Column("card_id", sa.String(), nullable=True))
        swarm.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "thanks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("swarm_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspace.id"], name="thanks_workspace_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["giver_id"], ["person.id"], name="thanks_giver_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["receiver_id"], ["person.id"], name="thanks_receiver_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["swarm_id"], ["swarm.id"], name="thanks_swarm_id_fkey", ondelete="SET NULL"),
    )
    op.create_index("ix_thanks_workspace_id_at", "thanks", ["workspace_id", "at"])
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lease")
    op.drop_index("ix_thanks_workspace_id_at", table_name="thanks")
    op.drop_table("thanks")
    with op.batch_alter_table("swarm") as swarm:
        swarm.drop_column("snoozed_until")
        swarm.drop_column("card_id")
    with op.batch_alter_table("person") as person:
        person.drop_column("nudges_off")
        person.drop_column("digest_off")
    with op.batch_alter_table("workspace") as workspace:
        workspace.drop_column("nudges_off")
        workspace.drop_column("digest_off")
        workspace.drop_column("digest_channel")
