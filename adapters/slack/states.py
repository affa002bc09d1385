"""The OAuth states of installs ("Add to Slack") and of Sign in with Slack: slack_sdk's store, with a purge.

slack_sdk deletes a state only when it is used; one issued and never used (a page opened and left, or a client
asking for install pages in a loop) stayed in `slack_oauth_states` for ever. The scheduler purges the expired ones
(adapters/scheduler.py, chore `purge-oauth-states`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

log = logging.getLogger(__name__)


class PurgedStateStore(AsyncSQLAlchemyOAuthStateStore):
    async def purge(self, now: datetime | None = None) -> int:
        """Deletes the states that expired by `now`; returns how many."""
        moment = normalize_datetime_for_db(now or datetime.now(tz=UTC))
        table = self.oauth_states
        async with self.engine.begin() as conn:
            result = await conn.execute(table.delete().where(table.c.expire_at <= moment))
        purged = int(result.rowcount or 0)
        if purged:
            log.info("purged %d expired Slack OAuth states", purged)
        return purged
