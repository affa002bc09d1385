"""Swarms, their members and their timeline."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, delete, exists, insert, or_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Case, EventKind, Member, Role, Swarm, SwarmStatus, TicketLink, TimelineEntry, Via
from storage._sql import Repository, require_id, table_of
from storage.tables import ROOM_MESSAGE, SwarmEventRow, SwarmMemberRow, SwarmRow, utcnow

# Swarm ids per IN (…) list when loading many swarms' members and timelines at once.
_CHUNK = 500
T = TypeVar("T")


class SqlSwarmRepository(Repository):
    # The Protocol names a method `list`, which hides the builtin inside this class: hence builtins.list below.

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        super().__init__(session, dialect)
        # The workspace of every swarm this unit of work has read: members and entries name only their swarm, and
        # their rows need its workspace. A swarm never changes workspace.
        self._workspaces: dict[int, int] = {}

    def _swarm(self, row: SwarmRow) -> Swarm:
        swarm = _to_swarm(row)
        self._workspaces[require_id(swarm.id, "swarm")] = swarm.workspace_id
        return swarm

    async def add(self, swarm: Swarm) -> Swarm:
        if swarm.created_at is None:
            swarm.created_at = utcnow()
        row = SwarmRow(workspace_id=swarm.workspace_id, **_columns(swarm))
        self._session.add(row)
        await self._session.flush()
        swarm.id = require_id(row.id, "swarm")
        return swarm

    async def save(self, swarm: Swarm) -> None:
        row = await self._session.get(SwarmRow, require_id(swarm.id, "swarm"))
        if row is None:
            raise LookupError(f"no swarm with id {swarm.id}")
        if swarm.created_at is None:
            swarm.created_at = row.created_at
        for name, value in _columns(swarm).items():
            setattr(row, name, value)
        await self._session.flush()

    async def get(self, workspace_id: int, number: int) -> Swarm | None:
        return await self._one(SwarmRow.workspace_id == workspace_id, SwarmRow.number == number)

    async def by_id(self, swarm_id: int) -> Swarm | None:
        row = await self._session.get(SwarmRow, swarm_id)
        return None if row is None else self._swarm(row)

    async def by_room(self, workspace_id: int, room_id: str) -> Swarm | None:
        return await self._one(SwarmRow.workspace_id == workspace_id, SwarmRow.room_id == room_id)

    async def by_announcement(self, workspace_id: int, message_id: str) -> Swarm | None:
        return await self._one(SwarmRow.workspace_id == workspace_id, SwarmRow.announcement_id == message_id)

    async def by_announcements(self, workspace_id: int, message_ids: Iterable[str]) -> dict[str, Swarm]:
        wanted = builtins.list(set(message_ids))
        found: dict[str, Swarm] = {}
        for start in range(0, len(wanted), _CHUNK):
            statement = (
                select(SwarmRow)
                .where(
                    SwarmRow.workspace_id == workspace_id,
                    col(SwarmRow.announcement_id).in_(wanted[start : start + _CHUNK]),
                )
                .order_by(col(SwarmRow.id))
            )
            # By id, so that the newest swarm of an announcement is the one kept, as in by_announcement.
            for row in (await self._session.exec(statement)).all():
                found[row.announcement_id or ""] = self._swarm(row)
        return found

    async def list(
        self,
        workspace_id: int,
        statuses: Iterable[SwarmStatus] | None = None,
        member_id: int | None = None,
        closing: bool | None = None,
        resolved_between: tuple[datetime, datetime] | None = None,
        limit: int | None = None,
        owner_id: int | None = None,
        created_since: datetime | None = None,
    ) -> builtins.list[Swarm]:
        statement = select(SwarmRow).where(SwarmRow.workspace_id == workspace_id)
        if owner_id is not None:
            statement = statement.where(SwarmRow.owner_id == owner_id)
        if created_since is not None:
            statement = statement.where(col(SwarmRow.created_at) > created_since)
        if resolved_between is not None:
            earliest, latest = resolved_between
            statement = statement.where(col(SwarmRow.resolved_at) >= earliest, col(SwarmRow.resolved_at) <= latest)
        if closing is not None:
            statement = statement.where(col(SwarmRow.closing) == closing)
        if statuses is not None:
            statement = statement.where(col(SwarmRow.status).in_([SwarmStatus(s).value for s in statuses]))
        if member_id is not None:
            statement = statement.where(
                exists().where(
                    col(SwarmMemberRow.swarm_id) == SwarmRow.id,
                    col(SwarmMemberRow.person_id) == member_id,
                    col(SwarmMemberRow.joined_at).is_not(None),
                    col(SwarmMemberRow.left_at).is_(None),
                )
            )
        # Numbers only grow within a workspace, so the highest is the newest.
        statement = statement.order_by(col(SwarmRow.number).desc())
        if limit is not None:
            statement = statement.limit(limit)
        return [self._swarm(row) for row in (await self._session.exec(statement)).all()]

    async def count(self, workspace_id: int, statuses: Iterable[SwarmStatus]) -> int:
        statement = select(func.count()).where(
            SwarmRow.workspace_id == workspace_id,
            col(SwarmRow.status).in_([SwarmStatus(s).value for s in statuses]),
        )
        return int((await self._session.exec(statement)).one())

    async def members(self, swarm_id: int) -> builtins.list[Member]:
        return (await self.members_of([swarm_id]))[swarm_id]

    async def members_of(self, swarm_ids: Iterable[int]) -> dict[int, builtins.list[Member]]:
        table = table_of(SwarmMemberRow)
        return await self._per_swarm(table, swarm_ids, _to_member, table.c.id)

    async def save_member(self, member: Member) -> Member:
        values = _member_values(member)
        insert = self._insert(SwarmMemberRow).values(
            workspace_id=await self._workspace_of(member.swarm_id),
            swarm_id=member.swarm_id,
            person_id=member.person_id,
            **values,
        )
        # An upsert, so a 🙋 and a Join button pressed at the same moment leave one row instead of an error.
        statement = insert.on_conflict_do_update(index_elements=["swarm_id", "person_id"], set_=values).returning(
            SwarmMemberRow
        )
        # populate_existing refreshes a copy of the row this session may already hold (unanswered() loads member
        # rows as ORM objects; members() reads plain rows and holds none).
        result = await self._session.exec(statement, execution_options={"populate_existing": True})
        row: SwarmMemberRow = result.scalar_one()
        member.id = require_id(row.id, "member")
        return member

    async def save_members(self, members: Iterable[Member]) -> None:
        # One row per swarm and person: PostgreSQL refuses an upsert that meets the same row twice.
        saved = builtins.list({(m.swarm_id, m.person_id): m for m in members}.values())
        if not saved:
            return
        workspaces = {swarm_id: await self._workspace_of(swarm_id) for swarm_id in {m.swarm_id for m in saved}}
        rows = [
            {"workspace_id": workspaces[m.swarm_id], "swarm_id": m.swarm_id, "person_id": m.person_id}
            | _member_values(m)
            for m in saved
        ]
        insert = self._insert(table_of(SwarmMemberRow))
        statement = insert.on_conflict_do_update(
            index_elements=["swarm_id", "person_id"], set_={name: insert.excluded[name] for name in MEMBER_VALUES}
        )
        # Many parameter sets for one statement: compiled once, sent as one multi-row upsert.
        await self._session.exec(statement, params=rows)

    async def add_entry(self, entry: TimelineEntry) -> TimelineEntry:
        row = SwarmEventRow(**_entry_columns(entry, await self._workspace_of(entry.swarm_id)))
        self._session.add(row)
        await self._session.flush()
        entry.id = require_id(row.id, "timeline entry")
        return entry

    async def add_entries(self, entries: Iterable[TimelineEntry]) -> None:
        rows = await self._entry_rows(builtins.list(entries))
        if rows:
            # Many parameter sets for one statement: compiled once and cached, sent as one multi-row INSERT.
            await self._session.exec(insert(table_of(SwarmEventRow)), params=rows)

    async def timeline(self, swarm_id: int) -> builtins.list[TimelineEntry]:
        return (await self.timelines([swarm_id]))[swarm_id]

    async def timelines(self, swarm_ids: Iterable[int]) -> dict[int, builtins.list[TimelineEntry]]:
        table = table_of(SwarmEventRow)
        return await self._per_swarm(table, swarm_ids, _to_entry, table.c.at, table.c.id)

    async def add_messages(self, messages: Iterable[TimelineEntry]) -> set[str]:
        entries = builtins.list(messages)
        if not entries:
            return set()
        if any(e.kind is not EventKind.MESSAGE or e.message_id is None for e in entries):
            raise ValueError("add_messages keeps room messages, each with its message id")
        statement = (
            self._insert(table_of(SwarmEventRow))
            .on_conflict_do_nothing(index_elements=["swarm_id", "message_id"], index_where=ROOM_MESSAGE)
            .returning(table_of(SwarmEventRow).c.message_id)
        )
        return set((await self._session.exec(statement, params=await self._entry_rows(entries))).scalars())

    async def entry_by_message(self, swarm_id: int, message_id: str) -> TimelineEntry | None:
        statement = (
            select(SwarmEventRow)
            .where(SwarmEventRow.swarm_id == swarm_id, SwarmEventRow.message_id == message_id)
            .order_by(col(SwarmEventRow.id))
            .limit(1)
        )
        row = (await self._session.exec(statement)).first()
        return None if row is None else _to_entry(row)

    async def rewrite_message(self, swarm_id: int, message_id: str, text: str) -> None:
        statement = update(table_of(SwarmEventRow)).where(*_message_and_marks(swarm_id, message_id)).values(text=text)
        await self._session.exec(statement)

    async def remove_message(self, swarm_id: int, message_id: str) -> None:
        await self._session.exec(delete(table_of(SwarmEventRow)).where(*_message_and_marks(swarm_id, message_id)))

    async def rewrite_entries(self, swarm_id: int, change: Callable[[str], str]) -> None:
        kept = [
            kind.value for kind in (EventKind.MESSAGE, EventKind.SOLUTION, EventKind.SOLUTION_REMOVED, EventKind.OPENED)
        ]
        statement = select(SwarmEventRow).where(
            SwarmEventRow.swarm_id == swarm_id, col(SwarmEventRow.kind).not_in(kept), SwarmEventRow.text != ""
        )
        for row in (await self._session.exec(statement)).all():
            text = change(row.text)
            if text != row.text:
                row.text = text
                self._session.add(row)
        await self._session.flush()

    async def by_external_id(self, workspace_id: int, external_id: str) -> Swarm | None:
        return await self._one(SwarmRow.workspace_id == workspace_id, SwarmRow.external_id == external_id)

    async def by_ticket(self, workspace_id: int, system: str, ticket_id: str) -> builtins.list[Swarm]:
        statement = (
            select(SwarmRow)
            .where(
                SwarmRow.workspace_id == workspace_id, SwarmRow.ticket_system == system, SwarmRow.ticket_id == ticket_id
            )
            .order_by(col(SwarmRow.number).desc())
        )
        return [self._swarm(row) for row in (await self._session.exec(statement)).all()]

    async def awaiting_rating(
        self, workspace_id: int, systems: Iterable[str], resolved_after: datetime, read_before: datetime, limit: int
    ) -> builtins.list[Swarm]:
        statement = (
            select(SwarmRow)
            .where(
                SwarmRow.workspace_id == workspace_id,
                SwarmRow.status == SwarmStatus.RESOLVED.value,
                col(SwarmRow.ticket_system).in_(list(systems)),
                col(SwarmRow.ticket_id).is_not(None),
                col(SwarmRow.resolved_at) >= resolved_after,
                or_(col(SwarmRow.ticket_rating_read_at).is_(None), col(SwarmRow.ticket_rating_read_at) < read_before),
            )
            # Never read first, then the longest unread: every swarm gets its turn however many are waiting.
            .order_by(
                col(SwarmRow.ticket_rating_read_at).is_not(None), col(SwarmRow.ticket_rating_read_at), col(SwarmRow.id)
            )
            .limit(limit)
        )
        return [self._swarm(row) for row in (await self._session.exec(statement)).all()]

    async def keep_rating(self, swarm_id: int, rating: str | None, read_at: datetime) -> None:
        statement = (
            update(SwarmRow)
            .where(col(SwarmRow.id) == swarm_id)
            .values(ticket_rating=rating, ticket_rating_read_at=read_at)
        )
        await self._session.exec(statement)

    async def resolved_history(
        self, workspace_id: int, since: datetime | None = None
    ) -> builtins.list[tuple[Swarm, builtins.list[TimelineEntry]]]:
        statement = select(SwarmRow).where(
            SwarmRow.workspace_id == workspace_id, SwarmRow.status == SwarmStatus.RESOLVED.value
        )
        if since is not None:
            statement = statement.where(col(SwarmRow.resolved_at) >= since)
        swarms = {
            row.id: self._swarm(row) for row in (await self._session.exec(statement.order_by(col(SwarmRow.id)))).all()
        }
        entries: dict[int, builtins.list[TimelineEntry]] = {swarm_id: [] for swarm_id in swarms if swarm_id is not None}
        if entries:
            events = (
                select(SwarmEventRow)
                .join(SwarmRow, col(SwarmRow.id) == SwarmEventRow.swarm_id)
                .where(SwarmRow.workspace_id == workspace_id, SwarmRow.status == SwarmStatus.RESOLVED.value)
                .order_by(col(SwarmEventRow.id))
            )
            for row in (await self._session.exec(events)).all():
                if row.swarm_id in entries:
                    entries[row.swarm_id].append(_to_entry(row))
        return [(swarm, entries[swarm_id]) for swarm_id, swarm in swarms.items() if swarm_id is not None]

    async def invitations(self, workspace_id: int, since: datetime) -> builtins.list[tuple[int, int, datetime]]:
        statement = (
            select(SwarmMemberRow.id, SwarmMemberRow.person_id, SwarmMemberRow.invited_at)
            .where(
                SwarmMemberRow.workspace_id == workspace_id,
                SwarmMemberRow.via == Via.MATCH.value,
                col(SwarmMemberRow.invited_at) >= since,
            )
            .order_by(col(SwarmMemberRow.invited_at))
        )
        return [
            (member_id, person_id, at)
            for member_id, person_id, at in (await self._session.exec(statement)).all()
            if member_id is not None and at is not None
        ]

    async def unanswered(self, workspace_id: int, invited_before: datetime) -> builtins.list[Member]:
        statement = (
            select(SwarmMemberRow)
            .join(SwarmRow, col(SwarmRow.id) == col(SwarmMemberRow.swarm_id))
            .where(
                SwarmMemberRow.workspace_id == workspace_id,
                SwarmRow.status == SwarmStatus.OPEN.value,
                col(SwarmMemberRow.invited_at) < invited_before,
                col(SwarmMemberRow.joined_at).is_(None),
                col(SwarmMemberRow.declined_at).is_(None),
            )
            .order_by(col(SwarmMemberRow.invited_at), col(SwarmMemberRow.id))
        )
        return [_to_member(row) for row in (await self._session.exec(statement)).all()]

    async def last_activities(self, workspace_id: int, kinds: Iterable[EventKind]) -> dict[int, tuple[int, datetime]]:
        statement = (
            select(col(SwarmEventRow.swarm_id), func.max(col(SwarmEventRow.id)), func.max(col(SwarmEventRow.at)))
            .join(SwarmRow, col(SwarmRow.id) == col(SwarmEventRow.swarm_id))
            .where(
                SwarmRow.workspace_id == workspace_id,
                SwarmRow.status == SwarmStatus.OPEN.value,
                col(SwarmEventRow.kind).in_([EventKind(k).value for k in kinds]),
            )
            .group_by(col(SwarmEventRow.swarm_id))
        )
        found: dict[int, tuple[int, datetime]] = {}
        for swarm_id, entry_id, at in (await self._session.exec(statement)).all():
            if entry_id is not None and at is not None:
                found[swarm_id] = (entry_id, at)
        return found

    async def in_period(
        self, workspace_id: int, since: datetime, until: datetime
    ) -> builtins.list[tuple[Swarm, builtins.list[Member], builtins.list[TimelineEntry]]]:
        active_then = exists().where(
            col(SwarmEventRow.swarm_id) == SwarmRow.id, col(SwarmEventRow.at) >= since, col(SwarmEventRow.at) < until
        )
        statement = (
            select(SwarmRow)
            .where(
                SwarmRow.workspace_id == workspace_id,
                col(SwarmRow.created_at) < until,
                or_(
                    col(SwarmRow.status).in_([SwarmStatus.OPENING.value, SwarmStatus.OPEN.value]),
                    col(SwarmRow.created_at) >= since,
                    col(SwarmRow.resolved_at) >= since,
                    active_then,
                ),
            )
            .order_by(col(SwarmRow.number))
        )
        swarms = [self._swarm(row) for row in (await self._session.exec(statement)).all()]
        ids = [require_id(swarm.id, "swarm") for swarm in swarms]
        members, entries = await self.members_of(ids), await self.timelines(ids)
        return [(swarm, members[swarm_id], entries[swarm_id]) for swarm, swarm_id in zip(swarms, ids, strict=True)]

    async def swarms_joined(self, person_ids: Iterable[int]) -> dict[int, int]:
        wanted = set(person_ids)
        if not wanted:
            return {}
        statement = (
            select(SwarmMemberRow.person_id, func.count())
            .where(col(SwarmMemberRow.person_id).in_(wanted), col(SwarmMemberRow.joined_at).is_not(None))
            .group_by(col(SwarmMemberRow.person_id))
        )
        return {person_id: int(count) for person_id, count in (await self._session.exec(statement)).all()}

    async def _per_swarm(
        self, table: Any, swarm_ids: Iterable[int], convert: Callable[[Row[Any]], T], *order: Any
    ) -> dict[int, builtins.list[T]]:
        """The rows of a per-swarm table for each of the swarms, in `order`; a swarm without rows gets an empty list."""
        found: dict[int, builtins.list[T]] = {swarm_id: [] for swarm_id in swarm_ids}
        ids = builtins.list(found)
        # In chunks, so that many swarms stay under the database's limit on bound parameters.
        for start in range(0, len(ids), _CHUNK):
            statement = select(table).where(table.c.swarm_id.in_(ids[start : start + _CHUNK])).order_by(*order)
            for row in await self._rows(statement):
                found[row.swarm_id].append(convert(row))
        return found

    async def _one(self, *conditions: Any) -> Swarm | None:
        statement = select(SwarmRow).where(*conditions).order_by(col(SwarmRow.id).desc()).limit(1)
        row = (await self._session.exec(statement)).first()
        return None if row is None else self._swarm(row)

    async def _entry_rows(self, entries: builtins.list[TimelineEntry]) -> builtins.list[dict[str, Any]]:
        """The entries as rows for a Core insert, each with its swarm's workspace (looked up once per swarm)."""
        workspaces = {swarm_id: await self._workspace_of(swarm_id) for swarm_id in {e.swarm_id for e in entries}}
        return [_entry_columns(entry, workspaces[entry.swarm_id]) for entry in entries]

    async def _workspace_of(self, swarm_id: int) -> int:
        if (known := self._workspaces.get(swarm_id)) is not None:
            return known
        row = await self._session.get(SwarmRow, swarm_id)
        if row is None:
            raise LookupError(f"no swarm with id {swarm_id}")
        return self._swarm(row).workspace_id


def _message_and_marks(swarm_id: int, message_id: str) -> tuple[Any, ...]:
    """The timeline rows of a room message and of its ✅ marks (their message id is the message's, `:mark` added)."""
    table = table_of(SwarmEventRow)
    return table.c.swarm_id == swarm_id, table.c.message_id.in_([message_id, f"{message_id}:mark"])


MEMBER_VALUES = ("role", "via", "invited_at", "joined_at", "left_at", "declined_at")


def _member_values(member: Member) -> dict[str, Any]:
    """The columns an upsert of a member sets (not its swarm and person, which find the row)."""
    return {
        "role": Role(member.role).value,
        "via": Via(member.via).value,
        "invited_at": member.invited_at,
        "joined_at": member.joined_at,
        "left_at": member.left_at,
        "declined_at": member.declined_at,
    }


def _entry_columns(entry: TimelineEntry, workspace_id: int) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "swarm_id": entry.swarm_id,
        "kind": EventKind(entry.kind).value,
        "person_id": entry.person_id,
        "text": entry.text,
        "message_id": entry.message_id,
        "at": entry.at,
    }


def _columns(swarm: Swarm) -> dict[str, Any]:
    case = swarm.case
    return {
        "number": swarm.number,
        "text": case.text,
        "tags": list(case.tags),
        "severity": case.severity,
        "customer": case.customer,
        "product": case.product,
        "version": case.version,
        "status": SwarmStatus(swarm.status).value,
        "owner_id": swarm.owner_id,
        "origin_channel": swarm.origin_channel,
        "announcement_id": swarm.announcement_id,
        "room_id": swarm.room_id,
        "room_name": swarm.room_name,
        "created_at": swarm.created_at,
        "first_expert_reply_at": swarm.first_expert_reply_at,
        "resolved_at": swarm.resolved_at,
        "resolution": swarm.resolution,
        "cancel_reason": swarm.cancel_reason,
        "skills": list(swarm.skills),
        "external_id": swarm.external_id,
        "card_id": swarm.card_id,
        "snoozed_until": swarm.snoozed_until,
        "closing": swarm.closing,
        "closings": swarm.closings,
        "summary_id": swarm.summary_id,
        "thread_summary_id": swarm.thread_summary_id,
        "description": case.description,
        "ticket_system": swarm.ticket.system if swarm.ticket else None,
        "ticket_id": swarm.ticket.id if swarm.ticket else None,
        "ticket_url": swarm.ticket.url if swarm.ticket else None,
        "ticket_status": swarm.ticket.status if swarm.ticket else None,
        "ticket_created_at": swarm.ticket.created_at if swarm.ticket else None,
        "ticket_solved_at": swarm.ticket.solved_at if swarm.ticket else None,
        "ticket_reopens": swarm.ticket.reopens if swarm.ticket else 0,
        "ticket_rating": swarm.ticket.rating if swarm.ticket else None,
        "ticket_rating_read_at": swarm.ticket.rating_read_at if swarm.ticket else None,
    }


def _to_swarm(row: SwarmRow) -> Swarm:
    return Swarm(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        case=Case(
            text=row.text,
            tags=tuple(row.tags),
            severity=row.severity,
            customer=row.customer,
            product=row.product,
            version=row.version,
            description=row.description,
        ),
        owner_id=row.owner_id,
        origin_channel=row.origin_channel,
        status=SwarmStatus(row.status),
        created_at=row.created_at,
        announcement_id=row.announcement_id,
        room_id=row.room_id,
        room_name=row.room_name,
        first_expert_reply_at=row.first_expert_reply_at,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        cancel_reason=row.cancel_reason,
        skills=tuple(row.skills),
        external_id=row.external_id,
        card_id=row.card_id,
        snoozed_until=row.snoozed_until,
        closing=row.closing,
        closings=row.closings,
        summary_id=row.summary_id,
        thread_summary_id=row.thread_summary_id,
        ticket=(
            TicketLink(
                row.ticket_system,
                row.ticket_id,
                row.ticket_url,
                row.ticket_status,
                row.ticket_created_at,
                solved_at=row.ticket_solved_at,
                reopens=row.ticket_reopens or 0,
                rating=row.ticket_rating,
                rating_read_at=row.ticket_rating_read_at,
            )
            if row.ticket_system and row.ticket_id
            else None
        ),
    )


def _to_member(row: SwarmMemberRow | Row[Any]) -> Member:
    return Member(
        id=row.id,
        swarm_id=row.swarm_id,
        person_id=row.person_id,
        role=Role(row.role),
        via=Via(row.via),
        invited_at=row.invited_at,
        joined_at=row.joined_at,
        left_at=row.left_at,
        declined_at=row.declined_at,
    )


def _to_entry(row: SwarmEventRow | Row[Any]) -> TimelineEntry:
    return TimelineEntry(
        id=row.id,
        swarm_id=row.swarm_id,
        kind=EventKind(row.kind),
        at=row.at,
        person_id=row.person_id,
        text=row.text,
        message_id=row.message_id,
    )
