"""The roster: people and their skills."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import time
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, or_
from sqlmodel import col, select

from bot.models import Person, RosterRole, SwarmStatus, WorkingHours
from storage._sql import Repository, require_id, table_of
from storage.tables import PersonRow, PersonSkillRow, SwarmMemberRow, SwarmRow

DECLARED = "declared"
ACTIVE_STATUSES = tuple(status.value for status in SwarmStatus if status.is_active)


# The column of a person's id on each chat platform that has ids of its own (others are matched by e-mail).
CHAT_ID_FIELDS = {"slack": "slack_id", "teams": "teams_id"}


class SqlPersonRepository(Repository):
    # The Protocol names a method `list`, which hides the builtin inside this class: hence builtins.list below.

    async def get(self, person_id: int) -> Person | None:
        row = await self._session.get(PersonRow, person_id)
        return None if row is None else (await self._with_skills([row]))[0]

    async def many(self, person_ids: Iterable[int]) -> dict[int, Person]:
        wanted = set(person_ids)
        if not wanted:
            return {}
        table = table_of(PersonRow)
        rows = await self._rows(select(table).where(table.c.id.in_(wanted)))
        return {require_id(p.id, "person"): p for p in await self._with_skills(rows)}

    async def by_chat_id(self, workspace_id: int, platform: str, user_id: str) -> Person | None:
        if platform in CHAT_ID_FIELDS:
            match: ColumnElement[bool] = col(getattr(PersonRow, CHAT_ID_FIELDS[platform])) == user_id
        else:
            # Person.chat_id falls back to the name when there is no e-mail; accept what it hands out.
            wanted = user_id.lower()
            match = or_(
                func.lower(PersonRow.email) == wanted,
                and_(col(PersonRow.email).is_(None), func.lower(PersonRow.name) == wanted),
            )
        return await self._first(workspace_id, match)

    async def by_chat_ids(self, workspace_id: int, platform: str, user_ids: Iterable[str]) -> dict[str, Person]:
        wanted = set(user_ids)
        if platform not in CHAT_ID_FIELDS:
            each = {user_id: await self.by_chat_id(workspace_id, platform, user_id) for user_id in wanted}
            return {user_id: person for user_id, person in each.items() if person is not None}
        field = CHAT_ID_FIELDS[platform]
        table = table_of(PersonRow)
        statement = (
            select(table).where(table.c.workspace_id == workspace_id, table.c[field].in_(wanted)).order_by(table.c.id)
        )
        people = await self._with_skills(await self._rows(statement)) if wanted else []
        found: dict[str, Person] = {}
        for person in people:  # the first of any two with one id, as by_chat_id takes
            found.setdefault(getattr(person, field) or "", person)
        return found

    async def find(self, workspace_id: int, who: str) -> Person | None:
        wanted = who.strip().removeprefix("@").strip().lower()
        if not wanted:
            return None
        fields = (PersonRow.email, PersonRow.slack_id, PersonRow.teams_id, PersonRow.name)
        tests = [func.lower(field) == wanted for field in fields]
        # An exact identifier beats a namesake: e-mail, then Slack id, then Teams id, then name.
        priority = case(*((test, rank) for rank, test in enumerate(tests)), else_=len(tests))
        return await self._first(workspace_id, or_(*tests), priority)

    async def by_email(self, workspace_id: int, email: str) -> Person | None:
        return await self._first(workspace_id, func.lower(PersonRow.email) == email.strip().lower())

    async def list(self, workspace_id: int) -> list[Person]:
        statement = (
            select(PersonRow)
            .where(PersonRow.workspace_id == workspace_id)
            .order_by(func.lower(PersonRow.name), col(PersonRow.id))
        )
        return await self._with_skills((await self._session.exec(statement)).all())

    async def add(self, person: Person) -> Person:
        _check_levels(person.skills)
        row = PersonRow(workspace_id=person.workspace_id, name=person.name)
        _fill(row, person)
        self._session.add(row)
        await self._session.flush()
        person.id = require_id(row.id, "person")
        self._session.add_all(
            PersonSkillRow(workspace_id=person.workspace_id, person_id=person.id, skill=skill, level=level)
            for skill, level in person.skills.items()
        )
        await self._session.flush()
        return person

    async def save(self, person: Person) -> None:
        """Writes every field. Person.skills holds declared and inferred skills alike, so: a skill missing from it
        loses its declared row but keeps an inferred one (the evidence still stands); an inferred skill given a new
        level becomes declared; an inferred skill left as read stays inferred."""
        _check_levels(person.skills)
        person_id = require_id(person.id, "person")
        row = await self._session.get(PersonRow, person_id)
        if row is None:
            raise LookupError(f"no person with id {person_id}")
        _fill(row, person)
        statement = select(PersonSkillRow).where(PersonSkillRow.person_id == person_id)
        existing = {skill.skill: skill for skill in (await self._session.exec(statement)).all()}
        for name, skill in existing.items():
            level = person.skills.get(name)
            if level is None:
                if skill.source == DECLARED:
                    await self._session.delete(skill)
            elif skill.source == DECLARED or skill.level != level:
                skill.level, skill.source = level, DECLARED
        self._session.add_all(
            PersonSkillRow(workspace_id=row.workspace_id, person_id=person_id, skill=name, level=level)
            for name, level in person.skills.items()
            if name not in existing
        )
        await self._session.flush()

    async def active_swarm_counts(self, workspace_id: int) -> dict[int, int]:
        statement = (
            select(SwarmMemberRow.person_id, func.count())
            .join(SwarmRow, col(SwarmRow.id) == SwarmMemberRow.swarm_id)
            .where(
                SwarmRow.workspace_id == workspace_id,
                col(SwarmRow.status).in_(ACTIVE_STATUSES),
                # An invitation not yet answered already claims the person's time.
                or_(
                    col(SwarmMemberRow.joined_at).is_not(None),
                    and_(col(SwarmMemberRow.invited_at).is_not(None), col(SwarmMemberRow.declined_at).is_(None)),
                ),
                col(SwarmMemberRow.left_at).is_(None),
            )
            .group_by(col(SwarmMemberRow.person_id))
        )
        return {person_id: count for person_id, count in (await self._session.exec(statement)).all()}

    async def _first(self, workspace_id: int, match: ColumnElement[bool], *order: ColumnElement[int]) -> Person | None:
        statement = (
            select(PersonRow)
            .where(PersonRow.workspace_id == workspace_id, match)
            .order_by(*order, col(PersonRow.id))
            .limit(1)
        )
        row = (await self._session.exec(statement)).first()
        return None if row is None else (await self._with_skills([row]))[0]

    async def _with_skills(self, rows: Iterable[PersonRow | Row[Any]]) -> builtins.list[Person]:
        rows = builtins.list(rows)
        skills: dict[int, dict[str, int]] = {require_id(row.id, "person"): {} for row in rows}
        if skills:
            table = table_of(PersonSkillRow)
            statement = (
                select(table.c.person_id, table.c.skill, table.c.level)
                .where(table.c.person_id.in_(skills))
                .order_by(table.c.id)
            )
            for row in await self._rows(statement):
                skills[row.person_id][row.skill] = row.level
        return [_to_person(row, skills[require_id(row.id, "person")]) for row in rows]


def _check_levels(skills: dict[str, int]) -> None:
    for name, level in skills.items():
        if not 1 <= level <= 5:
            raise ValueError(f"skill level of {name!r} must be 1 to 5, not {level}")


def _fill(row: PersonRow, person: Person) -> None:
    row.name = person.name
    row.email = person.email
    row.slack_id = person.slack_id
    row.teams_id = person.teams_id
    row.department = person.department
    row.timezone = person.timezone
    row.working_hours = None if person.working_hours is None else str(person.working_hours)
    row.learning = list(person.learning)
    row.max_active_swarms = person.max_active_swarms
    row.away_until = person.away_until
    row.hidden_skills = list(person.hidden_skills)
    row.publisher = person.publisher
    row.digest_off = person.digest_off
    row.nudges_off = person.nudges_off
    row.role = person.role.value


def _to_person(row: PersonRow | Row[Any], skills: dict[str, int]) -> Person:
    return Person(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        email=row.email,
        slack_id=row.slack_id,
        teams_id=row.teams_id,
        department=row.department,
        timezone=row.timezone,
        working_hours=_parse_hours(row.working_hours),
        skills=skills,
        learning=list(row.learning),
        max_active_swarms=row.max_active_swarms,
        away_until=row.away_until,
        hidden_skills=list(row.hidden_skills),
        publisher=row.publisher,
        digest_off=row.digest_off,
        nudges_off=row.nudges_off,
        role=RosterRole(row.role),
    )


def _parse_hours(text: str | None) -> WorkingHours | None:
    if not text:
        return None
    start, _, end = text.partition("-")
    return WorkingHours(time.fromisoformat(start), time.fromisoformat(end))
