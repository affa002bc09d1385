"""What learned expertise needs: the skills a swarm sought, inferred skills a person hid, imported history ids.

Revision ID: 0003_expertise
Revises: 0002_platform_refs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_expertise"
down_revision = "0002_platform_refs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a constraint to an existing table, so Alembic rebuilds it there.
    with op.batch_alter_table("person") as person:
        person.add_column(sa.Column("hidden_skills", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("swarm") as swarm:
        swarm.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="[]"))
        swarm.add_column(sa.Column("external_id", sa.String(), nullable=True))
        swarm.create_unique_constraint("uq_swarm_workspace_id_external_id", ["workspace_id", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("swarm") as swarm:
        swarm.drop_constraint("uq_swarm_workspace_id_external_id", type_="unique")
        swarm.drop_column("external_id")
        swarm.drop_column("skills")
    with op.batch_alter_table("person") as person:
        person.drop_column("hidden_skills")
