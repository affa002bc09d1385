"""Swarms, members and the timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.models import Case, EventKind, Member, Person, Role, Swarm, SwarmStatus, TimelineEntry, Via, Workspace
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]
T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def ana(add_person: AddPerson) -> Person:
    return await add_person("Ana", slack_id="U01ANA")


async def _add(store: SqlStore, *swarms: Swarm) -> list[Swarm]:
    async with store.unit() as uow:
        added = [await uow.swarms.add(swarm) for swarm in swarms]
        await uow.commit()
    return added


def _swarm(workspace: Workspace, owner: Person, number: int, **fields: object) -> Swarm:
    return Swarm(workspace.id, number, Case(f"case {number}"), owner.id or 0, "C-SUPPORT", **fields)  # type: ignore[arg-type]


async def test_a_swarm_comes_back_as_added(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    swarm = Swarm(
        workspace_id=workspace.id,
        number=42,
        case=Case(
            "Acme export fails with a timeout 😱",
            tags=("billing", "export"),
            severity=1,
            customer="Acme",
            product="Ledger",
            version="4.2",
        ),
        owner_id=ana.id or 0,
        origin_channel="C-SUPPORT",
        status=SwarmStatus.OPEN,
        created_at=T0,
        announcement_id="1717232400.000100",
        room_id="C-ROOM-42",
        room_name="swarm-42-acme-export-fails",
        first_expert_reply_at=T0 + timedelta(minutes=3),
    )
    [added] = await _add(store, swarm)
    assert added is swarm and swarm.id is not None
    async with store.unit() as uow:
        assert await uow.swarms.get(workspace.id, 42) == swarm
        assert await uow.swarms.by_id(swarm.id) == swarm
        assert await uow.swarms.by_room(workspace.id, "C-ROOM-42") == swarm
        assert await uow.swarms.by_announcement(workspace.id, "1717232400.000100") == swarm
        assert await uow.swarms.get(workspace.id, 43) is None
        assert await uow.swarms.by_id(swarm.id + 1000) is None
        assert await uow.swarms.by_room(workspace.id, "C-OTHER") is None
        assert await uow.swarms.by_announcement(workspace.id, "1.2") is None


async def test_a_new_swarm_is_stamped_with_the_time_it_was_added(
    store: SqlStore, workspace: Workspace, ana: Person
) -> None:
    before = datetime.now(UTC)
    [swarm] = await _add(store, _swarm(workspace, ana, 1))
    assert swarm.created_at is not None and before <= swarm.created_at <= datetime.now(UTC)
    async with store.unit() as uow:
        loaded = await uow.swarms.by_id(swarm.id or 0)
    assert loaded is not None and loaded.created_at == swarm.created_at and loaded.status is SwarmStatus.OPENING


async def test_save_writes_every_field(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo = await add_person("Bo")
    [swarm] = await _add(store, _swarm(workspace, ana, 1))
    swarm.status = SwarmStatus.RESOLVED
    swarm.owner_id = bo.id or 0
    swarm.case = Case("Export fails", tags=("export",), severity=2, customer="Acme")
    swarm.room_id, swarm.room_name, swarm.announcement_id = "C-ROOM", "swarm-1-export", "111.222"
    swarm.first_expert_reply_at = T0
    swarm.resolved_at = T0 + timedelta(hours=1)
    swarm.resolution = "Raised the export timeout."
    swarm.closing, swarm.summary_id, swarm.thread_summary_id = True, "333.444", "555.666"
    async with store.unit() as uow:
        await uow.swarms.save(swarm)
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.swarms.by_id(swarm.id or 0) == swarm


async def test_save_needs_an_added_swarm(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    async with store.unit() as uow:
        with pytest.raises(ValueError):
            await uow.swarms.save(_swarm(workspace, ana, 1))
        with pytest.raises(LookupError):
            await uow.swarms.save(_swarm(workspace, ana, 1, id=404))


async def test_a_number_is_used_once_per_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, add_person: AddPerson, ana: Person
) -> None:
    zed = await add_person("Zed", workspace_id=other_workspace.id)
    await _add(store, _swarm(workspace, ana, 1), _swarm(other_workspace, zed, 1))
    with pytest.raises(IntegrityError):
        await _add(store, _swarm(workspace, ana, 1))


async def test_lookups_stay_in_their_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, ana: Person
) -> None:
    await _add(store, _swarm(workspace, ana, 7, room_id="C-ROOM", announcement_id="1.1"))
    async with store.unit() as uow:
        assert await uow.swarms.get(other_workspace.id, 7) is None
        assert await uow.swarms.by_room(other_workspace.id, "C-ROOM") is None
        assert await uow.swarms.by_announcement(other_workspace.id, "1.1") is None
        assert await uow.swarms.list(other_workspace.id) == []


async def test_many_swarms_by_their_announcements_in_one_go(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, ana: Person
) -> None:
    await _add(
        store,
        _swarm(workspace, ana, 1, announcement_id="1.1"),
        _swarm(workspace, ana, 2, announcement_id="1.1"),
        _swarm(workspace, ana, 3, announcement_id="3.3"),
    )
    async with store.unit() as uow:
        found = await uow.swarms.by_announcements(workspace.id, ["1.1", "3.3", "9.9", "1.1"])
        assert {key: swarm.number for key, swarm in found.items()} == {"1.1": 2, "3.3": 3}
        assert found["1.1"] == await uow.swarms.by_announcement(workspace.id, "1.1")
        assert await uow.swarms.by_announcements(other_workspace.id, ["1.1"]) == {}
        assert await uow.swarms.by_announcements(workspace.id, []) == {}


async def test_members_and_timelines_of_many_swarms_in_one_go(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo = await add_person("Bo")
    first, second, empty = await _add(store, *(_swarm(workspace, ana, n) for n in (1, 2, 3)))
    ids = [s.id or 0 for s in (first, second, empty)]
    async with store.unit() as uow:
        for swarm_id, person in [(ids[1], bo), (ids[0], ana), (ids[1], ana)]:
            await uow.swarms.save_member(Member(swarm_id, person.id or 0, Role.HELPER, Via.REACTION, joined_at=T0))
        await uow.swarms.add_entries(
            [
                TimelineEntry(ids[1], EventKind.JOINED, T0 + timedelta(minutes=1), bo.id),
                TimelineEntry(ids[0], EventKind.OPENED, T0, ana.id),
                TimelineEntry(ids[1], EventKind.OPENED, T0, ana.id),
            ]
        )
        await uow.commit()
    async with store.unit() as uow:
        members = await uow.swarms.members_of(ids)
        timelines = await uow.swarms.timelines(ids)
        for swarm_id in ids:
            assert members[swarm_id] == await uow.swarms.members(swarm_id)
            assert timelines[swarm_id] == await uow.swarms.timeline(swarm_id)
    assert [m.person_id for m in members[ids[1]]] == [bo.id, ana.id] and members[ids[2]] == []
    assert [e.kind for e in timelines[ids[1]]] == [EventKind.OPENED, EventKind.JOINED] and timelines[ids[2]] == []


async def test_list_is_newest_first_and_filters(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo = await add_person("Bo")
    statuses = [SwarmStatus.RESOLVED, SwarmStatus.OPEN, SwarmStatus.OPENING, SwarmStatus.CANCELLED, SwarmStatus.OPEN]
    swarms = await _add(store, *(_swarm(workspace, ana, n, status=s) for n, s in enumerate(statuses, start=1)))
    async with store.unit() as uow:
        for swarm, joined, left in [
            (swarms[0], T0, None),
            (swarms[1], T0, None),
            (swarms[4], T0, T0),
            (swarms[2], None, None),
        ]:
            await uow.swarms.save_member(Member(swarm.id or 0, bo.id or 0, Role.EXPERT, Via.MATCH, T0, joined, left))
        await uow.commit()

    async def numbers(**filters: object) -> list[int]:
        async with store.unit() as uow:
            return [s.number for s in await uow.swarms.list(workspace.id, **filters)]  # type: ignore[arg-type]

    assert await numbers() == [5, 4, 3, 2, 1]
    assert await numbers(statuses=[SwarmStatus.OPENING, SwarmStatus.OPEN]) == [5, 3, 2]
    assert await numbers(statuses=(s for s in [SwarmStatus.RESOLVED])) == [1]
    assert await numbers(statuses=[]) == []
    assert await numbers(member_id=bo.id) == [2, 1]
    assert await numbers(member_id=bo.id, statuses=[SwarmStatus.OPEN]) == [2]
    assert await numbers(member_id=ana.id) == []
    assert await numbers(statuses=[SwarmStatus.OPENING, SwarmStatus.OPEN], limit=2) == [5, 3]
    assert await numbers(owner_id=ana.id) == [5, 4, 3, 2, 1]
    assert await numbers(owner_id=bo.id) == []
    assert await numbers(created_since=datetime.now(UTC)) == []
    assert await numbers(created_since=datetime.now(UTC) - timedelta(hours=1), owner_id=ana.id, limit=1) == [5]
    async with store.unit() as uow:
        assert await uow.swarms.count(workspace.id, [SwarmStatus.OPENING, SwarmStatus.OPEN]) == 3
        assert await uow.swarms.count(workspace.id, []) == 0


async def test_list_finds_swarms_still_closing_and_those_resolved_in_a_window(
    store: SqlStore, workspace: Workspace, ana: Person
) -> None:
    resolved = SwarmStatus.RESOLVED
    await _add(
        store,
        _swarm(workspace, ana, 1, status=resolved, resolved_at=T0, closing=True),
        _swarm(workspace, ana, 2, status=resolved, resolved_at=T0 + timedelta(days=1)),
        _swarm(workspace, ana, 3, status=resolved, resolved_at=T0 + timedelta(days=2)),
        _swarm(workspace, ana, 4, status=SwarmStatus.OPEN),
    )
    async with store.unit() as uow:
        assert [s.number for s in await uow.swarms.list(workspace.id, closing=True)] == [1]
        assert [s.number for s in await uow.swarms.list(workspace.id, closing=False)] == [4, 3, 2]
        window = (T0 + timedelta(hours=1), T0 + timedelta(days=2))
        assert [s.number for s in await uow.swarms.list(workspace.id, resolved_between=window)] == [3, 2]


async def test_unanswered_invitations_of_open_swarms_only(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo, cy = await add_person("Bo"), await add_person("Cy")
    open_, closed = await _add(
        store,
        _swarm(workspace, ana, 1, status=SwarmStatus.OPEN),
        _swarm(workspace, ana, 2, status=SwarmStatus.RESOLVED),
    )
    late = T0 + timedelta(hours=1)
    async with store.unit() as uow:
        for member in [
            Member(open_.id or 0, bo.id or 0, Role.EXPERT, Via.MATCH, invited_at=T0),  # unanswered
            Member(open_.id or 0, cy.id or 0, Role.EXPERT, Via.MATCH, invited_at=late),  # too recent
            Member(open_.id or 0, ana.id or 0, Role.OWNER, Via.COMMAND, invited_at=T0, joined_at=T0),  # joined
            Member(closed.id or 0, bo.id or 0, Role.EXPERT, Via.MATCH, invited_at=T0),  # swarm closed
        ]:
            await uow.swarms.save_member(member)
        await uow.commit()
    async with store.unit() as uow:
        found = await uow.swarms.unanswered(workspace.id, late)
    assert [(m.swarm_id, m.person_id) for m in found] == [(open_.id, bo.id)]


async def test_last_activities_of_open_swarms(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    quiet, busy, closed = await _add(
        store,
        _swarm(workspace, ana, 1, status=SwarmStatus.OPEN),
        _swarm(workspace, ana, 2, status=SwarmStatus.OPEN),
        _swarm(workspace, ana, 3, status=SwarmStatus.RESOLVED),
    )
    async with store.unit() as uow:
        for swarm_id, kind, at in [
            (busy.id, EventKind.OPENED, T0),
            (busy.id, EventKind.MESSAGE, T0 + timedelta(minutes=5)),
            (busy.id, EventKind.SNOOZED, T0 + timedelta(minutes=9)),  # not an activity asked for
            (closed.id, EventKind.MESSAGE, T0),
        ]:
            last = await uow.swarms.add_entry(TimelineEntry(swarm_id or 0, kind, at, ana.id))
            if kind is EventKind.MESSAGE and swarm_id == busy.id:
                message = last
        await uow.commit()
        found = await uow.swarms.last_activities(workspace.id, [EventKind.OPENED, EventKind.MESSAGE])
    assert found == {busy.id: (message.id, T0 + timedelta(minutes=5))}
    assert quiet.id not in found


async def test_save_member_inserts_then_updates_one_row(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    [swarm] = await _add(store, _swarm(workspace, ana, 1))
    async with store.unit() as uow:
        invited = await uow.swarms.save_member(
            Member(swarm.id or 0, ana.id or 0, Role.EXPERT, Via.MATCH, invited_at=T0)
        )
        assert invited.id is not None
        assert await uow.swarms.members(swarm.id or 0) == [invited]
        # The core may build a fresh Member (no id) for the same person: still the same row.
        joined = Member(swarm.id or 0, ana.id or 0, Role.HELPER, Via.REACTION, invited_at=T0, joined_at=T0)
        await uow.swarms.save_member(joined)
        assert joined.id == invited.id
        # Read in the same unit, after members() has loaded the old row.
        assert await uow.swarms.members(swarm.id or 0) == [joined]
        await uow.commit()
    async with store.unit() as uow:
        [member] = await uow.swarms.members(swarm.id or 0)
    assert member == joined and member.active


async def test_save_members_upserts_many_in_one_go(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo = await add_person("Bo")
    [swarm, other] = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    async with store.unit() as uow:
        await uow.swarms.save_member(Member(swarm.id or 0, ana.id or 0, Role.EXPERT, Via.MATCH, invited_at=T0))
        [before] = await uow.swarms.members(swarm.id or 0)
        later = T0 + timedelta(minutes=3)
        await uow.swarms.save_members(
            [
                Member(swarm.id or 0, ana.id or 0, Role.EXPERT, Via.REACTION, invited_at=T0, joined_at=later),
                Member(swarm.id or 0, bo.id or 0, Role.HELPER, Via.REACTION, joined_at=T0),
                Member(swarm.id or 0, bo.id or 0, Role.OBSERVER, Via.REACTION, joined_at=later),  # the last one wins
                Member(other.id or 0, bo.id or 0, Role.LEARNER, Via.BUTTON),
            ]
        )
        # Read in the same unit, after members() has loaded the old row: the new values, the same row.
        [ana_now, bo_now] = await uow.swarms.members(swarm.id or 0)
        assert ana_now.id == before.id and ana_now.joined_at == later and ana_now.via is Via.REACTION
        assert (bo_now.person_id, bo_now.role, bo_now.joined_at) == (bo.id, Role.OBSERVER, later)
        await uow.commit()
    async with store.unit() as uow:
        assert [(m.person_id, m.role) for m in await uow.swarms.members(other.id or 0)] == [(bo.id, Role.LEARNER)]
        assert [m.active for m in await uow.swarms.members(swarm.id or 0)] == [True, True]
        await uow.swarms.save_members([])
        with pytest.raises(LookupError):
            await uow.swarms.save_members([Member(404, ana.id or 0, Role.HELPER, Via.REACTION)])


async def test_members_are_in_the_order_they_came(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo, cy = await add_person("Bo"), await add_person("Cy")
    [swarm, other] = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    async with store.unit() as uow:
        for person, role in [(ana, Role.OWNER), (cy, Role.EXPERT), (bo, Role.OBSERVER)]:
            await uow.swarms.save_member(Member(swarm.id or 0, person.id or 0, role, Via.COMMAND, joined_at=T0))
        await uow.swarms.save_member(Member(other.id or 0, bo.id or 0, Role.LEARNER, Via.BUTTON))
        await uow.commit()
    async with store.unit() as uow:
        members = await uow.swarms.members(swarm.id or 0)
    assert [(m.person_id, m.role) for m in members] == [
        (ana.id, Role.OWNER),
        (cy.id, Role.EXPERT),
        (bo.id, Role.OBSERVER),
    ]


async def test_save_member_of_an_unknown_swarm(store: SqlStore, ana: Person) -> None:
    async with store.unit() as uow:
        with pytest.raises(LookupError):
            await uow.swarms.save_member(Member(404, ana.id or 0, Role.HELPER, Via.REACTION))


async def test_the_timeline_is_oldest_first(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    [swarm, other] = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    sid = swarm.id or 0
    entries = [
        TimelineEntry(sid, EventKind.MESSAGE, T0 + timedelta(minutes=2), ana.id, "try a bigger timeout 🙏", "m2"),
        TimelineEntry(sid, EventKind.OPENED, T0, ana.id, "Acme export fails"),
        TimelineEntry(sid, EventKind.JOINED, T0 + timedelta(minutes=1), ana.id),
        TimelineEntry(sid, EventKind.SOLUTION, T0 + timedelta(minutes=2), None, "", "m2"),
        TimelineEntry(other.id or 0, EventKind.OPENED, T0, ana.id, "other case"),
    ]
    async with store.unit() as uow:
        for entry in entries:
            assert (await uow.swarms.add_entry(entry)).id is not None
        await uow.commit()
    async with store.unit() as uow:
        timeline = await uow.swarms.timeline(sid)
        by_message = await uow.swarms.entry_by_message(sid, "m2")
        assert await uow.swarms.entry_by_message(sid, "m404") is None
        assert await uow.swarms.entry_by_message(other.id or 0, "m2") is None
    assert timeline == [entries[1], entries[2], entries[0], entries[3]]
    assert by_message == entries[0]
    assert all(e.at.tzinfo is not None for e in timeline)


async def test_an_edited_or_deleted_message_changes_with_its_marks_and_nothing_else(
    store: SqlStore, workspace: Workspace, ana: Person
) -> None:
    [swarm, other] = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    sid, oid = swarm.id or 0, other.id or 0
    async with store.unit() as uow:
        await uow.swarms.add_entries(
            [
                TimelineEntry(sid, EventKind.MESSAGE, T0, ana.id, "restart it", "m1"),
                TimelineEntry(sid, EventKind.SOLUTION, T0, ana.id, "restart it", "m1:mark"),
                TimelineEntry(sid, EventKind.MESSAGE, T0, ana.id, "a pasted secret", "m2"),
                TimelineEntry(sid, EventKind.SOLUTION, T0, ana.id, "a pasted secret", "m2:mark"),
                TimelineEntry(oid, EventKind.MESSAGE, T0, ana.id, "restart it", "m1"),
            ]
        )
        await uow.commit()
    async with store.unit() as uow:
        await uow.swarms.rewrite_message(sid, "m1", "clear the cache")
        await uow.swarms.remove_message(sid, "m2")
        await uow.commit()
    async with store.unit() as uow:
        timeline = [(e.kind, e.text, e.message_id) for e in await uow.swarms.timeline(sid)]
        untouched = [e.text for e in await uow.swarms.timeline(oid)]
    assert timeline == [
        (EventKind.MESSAGE, "clear the cache", "m1"),
        (EventKind.SOLUTION, "clear the cache", "m1:mark"),
    ]
    assert untouched == ["restart it"]


async def test_entries_added_many_at_once_keep_their_order(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    [swarm] = await _add(store, _swarm(workspace, ana, 1))
    sid = swarm.id or 0
    said = [TimelineEntry(sid, EventKind.MESSAGE, T0, ana.id, f"step {i}", f"m{i}") for i in range(5)]
    async with store.unit() as uow:
        await uow.swarms.add_entries(said)
        await uow.swarms.add_entries([])
        await uow.commit()
    async with store.unit() as uow:
        timeline = await uow.swarms.timeline(sid)
    assert [(e.text, e.message_id) for e in timeline] == [(e.text, e.message_id) for e in said]


async def test_a_room_message_is_added_once_per_swarm(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    [swarm, other] = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    sid, oid = swarm.id or 0, other.id or 0

    def said(swarm_id: int, message_id: str, text: str) -> TimelineEntry:
        return TimelineEntry(swarm_id, EventKind.MESSAGE, T0, ana.id, text, message_id)

    async with store.unit() as uow:
        first = await uow.swarms.add_messages(
            [said(sid, "m1", "one"), said(sid, "m2", "two"), said(sid, "m1", "again")]
        )
        await uow.commit()
    async with store.unit() as uow:
        # m2 is there already; the same message id in another swarm is another message; a ✅ mark is no message.
        await uow.swarms.add_entry(TimelineEntry(sid, EventKind.SOLUTION, T0, ana.id, "two", "m3"))
        second = await uow.swarms.add_messages([said(sid, "m2", "two, retried"), said(sid, "m3", "three")])
        elsewhere = await uow.swarms.add_messages([said(oid, "m1", "one, elsewhere")])
        nothing = await uow.swarms.add_messages([])
        await uow.commit()
    async with store.unit() as uow:
        timeline = await uow.swarms.timeline(sid)

    assert (first, second, elsewhere, nothing) == ({"m1", "m2"}, {"m3"}, {"m1"}, set())
    assert [(e.kind, e.message_id, e.text) for e in timeline] == [
        (EventKind.MESSAGE, "m1", "one"),
        (EventKind.MESSAGE, "m2", "two"),
        (EventKind.SOLUTION, "m3", "two"),
        (EventKind.MESSAGE, "m3", "three"),
    ]


async def test_add_messages_takes_room_messages_only(store: SqlStore, workspace: Workspace, ana: Person) -> None:
    [swarm] = await _add(store, _swarm(workspace, ana, 1))
    async with store.unit() as uow:
        with pytest.raises(ValueError, match="room messages"):
            await uow.swarms.add_messages([TimelineEntry(swarm.id or 0, EventKind.JOINED, T0, ana.id)])
        with pytest.raises(ValueError, match="message id"):
            await uow.swarms.add_messages([TimelineEntry(swarm.id or 0, EventKind.MESSAGE, T0, ana.id, "hi")])


async def test_add_entry_to_an_unknown_swarm(store: SqlStore) -> None:
    async with store.unit() as uow:
        with pytest.raises(LookupError):
            await uow.swarms.add_entry(TimelineEntry(404, EventKind.MESSAGE, T0))


async def test_swarms_joined_counts_each_persons_joins_and_leaves_out_the_only_invited(
    store: SqlStore, workspace: Workspace, ana: Person, add_person: AddPerson
) -> None:
    bo, cy = await add_person("Bo"), await add_person("Cy")
    first, second = await _add(store, _swarm(workspace, ana, 1), _swarm(workspace, ana, 2))
    async with store.unit() as uow:
        for swarm in (first, second):
            await uow.swarms.save_member(Member(swarm.id or 0, ana.id or 0, Role.HELPER, Via.REACTION, joined_at=T0))
        await uow.swarms.save_member(Member(first.id or 0, bo.id or 0, Role.HELPER, Via.REACTION, joined_at=T0))
        await uow.swarms.save_member(Member(second.id or 0, cy.id or 0, Role.EXPERT, Via.MATCH, invited_at=T0))
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.swarms.swarms_joined([ana.id or 0, bo.id or 0, cy.id or 0]) == {ana.id: 2, bo.id: 1}
        assert await uow.swarms.swarms_joined([]) == {}
