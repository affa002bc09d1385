"""Where each workspace's import from a ticket system got to (bot/history.py), one row per workspace and system."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.models import HistoryCursor
from bot.timezones import as_utc
from storage._sql import Repository
from storage.tables import HistoryCursorRow


class SqlHistoryCursorRepository(Repository):
    async def get(self, workspace_id: int, system: str) -> HistoryCursor | None:
        statement = select(HistoryCursorRow).where(
            HistoryCursorRow.workspace_id == workspace_id, HistoryCursorRow.system == system
        )
        row = (await self._session.exec(statement)).first()
        if row is None:
            return None
        return HistoryCursor(row.workspace_id, row.system, as_utc(row.since), row.cursor)

    async def keep(self, cursor: HistoryCursor, now: datetime) -> None:
        values = {"since": cursor.since, "cursor": cursor.cursor, "updated_at": now}
        insert = self._insert(HistoryCursorRow).values(workspace_id=cursor.workspace_id, system=cursor.system, **values)
        await self._session.exec(insert.on_conflict_do_update(index_elements=["workspace_id", "system"], set_=values))
