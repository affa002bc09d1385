"""A swarm with what the digests and the analytics read of it: its people, timeline and articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Article, EventKind, Person, Role, Swarm, TimelineEntry
from bot.swarms import Crew, resolved_by_reuse
from bot.timezones import as_utc


@dataclass(frozen=True)
class SwarmFile:
    """A swarm with what the digests read of it."""

    crew: Crew
    timeline: tuple[TimelineEntry, ...] = ()
    article: Article | None = None  # the swarm's own article
    linked: tuple[Article, ...] = ()  # known articles linked to it (reuse)

    @property
    def swarm(self) -> Swarm:
        return self.crew.swarm

    def helpers(self) -> list[Person]:
        """Who helped: active members other than the owner; observers only followed, so they are left out."""
        return [
            p
            for m, p in self.crew.members
            if m.active and m.role not in (Role.OWNER, Role.OBSERVER) and p.id != self.swarm.owner_id
        ]

    def links(self, start: datetime, end: datetime) -> list[TimelineEntry]:
        """The known articles linked to the swarm between start and end."""
        return [e for e in self.timeline if e.kind is EventKind.LINKED and start <= as_utc(e.at) < end]

    @property
    def by_reuse(self) -> bool:
        """Resolved by a known article (a deflection): an article was linked and the swarm wrote no fix of its own."""
        return resolved_by_reuse(self.swarm, self.timeline, self.article)

    def linked_article(self, number: str) -> Article | None:
        return next((a for a in self.linked if str(a.number) == number), None)
