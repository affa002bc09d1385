"""The requesters' answers to "How well was this handled?" (CSAT), one per swarm."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from sqlmodel import col, select

from bot.models import CsatAnswer
from storage._sql import Repository, require_id
from storage.tables import CsatRow


class SqlCsatRepository(Repository):
    async def add(self, answer: CsatAnswer) -> bool:
        insert = self._insert(CsatRow).values(
            workspace_id=answer.workspace_id,
            swarm_id=answer.swarm_id,
            person_id=answer.person_id,
            score=answer.score,
            at=answer.at,
        )
        # Two clicks at the same moment: the unique swarm_id keeps the first, the second inserts nothing.
        statement = insert.on_conflict_do_nothing(index_elements=["swarm_id"]).returning(col(CsatRow.id))
        return (await self._session.exec(statement)).first() is not None

    async def get(self, swarm_id: int) -> CsatAnswer | None:
        row = (await self._session.exec(select(CsatRow).where(CsatRow.swarm_id == swarm_id))).first()
        return None if row is None else _to_answer(row)

    async def for_swarms(self, swarm_ids: Iterable[int]) -> builtins.list[CsatAnswer]:
        ids = sorted(set(swarm_ids))
        if not ids:
            return []
        statement = select(CsatRow).where(col(CsatRow.swarm_id).in_(ids)).order_by(col(CsatRow.at), col(CsatRow.id))
        return [_to_answer(row) for row in (await self._session.exec(statement)).all()]


def _to_answer(row: CsatRow) -> CsatAnswer:
    return CsatAnswer(
        id=require_id(row.id, "csat answer"),
        workspace_id=row.workspace_id,
        swarm_id=row.swarm_id,
        person_id=row.person_id,
        score=row.score,
        at=row.at,
    )
