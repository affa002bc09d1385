"""Room for encrypted Slack tokens: slack_sdk's token columns are VARCHAR(200); a sealed token is longer.

Tokens are encrypted at rest (adapters/slack/tokens.py); the ciphertext of a long rotating token does not fit 200
characters. SQLite does not enforce VARCHAR lengths, so only PostgreSQL's columns change (to TEXT; widening only).

Revision ID: 0008_sealed_tokens
Revises: 0007_semantic
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_sealed_tokens"
down_revision = "0007_semantic"
branch_labels = None
depends_on = None

COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(200), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.String(200), existing_type=sa.Text(), existing_nullable=True)
