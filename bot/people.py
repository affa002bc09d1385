"""People in the roster: their skills, what they want to learn, whether they are away, and the roster import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot import roster, text
from bot.context import Actor, Clock, find_person, identify, utcnow
from bot.errors import UserError
from bot.expertise import Inferred, canonical
from bot.indexes import IndexCache
from bot.models import Person
from bot.ports import Store, UnitOfWork

# "Away" with no end date lasts until the person says they are back.
UNTIL_BACK = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class RejectedRow:
    line: int
    error: UserError


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


class People:
    def __init__(self, store: Store, clock: Clock = utcnow, indexes: IndexCache | None = None) -> None:
        self.store = store
        self.clock = clock
        self.indexes = indexes or IndexCache()

    async def profile(self, actor: Actor, who: str | None = None) -> Person:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            person = scope.person if not who else await find_person(uow, scope.workspace_id, who)
            await uow.commit()
            return person

    async def expertise(self, actor: Actor, who: str | None = None) -> tuple[Person, dict[str, Inferred]]:
        """A person and the skills their resolved swarms taught the matcher (hidden ones included, marked so)."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            person = scope.person if not who else await find_person(uow, scope.workspace_id, who)
            index = await self.indexes.get(uow, scope.workspace_id, self.clock())
            await uow.commit()
        return person, dict(index.inferred.get(person.id or 0, {}))

    async def confirm_skill(self, actor: Actor, skill: str) -> Person:
        """Makes a learned skill a declared one, at the level the evidence gives it."""
        name = canonical(text.normalize_skill(skill))
        person, learned = await self.expertise(actor)
        if name not in learned:
            raise UserError("unknown_learned_skill", skill=name or skill)
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            person.skills[name] = learned[name].level
            person.hidden_skills = [s for s in person.hidden_skills if s != name]
            return await _saved(uow, person, self.indexes)

    async def hide_skill(self, actor: Actor, skill: str, hidden: bool = True) -> Person:
        """A learned skill the person does not want to be asked for (or, hidden=False, wants back)."""
        name = canonical(text.normalize_skill(skill))
        if not name:
            raise UserError("skills_what")
        person, learned = await self.expertise(actor)
        if name not in learned:
            raise UserError("unknown_learned_skill", skill=name)
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            others = [s for s in person.hidden_skills if s != name]
            person.hidden_skills = [*others, name] if hidden else others
            return await _saved(uow, person, self.indexes)

    async def add_skills(self, actor: Actor, words: list[str]) -> Person:
        levels = text.parse_skill_levels(words)
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            person.skills.update(levels)
            return await _saved(uow, person, self.indexes)

    async def set_skills(self, actor: Actor, words: list[str]) -> Person:
        """Replaces the declared skills with these (the skills form); an empty list clears them."""
        levels = text.parse_skill_levels(words) if words else {}
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            person.skills = levels
            return await _saved(uow, person, self.indexes)

    async def remove_skills(self, actor: Actor, words: list[str]) -> Person:
        names = [text.normalize_skill(w) for w in words if text.normalize_skill(w)]
        if not names:
            raise UserError("no_skills")
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            missing = [n for n in names if n not in person.skills]
            if missing:
                raise UserError("unknown_skill", skill=missing[0])
            for name in names:
                del person.skills[name]
            return await _saved(uow, person, self.indexes)

    async def learn(self, actor: Actor, skill: str) -> Person:
        name = text.normalize_skill(skill)
        if not name:
            raise UserError("learn_what")
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            if name not in person.learning:
                person.learning.append(name)
            return await _saved(uow, person, self.indexes)

    async def away(self, actor: Actor, until: str) -> Person:
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            now = self.clock()
            person.away_until = text.parse_duration_or_time(until, now, person.timezone) if until else UNTIL_BACK
            return await _saved(uow, person, self.indexes)

    async def back(self, actor: Actor) -> Person:
        async with self.store.unit() as uow:
            person = (await identify(uow, actor)).person
            person.away_until = None
            return await _saved(uow, person, self.indexes)

    async def link(self, person_id: int, platform: str, user_id: str) -> Person:
        """Remembers a person's user id on a platform, found by e-mail (Slack's users.lookupByEmail)."""
        async with self.store.unit() as uow:
            person = await uow.people.get(person_id)
            if person is None:
                raise LookupError(f"person {person_id} does not exist")
            if platform == "slack":
                person.slack_id = user_id
            elif platform == "teams":
                person.teams_id = user_id
            return await _saved(uow, person, self.indexes)

    async def knows(self, workspace: str, platform: str, user_id: str) -> bool:
        """Whether the roster already knows this platform user (so nobody needs to ask the platform who they are)."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            person = await uow.people.by_chat_id(ws.id, platform, user_id)
            await uow.commit()
            return person is not None

    async def find(self, workspace: str, who: str) -> Person:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            person = await find_person(uow, ws.id, who)
            await uow.commit()
            return person

    async def roster(self, workspace: str) -> list[Person]:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            people = await uow.people.list(ws.id)
            await uow.commit()
            return people

    async def import_roster(self, workspace: str, rows: Sequence[tuple[int, Mapping[str, object]]]) -> ImportReport:
        """Adds new people and updates known ones (same e-mail, chat id or name); a bad row is reported, not fatal."""
        report = ImportReport()
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            for line, row in rows:
                try:
                    person = roster.person_from_row(ws.id, row)
                except UserError as error:
                    report.rejected.append(RejectedRow(line, error))
                    continue
                known = await _known(uow, ws.id, person)
                if known is None:
                    await uow.people.add(person)
                    report.added.append(person.name)
                else:
                    person.id, person.away_until = known.id, known.away_until
                    await uow.people.save(person)
                    report.updated.append(person.name)
            # A file whose every row was refused leaves no trace, not even the workspace it named.
            if report.added or report.updated:
                await uow.commit()
            self.indexes.invalidate(ws.id)
        return report


async def _known(uow: UnitOfWork, workspace_id: int, person: Person) -> Person | None:
    for key in (person.email, person.slack_id, person.teams_id, person.name):
        if key:
            found = await uow.people.find(workspace_id, key)
            if found is not None:
                return found
    return None


async def _saved(uow: UnitOfWork, person: Person, indexes: IndexCache) -> Person:
    await uow.people.save(person)
    await uow.commit()
    indexes.invalidate(person.workspace_id)
    return person
