"""A swarm's page in words: how long it has been open or how long it took, and each timeline entry as one line that
names who did what to whom ("Ana Ruiz rated Chen Wei a good match", "Ana Ruiz handed the swarm over to Ben Okafor").

Pure functions of the swarm, its timeline and the people it names, so they are tested without a server. Each entry
stores one person: who acted for most kinds, but the person acted on for an invitation, a hand-over, a declined
invitation and a match's rating; the other person is read from the entry's text or from the timeline before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import EventKind, Person, Swarm, SwarmStatus, TimelineEntry
from handlers.replies import duration

SWARM = "Swarm"  # who did it, when nobody did: the bot itself (a match, a lapsed invitation)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

# What an entry says after the name of who did it, for the kinds that involve nobody else.
KIND_WORDS: dict[EventKind, str] = {
    EventKind.OPENED: "opened the swarm",
    EventKind.JOINED: "joined",
    EventKind.LEFT: "left",
    EventKind.MESSAGE: "said",
    EventKind.RESOLVED: "resolved the swarm",
    EventKind.CANCELLED: "cancelled the swarm",
    EventKind.REOPENED: "reopened the swarm",
    EventKind.ACCEPTED: "said “I can help”",
    EventKind.LINKED: "linked article",
    EventKind.SNOOZED: "snoozed the quiet-room nudge",
}


@dataclass(frozen=True)
class Line:
    """One timeline entry as the page shows it: `who` `says`, then the entry's text (a message, a reason)."""

    entry: TimelineEntry
    who: str
    says: str
    text: str
    article: int | None = None  # a linked article's number


@dataclass(frozen=True)
class Span:
    """How long a swarm has been open ("Open for"), or how long it ran before it ended ("Resolved after",
    "Cancelled after"): a closed swarm's time stops at its end and does not grow while the page is read."""

    label: str
    length: timedelta | None

    @property
    def text(self) -> str:
        return duration(self.length) if self.length is not None else "–"


def span(swarm: Swarm, timeline: Sequence[TimelineEntry], now: datetime) -> Span:
    if swarm.status.is_active:
        return Span("Open for", now - swarm.created_at if swarm.created_at else None)
    end = ended(swarm, timeline)
    label = "Resolved after" if swarm.status is SwarmStatus.RESOLVED else "Cancelled after"
    return Span(label, end - swarm.created_at if end is not None and swarm.created_at is not None else None)


def ended(swarm: Swarm, timeline: Sequence[TimelineEntry]) -> datetime | None:
    """When a closed swarm closed for the last time: its resolve, or the last cancel in its timeline."""
    if swarm.status is SwarmStatus.RESOLVED and swarm.resolved_at is not None:
        return swarm.resolved_at
    kind = EventKind.RESOLVED if swarm.status is SwarmStatus.RESOLVED else EventKind.CANCELLED
    return next((e.at for e in reversed(timeline) if e.kind is kind), None)


def lines(timeline: Sequence[TimelineEntry], people: Mapping[int, Person]) -> list[Line]:
    """Every entry, oldest first, in words."""
    names = {pid: p.name for pid, p in people.items()}
    authors: dict[str, str] = {}  # a room message's id → who wrote it, for the fix marks on it
    owner = SWARM  # the owner at each entry: who opened it, then each new owner
    shown = []
    for entry in timeline:
        who = names.get(entry.person_id, SWARM) if entry.person_id is not None else SWARM
        if entry.kind is EventKind.OPENED:
            owner = who
        elif entry.kind is EventKind.MESSAGE and entry.message_id:
            authors[entry.message_id] = who
        shown.append(_line(entry, who, owner, authors, people))
        if entry.kind is EventKind.OWNER_CHANGED:
            owner = who
    return shown


def _line(entry: TimelineEntry, who: str, owner: str, authors: Mapping[str, str], people: Mapping[int, Person]) -> Line:
    text = _mentions(entry.text, people)
    kind = entry.kind
    if kind is EventKind.INVITED:
        # "by Ana Ruiz" when a person added them (/swarm invite); else the reasons the match gave.
        if text.startswith("by "):
            return Line(entry, text.removeprefix("by "), f"added {who} to the swarm", "")
        return Line(entry, SWARM, f"asked {who} to help", text)
    if kind is EventKind.OWNER_CHANGED:
        if text.startswith("from "):
            return Line(entry, text.removeprefix("from "), f"handed the swarm over to {who}", "")
        return Line(entry, who, "became the owner", "")
    if kind is EventKind.DECLINED:
        if text:  # a lapse: nobody said anything, the invitation ran out
            return Line(entry, who, "did not answer the invitation in time", "")
        return Line(entry, who, "said “Can't now”", "")
    if kind is EventKind.FEEDBACK:
        # Only the owner rates the matches, at resolve: the entry names the person rated.
        rating = {"good": "a good match", "bad": "not a good match"}.get(entry.text, "a match")
        return Line(entry, owner, f"rated {who} {rating}", "")
    if kind in (EventKind.SOLUTION, EventKind.SOLUTION_REMOVED):
        author = authors.get((entry.message_id or "").removesuffix(":mark"))
        whose = "their own message" if author == who else f"{author}'s message" if author else "a message"
        says = f"marked {whose} as the fix" if kind is EventKind.SOLUTION else f"took back the fix mark on {whose}"
        return Line(entry, who, says, text)
    if kind is EventKind.THANKED:
        receiver, reason = _thanked(text)
        return Line(entry, who, f"thanked {receiver}" if receiver else "said thanks", reason)
    if kind is EventKind.LINKED and entry.text.strip().isdigit():
        return Line(entry, who, KIND_WORDS[kind], "", int(entry.text))
    return Line(entry, who, KIND_WORDS.get(kind, kind.value), text)


def _thanked(text: str) -> tuple[str, str]:
    """`/swarm thanks` writes "Name: reason", or the name alone: the person thanked, and why."""
    receiver, _, reason = text.partition(": ")
    return receiver.strip(), reason.strip()


def _mentions(text: str, people: Mapping[int, Person]) -> str:
    """Slack's <@U123> mentions as @names (of the people the page knows)."""
    names = {p.slack_id: p.name for p in people.values() if p.slack_id}
    return _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
