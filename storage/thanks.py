"""Thank-yous between people: recorded by `/swarm thanks`, counted by the weekly digest and analytics."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.models import Thanks
from storage._sql import Repository, require_id
from storage.tables import ThanksRow


class SqlThanksRepository(Repository):
    async def add(self, thanks: Thanks) -> Thanks:
        row = ThanksRow(
            workspace_id=thanks.workspace_id,
            giver_id=thanks.giver_id,
            receiver_id=thanks.receiver_id,
            swarm_id=thanks.swarm_id,
            reason=thanks.reason,
            at=thanks.at,
        )
        self._session.add(row)
        await self._session.flush()
        return _to_thanks(row)

    async def between(self, workspace_id: int, since: datetime, until: datetime) -> list[Thanks]:
        statement = (
            select(ThanksRow)
            .where(ThanksRow.workspace_id == workspace_id, col(ThanksRow.at) >= since, col(ThanksRow.at) < until)
            .order_by(col(ThanksRow.at), col(ThanksRow.id))
        )
        return [_to_thanks(row) for row in (await self._session.exec(statement)).all()]


def _to_thanks(row: ThanksRow) -> Thanks:
    return Thanks(
        id=require_id(row.id, "thanks"),
        workspace_id=row.workspace_id,
        giver_id=row.giver_id,
        receiver_id=row.receiver_id,
        swarm_id=row.swarm_id,
        reason=row.reason,
        at=row.at,
    )
