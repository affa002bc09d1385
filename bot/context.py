"""Who is asking, and the lookups every use case starts with."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import UserError
from bot.models import Person, RosterRole, Swarm, Workspace
from bot.ports import UnitOfWork

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """A person acting in a workspace, as a chat platform knows them."""

    workspace: str
    platform: str
    user_id: str
    name: str | None = None
    email: str | None = None
    admin: bool = False  # the platform says they administer the workspace (Slack's admins and owners)


@dataclass(frozen=True)
class Scope:
    """The workspace and the acting person, resolved inside one unit of work."""

    workspace: Workspace
    person: Person

    @property
    def workspace_id(self) -> int:
        return self.workspace.id

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


async def identify(uow: UnitOfWork, actor: Actor) -> Scope:
    """The actor's workspace and roster entry; someone not in the roster gets one, with no skills yet. A platform's
    workspace admin is kept as an admin when first met (the platform is asked once, not at every command)."""
    workspace = await uow.workspaces.ensure(actor.workspace)
    person = await uow.people.by_chat_id(workspace.id, actor.platform, actor.user_id)
    if person is None and actor.email:
        person = await uow.people.by_email(workspace.id, actor.email)
        if person is not None:
            _remember_chat_id(person, actor)
            if actor.admin and not person.role.above_agent:
                person.role = RosterRole.ADMIN
            await uow.people.save(person)
    if person is None:
        person = Person(workspace_id=workspace.id, name=actor.name or actor.user_id, email=actor.email)
        _remember_chat_id(person, actor)
        if actor.admin:
            person.role = RosterRole.ADMIN
        person = await uow.people.add(person)
    return Scope(workspace, person)


async def identify_all(uow: UnitOfWork, workspace: Workspace, actors: Sequence[Actor]) -> dict[str, Scope]:
    """`identify` for people of one workspace and platform, by user id: those the roster knows in one query."""
    if not actors:
        return {}
    known = await uow.people.by_chat_ids(workspace.id, actors[0].platform, {a.user_id for a in actors})
    scopes: dict[str, Scope] = {}
    for actor in actors:
        if actor.user_id not in scopes:
            person = known.get(actor.user_id)
            scopes[actor.user_id] = Scope(workspace, person) if person is not None else await identify(uow, actor)
    return scopes


def _remember_chat_id(person: Person, actor: Actor) -> None:
    if actor.platform == "slack":
        person.slack_id = actor.user_id
    elif actor.platform == "teams":
        person.teams_id = actor.user_id
    elif person.email is None:
        person.email = actor.user_id


# The most words a name is tried with: "María José García López".
NAME_WORDS = 4
_WORD = re.compile(r"[^\s,;]+")
_JOINED = re.compile(r"^(?:[\s,;]|\band\b|&)*", re.IGNORECASE)  # what goes between names: `, `, ` and `


async def find_person(uow: UnitOfWork, workspace_id: int, who: str) -> Person:
    """The one person `who` names: an e-mail, a chat id or a full name (any case, with or without @), or a first name
    or e-mail name that only one person has."""
    person, rest = await leading_person(uow, workspace_id, who)
    if rest.strip():
        raise UserError("unknown_person", who=who.strip())
    return person


async def find_people(uow: UnitOfWork, workspace_id: int, text: str) -> list[Person]:
    """Everyone `text` names, in order and once each: `@Ana Ruiz @ben`, `Ana Ruiz, Ben Okafor and chen@example.com`."""
    people: list[Person] = []
    rest = _JOINED.sub("", text, count=1)
    while rest:
        person, rest = await leading_person(uow, workspace_id, rest)
        rest = _JOINED.sub("", rest, count=1)
        if all(p.id != person.id for p in people):
            people.append(person)
    return people


async def leading_person(uow: UnitOfWork, workspace_id: int, text: str) -> tuple[Person, str]:
    """The person named first in `text`, and what follows it (`@Ana Ruiz for the fix`: Ana, ` for the fix`).

    This is the one way a person is named in a command. The longest run of words that is someone's full name, e-mail
    or chat id wins, so `@Ana Ruiz` is Ana Ruiz and not Ana; failing that, the first word, which may be a first name
    or e-mail name that only one person has."""
    words = list(_WORD.finditer(text))
    if not words:
        raise UserError("unknown_person", who=text.strip())
    for count in range(min(len(words), NAME_WORDS), 1, -1):
        named = text[words[0].start() : words[count - 1].end()]
        if named.lower().split()[-1] in ("and", "for"):
            continue
        person = await uow.people.find(workspace_id, named)
        if person is not None:
            return person, text[words[count - 1].end() :]
    return await _one_word_person(uow, workspace_id, words[0].group()), text[words[0].end() :]


async def _one_word_person(uow: UnitOfWork, workspace_id: int, who: str) -> Person:
    """By e-mail, chat id or name; failing that, by a first name or e-mail name that only one person has."""
    who = who.strip().removeprefix("@")
    person = await uow.people.find(workspace_id, who)
    if person is not None:
        return person
    key = who.lower()
    candidates = [
        p
        for p in await uow.people.list(workspace_id)
        if key in (p.name.lower().split() or [""])[:1] or (p.email and p.email.lower().split("@")[0] == key)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise UserError("ambiguous_person", who=who, names=[p.name for p in candidates])
    raise UserError("unknown_person", who=who)


async def find_swarm(uow: UnitOfWork, workspace_id: int, number: int | None, channel: str) -> Swarm:
    """The swarm named by number, or else the one whose room is `channel`."""
    if number is not None:
        swarm = await uow.swarms.get(workspace_id, number)
        if swarm is None:
            raise UserError("unknown_swarm", number=number)
        return swarm
    swarm = await uow.swarms.by_room(workspace_id, channel)
    if swarm is None:
        raise UserError("not_in_room")
    return swarm
