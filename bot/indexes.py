"""One MatchIndex per workspace, kept between requests: building it reads the whole roster and history."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.expertise import DEFAULT_HALF_LIFE_DAYS
from bot.matching import MatchIndex
from bot.ports import UnitOfWork

# Another replica may have changed the roster; past this age an index is rebuilt even if nobody here said so.
MAX_AGE = timedelta(seconds=60)


class IndexCache:
    def __init__(self, half_life_days: float = DEFAULT_HALF_LIFE_DAYS, max_age: timedelta = MAX_AGE) -> None:
        self.half_life_days = half_life_days
        self.max_age = max_age
        self._indexes: dict[int, tuple[datetime, MatchIndex]] = {}

    async def get(self, uow: UnitOfWork, workspace_id: int, now: datetime) -> MatchIndex:
        cached = self._indexes.get(workspace_id)
        if cached is not None and abs(now - cached[0]) < self.max_age:
            return cached[1]
        people = await uow.people.list(workspace_id)
        history = await uow.swarms.resolved_history(workspace_id)
        index = MatchIndex.build(people, history, now=now, half_life_days=self.half_life_days)
        self._indexes[workspace_id] = (now, index)
        return index

    def invalidate(self, workspace_id: int | None = None) -> None:
        """After a change to the roster or the history: the next ranking rebuilds the index."""
        if workspace_id is None:
            self._indexes.clear()
        else:
            self._indexes.pop(workspace_id, None)
