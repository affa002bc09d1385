"""Who may do what, declared once (docs/permissions.md is generated from `RULES`).

The parties a person can be to what they act on: anyone Swarm knows; a member of the swarm (in it now: its owner,
experts, helpers, learners who joined or accepted); the swarm's owner, the one accountable person; a publisher (a
roster flag, for articles); a lead or admin (the roster role, or on Slack the workspace's own admins and owners),
who changes workspace-wide settings and may act on any swarm. The use cases in bot/ ask `ensure` before they write,
on every platform; a refusal names who can, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

from bot.errors import UserError
from bot.models import Person
from bot.ports import UnitOfWork


class Party(Enum):
    """Who a person is to what they act on; the value is how the docs table names them."""

    ANYONE = "anyone"
    MEMBER = "a member"
    OWNER = "the owner"
    ASKED = "an expert it asked"
    PUBLISHER = "a publisher"
    LEAD = "a lead or admin"


class Action(StrEnum):
    OPEN = "open"
    JOIN = "join"
    SEARCH = "search"
    TALK = "talk"
    MARK_FIX = "mark_fix"
    PROPOSE_RESOLVE = "propose_resolve"
    RESOLVE = "resolve"
    LINK = "link"
    INVITE = "invite"
    CANCEL = "cancel"
    HAND_OVER = "hand_over"
    REOPEN = "reopen"
    RATE_MATCH = "rate_match"
    SNOOZE = "snooze"
    WORKSPACE_SWITCH = "workspace_switch"
    DIGEST_CHANNEL = "digest_channel"
    VALIDATE = "validate"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Rule:
    what: str  # the action as the docs table says it
    who: tuple[Party, ...]
    note: str = ""


_MEMBERS = (Party.MEMBER, Party.OWNER, Party.LEAD)
_OWNERS = (Party.OWNER, Party.LEAD)

RULES: dict[Action, Rule] = {
    Action.OPEN: Rule("open a swarm (`/swarm <case>`)", (Party.ANYONE,)),
    Action.JOIN: Rule("join, follow or leave a swarm; `/swarm status`, `list`", (Party.ANYONE,)),
    Action.SEARCH: Rule("search and read articles (`/swarm kb`); edit or flag one", (Party.ANYONE,)),
    Action.TALK: Rule("talk in the room", (Party.ANYONE,)),
    Action.MARK_FIX: Rule(
        "mark the fix (✅ on a room message)", _MEMBERS, "anyone else's ✅ is not a fix: they are told to join first"
    ),
    Action.PROPOSE_RESOLVE: Rule(
        "propose resolving (`/swarm resolve` by a member)", (Party.MEMBER,), "the owner confirms with one click"
    ),
    Action.RESOLVE: Rule("resolve (`/swarm resolve`, “Article n solved it”)", _OWNERS),
    Action.LINK: Rule("link a known article (`/swarm link`)", _MEMBERS),
    Action.INVITE: Rule("invite people into the swarm (`/swarm invite`)", _MEMBERS),
    Action.CANCEL: Rule("cancel (`/swarm cancel <reason>`)", _OWNERS, "with a reason, which the room is told"),
    Action.HAND_OVER: Rule("hand over (`/swarm owner`)", _OWNERS),
    Action.REOPEN: Rule("reopen (`/swarm reopen`)", _OWNERS),
    Action.RATE_MATCH: Rule("rate who was asked (👍 / 👎 at resolve)", (Party.OWNER,)),
    Action.SNOOZE: Rule("snooze the quiet-room nudge (`/swarm snooze`)", _MEMBERS),
    Action.WORKSPACE_SWITCH: Rule(
        "turn the workspace's digests or nudges on or off (`… everyone`)",
        (Party.LEAD,),
        "anyone turns their own on or off",
    ),
    Action.DIGEST_CHANNEL: Rule("choose the digest channel (`/swarm digest here`)", (Party.LEAD,)),
    Action.VALIDATE: Rule(
        "validate an article (`/swarm kb validate`)",
        (Party.PUBLISHER, Party.LEAD),
        "anyone, once the article has been reused often enough",
    ),
    Action.ARCHIVE: Rule(
        "archive or restore an article; undo its redaction",
        (Party.PUBLISHER, Party.LEAD, Party.OWNER),
        "the owner of the swarm it was written in",
    ),
}


@dataclass(frozen=True)
class Standing:
    """A person and who they are to what they act on."""

    person: Person
    owner: bool = False
    member: bool = False

    @property
    def parties(self) -> frozenset[Party]:
        parties = {Party.ANYONE}
        if self.owner:
            parties |= {Party.OWNER, Party.MEMBER}
        if self.member:
            parties.add(Party.MEMBER)
        if self.person.publisher:
            parties.add(Party.PUBLISHER)
        if self.person.role.above_agent:
            parties.add(Party.LEAD)
        return frozenset(parties)


def may(action: Action, standing: Standing) -> bool:
    return bool(standing.parties & set(RULES[action].who))


def leads_of(people: Sequence[Person], limit: int = 2) -> list[str]:
    """The names of a few leads and admins, leads first (they run the support floor), to be asked by name."""
    above = sorted((p for p in people if p.role.above_agent), key=lambda p: (p.role.value != "lead", p.name.lower()))
    return [p.name for p in above[:limit]]


def refusal(action: Action, owner: Person | None, leads: Sequence[str], **details: object) -> UserError:
    """What to tell someone who may not: who can (by name) and how to ask them; the words are handlers/replies'."""
    who = RULES[action].who
    return UserError(
        "not_allowed",
        action=action.value,
        owner=owner.name if owner is not None and Party.OWNER in who else None,
        leads=list(leads) if Party.LEAD in who else None,
        **details,
    )


async def ensure(
    uow: UnitOfWork, action: Action, standing: Standing, owner: Person | None = None, **details: object
) -> None:
    """Raises the refusal unless the person may; the roster is read only to name the leads in a refusal."""
    if may(action, standing):
        return
    leads = leads_of(await uow.people.list(standing.person.workspace_id)) if Party.LEAD in RULES[action].who else []
    raise refusal(action, owner, leads, **details)


def table() -> list[str]:
    """The permission table of docs/permissions.md, as Markdown rows."""
    parties = [p for p in Party if p is not Party.ASKED]
    rows = ["| What | " + " | ".join(p.value for p in parties) + " | Note |", "|" + " --- |" * (len(parties) + 2)]
    for rule in RULES.values():
        marks = ["✓" if p in rule.who or Party.ANYONE in rule.who else "" for p in parties]
        rows.append(f"| {rule.what} | " + " | ".join(marks) + f" | {rule.note} |")
    return rows
