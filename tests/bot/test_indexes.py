"""The per-workspace caches of the matcher: the recent invitations, read whole once, then only what is new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.indexes import INVITATIONS_MAX_AGE, OVERLAP, IndexCache
from bot.models import Case, Member, Person, Role, Swarm, SwarmStatus, Via
from storage.database import SqlStore

NOW = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


class Roster:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.workspace_id = 0
        self.swarm_id = 0
        self.people: dict[str, int] = {}

    async def start(self) -> None:
        async with self.store.unit() as uow:
            workspace = await uow.workspaces.ensure("T-test")
            self.workspace_id = workspace.id
            for name in ("Ana", "Ben", "Chen", "Dana", "Eli"):
                person = await uow.people.add(Person(workspace_id=workspace.id, name=name))
                assert person.id is not None
                self.people[name] = person.id
            swarm = await uow.swarms.add(
                Swarm(workspace.id, 1, Case("export fails"), self.people["Ana"], "C1", status=SwarmStatus.OPEN)
            )
            assert swarm.id is not None
            self.swarm_id = swarm.id
            await uow.commit()

    async def invite(self, name: str, at: datetime) -> None:
        async with self.store.unit() as uow:
            await uow.swarms.save_member(Member(self.swarm_id, self.people[name], Role.EXPERT, Via.MATCH, at))
            await uow.commit()

    async def invitations(self, cache: IndexCache, now: datetime) -> dict[str, list[datetime]]:
        async with self.store.unit() as uow:
            found = await cache.invitations(uow, self.workspace_id, now, WINDOW)
        names = {person_id: name for name, person_id in self.people.items()}
        return {names[person_id]: sorted(times) for person_id, times in found.items()}


async def test_invitations_are_read_whole_then_only_what_is_new(store: SqlStore) -> None:
    roster = Roster(store)
    await roster.start()
    cache = IndexCache()
    await roster.invite("Ben", NOW - timedelta(days=40))  # out of the window
    await roster.invite("Chen", NOW - timedelta(days=3))
    assert await roster.invitations(cache, NOW) == {"Chen": [NOW - timedelta(days=3)]}

    later = NOW + timedelta(minutes=1)
    await roster.invite("Dana", later)
    # Committed late by another process: invited before the last look, but within the overlap.
    await roster.invite("Eli", NOW - OVERLAP / 2)
    seen = await roster.invitations(cache, later)
    assert seen == {"Chen": [NOW - timedelta(days=3)], "Dana": [later], "Eli": [NOW - OVERLAP / 2]}
    assert await roster.invitations(cache, later) == seen  # nothing counted twice

    # Older than the overlap, it waits for the next whole read.
    await roster.invite("Ana", NOW - 2 * OVERLAP)
    assert "Ana" not in await roster.invitations(cache, later + timedelta(minutes=1))
    whole = await roster.invitations(cache, NOW + INVITATIONS_MAX_AGE)
    assert whole["Ana"] == [NOW - 2 * OVERLAP]
    cache.invalidate(roster.workspace_id)
    assert await roster.invitations(cache, NOW + INVITATIONS_MAX_AGE) == whole
