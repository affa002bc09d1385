"""Per workspace, kept between requests: the MatchIndex (building it reads the whole roster and history) and the
recent invitations the matcher spreads its load with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.expertise import DEFAULT_HALF_LIFE_DAYS
from bot.matching import MatchIndex
from bot.ports import UnitOfWork

# Another replica may have changed the roster; past this age an index is rebuilt even if nobody here said so.
MAX_AGE = timedelta(seconds=60)
# Invitations are read again whole at most this often (and after `invalidate`); in between, a ranking reads only those
# made since its last look, less OVERLAP: another process's transaction may commit an invitation a little late.
INVITATIONS_MAX_AGE = timedelta(minutes=10)
OVERLAP = timedelta(minutes=5)


@dataclass
class _Invitations:
    loaded_at: datetime  # when they were read whole
    looked_at: datetime  # the last look
    seen: set[int] = field(default_factory=set)  # member ids
    by_person: dict[int, list[datetime]] = field(default_factory=dict)


class IndexCache:
    def __init__(self, half_life_days: float = DEFAULT_HALF_LIFE_DAYS, max_age: timedelta = MAX_AGE) -> None:
        self.half_life_days = half_life_days
        self.max_age = max_age
        self._indexes: dict[int, tuple[datetime, MatchIndex]] = {}
        self._invitations: dict[int, _Invitations] = {}

    async def get(self, uow: UnitOfWork, workspace_id: int, now: datetime) -> MatchIndex:
        cached = self._indexes.get(workspace_id)
        if cached is not None and abs(now - cached[0]) < self.max_age:
            return cached[1]
        people = await uow.people.list(workspace_id)
        history = await uow.swarms.resolved_history(workspace_id)
        members = await uow.swarms.members_of(s.id for s, _ in history if s.id is not None)
        roles = {swarm_id: {m.person_id: m.role for m in found} for swarm_id, found in members.items()}
        index = MatchIndex.build(people, history, now=now, half_life_days=self.half_life_days, roles=roles)
        self._indexes[workspace_id] = (now, index)
        return index

    async def invitations(
        self, uow: UnitOfWork, workspace_id: int, now: datetime, window: timedelta
    ) -> Mapping[int, Sequence[datetime]]:
        """When each person was invited by the matcher within `window` before now (a little older ones may stay
        until the next whole read; the matcher counts by its own, shorter, periods). Reading the whole window for
        every ranking cost ≈ 40 ms at 10k open swarms; this reads what is new."""
        cached = self._invitations.get(workspace_id)
        if cached is None or not (cached.loaded_at <= now < cached.loaded_at + INVITATIONS_MAX_AGE):
            cached = _Invitations(loaded_at=now, looked_at=now - window)
            self._invitations[workspace_id] = cached
        since = max(now - window, min(cached.looked_at, now) - OVERLAP)
        for member_id, person_id, at in await uow.swarms.invitations(workspace_id, since):
            if member_id not in cached.seen:
                cached.seen.add(member_id)
                cached.by_person.setdefault(person_id, []).append(at)
        cached.looked_at = now
        return cached.by_person

    def invalidate(self, workspace_id: int | None = None) -> None:
        """After a change to the roster or the history: the next ranking rebuilds the index and reads the
        invitations whole."""
        if workspace_id is None:
            self._indexes.clear()
            self._invitations.clear()
        else:
            self._indexes.pop(workspace_id, None)
            self._invitations.pop(workspace_id, None)
