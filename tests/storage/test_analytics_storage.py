"""What analytics reads and writes: the swarms alive in a period (members and timelines in bulk) and CSAT answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.models import (
    Case,
    CsatAnswer,
    EventKind,
    Member,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    TimelineEntry,
    Via,
    Workspace,
)
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def ana(add_person: AddPerson) -> Person:
    return await add_person("Ana", email="ana@example.com")


async def _swarm(
    store: SqlStore,
    workspace: Workspace,
    owner: Person,
    number: int,
    created: datetime,
    status: SwarmStatus = SwarmStatus.OPEN,
    resolved: datetime | None = None,
    events: tuple[tuple[EventKind, datetime], ...] = (),
) -> Swarm:
    async with store.unit() as uow:
        swarm = await uow.swarms.add(
            Swarm(
                workspace.id, number, Case(f"case {number}"), owner.id or 0, "C1", status, created, resolved_at=resolved
            )
        )
        assert swarm.id is not None
        await uow.swarms.save_member(Member(swarm.id, owner.id or 0, Role.OWNER, Via.COMMAND, created, created))
        await uow.swarms.add_entry(TimelineEntry(swarm.id, EventKind.OPENED, created, owner.id))
        for kind, at in events:
            await uow.swarms.add_entry(TimelineEntry(swarm.id, kind, at, owner.id))
        await uow.commit()
    return swarm


async def test_in_period_loads_the_swarms_alive_in_it_with_members_and_timelines(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    resolved, cancelled = SwarmStatus.RESOLVED, SwarmStatus.CANCELLED
    week_before = SINCE - 7 * DAY
    await _swarm(store, workspace, ana, 1, week_before, resolved, week_before + DAY)  # done before: out
    await _swarm(store, workspace, ana, 2, week_before)  # open all along: in
    await _swarm(store, workspace, ana, 3, SINCE + DAY)  # opened in it: in
    await _swarm(store, workspace, ana, 4, week_before, resolved, SINCE + DAY, ((EventKind.RESOLVED, SINCE + DAY),))
    await _swarm(store, workspace, ana, 5, UNTIL)  # opened at the end, which is not in it: out
    # Resolved before, but thanked in it: in (the thank-you is part of the period).
    await _swarm(store, workspace, ana, 6, week_before, resolved, week_before, ((EventKind.THANKED, SINCE + DAY),))
    await _swarm(store, workspace, ana, 7, week_before, cancelled, None, ((EventKind.CANCELLED, week_before),))
    await _swarm(store, workspace, ana, 8, week_before, cancelled, None, ((EventKind.CANCELLED, SINCE),))
    bo = await add_person("Bo", workspace_id=other_workspace.id)
    await _swarm(store, other_workspace, bo, 1, SINCE + DAY)

    async with store.unit() as uow:
        alive = await uow.swarms.in_period(workspace.id, SINCE, UNTIL)
    assert [swarm.number for swarm, _, _ in alive] == [2, 3, 4, 6, 8]
    swarm, members, timeline = alive[2]
    assert [(m.person_id, m.role) for m in members] == [(ana.id, Role.OWNER)]
    assert [e.kind for e in timeline] == [EventKind.OPENED, EventKind.RESOLVED]
    assert all(e.swarm_id == swarm.id for e in timeline)
    async with store.unit() as uow:
        later = await uow.swarms.in_period(workspace.id, UNTIL, UNTIL + DAY)
        earlier = await uow.swarms.in_period(workspace.id, week_before - 7 * DAY, week_before)
    # The next week: the two still open, and the one opened as it starts.
    assert [swarm.number for swarm, _, _ in later] == [2, 3, 5]
    assert earlier == []


async def test_one_csat_answer_per_swarm(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    one = await _swarm(store, workspace, ana, 1, SINCE, SwarmStatus.RESOLVED, SINCE + DAY)
    two = await _swarm(store, workspace, ana, 2, SINCE, SwarmStatus.RESOLVED, SINCE + DAY)
    assert one.id is not None and two.id is not None
    first = CsatAnswer(workspace.id, one.id, ana.id or 0, 4, SINCE + DAY)
    async with store.unit() as uow:
        assert await uow.csat.add(first) is True
        assert await uow.csat.add(CsatAnswer(workspace.id, one.id, ana.id or 0, 1, SINCE + 2 * DAY)) is False
        assert await uow.csat.add(CsatAnswer(workspace.id, two.id, ana.id or 0, 2, SINCE)) is True
        await uow.commit()
    async with store.unit() as uow:
        stored = await uow.csat.get(one.id)
        assert stored is not None and (stored.score, stored.at) == (4, SINCE + DAY)
        assert await uow.csat.get(404) is None
        assert [(a.swarm_id, a.score) for a in await uow.csat.for_swarms([one.id, two.id, 404])] == [
            (two.id, 2),
            (one.id, 4),
        ]
        assert await uow.csat.for_swarms([]) == []


@pytest.mark.parametrize("score", [0, 6])
async def test_a_score_outside_one_to_five_is_refused_by_the_database(
    store: SqlStore, workspace: Workspace, ana: Person, score: int
) -> None:
    swarm = await _swarm(store, workspace, ana, 1, SINCE, SwarmStatus.RESOLVED, SINCE + DAY)
    async with store.unit() as uow:
        with pytest.raises(IntegrityError):
            await uow.csat.add(CsatAnswer(workspace.id, swarm.id or 0, ana.id or 0, score, SINCE))
