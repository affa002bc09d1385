"""The baselines the matching benchmarks compare Swarm's matcher with; Swarm itself never ranks this way.

- `tags`: Dispatch-style rules: a person matches when one of their declared skills equals one of the case's tags;
  one point per tag, nothing else.
- `declared`: matching v1: declared levels of the tags and of the skills the text names (level², so one 5/5
  outweighs several 1/5s), off hours ×OFF_HOURS_FACTOR, then fewer active swarms, name and id.
- `full`: the live matcher, `MatchIndex.rank`, as Swarm asks it.

Both baselines rank the best `limit` people (3 by default), never the requester, anyone excluded, away or at their
max_active_swarms; they have no team, no off-hours list, no learner and no recent-invitation penalty. They read the
same `MatchIndex` as the live matcher (its roster, and the skill names a case's text can mention), so one index
serves every method.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Literal

from bot.expertise import canonical
from bot.matching import OFF_HOURS_FACTOR, MatchIndex, Ranking, availability_reason, case_skills, load_reason
from bot.models import Case, Match, Person
from bot.roster import is_away, is_working

Method = Literal["tags", "declared", "full"]
METHODS: tuple[Method, ...] = ("tags", "declared", "full")


@dataclass
class Matchers:
    """Every method over one index: `rank(..., method=...)`."""

    index: MatchIndex

    @cached_property
    def _holders(self) -> dict[str, set[int]]:
        """A declared skill name, as written → who declared it."""
        found: dict[str, set[int]] = {}
        for person_id, person in self.index.people.items():
            for name in person.skills:
                found.setdefault(name, set()).add(person_id)
        return found

    @cached_property
    def _names(self) -> frozenset[str]:
        """Every skill name a case's text can mention: declared as written, and every skill the index knows."""
        return frozenset(self._holders) | frozenset(self.index.known_skills())

    def rank(
        self,
        case: Case,
        now: datetime,
        *,
        method: Method,
        requester_id: int | None,
        load: Mapping[int, int],
        limit: int | None = None,
        exclude: Collection[int] = (),
        invitations: Mapping[int, Sequence[datetime]] | None = None,
    ) -> Ranking:
        """The live matcher's team (`full`), or a baseline's best `limit` people (3 by default) and the next 3."""
        if method == "full":
            return self.index.rank(
                case, now, requester_id=requester_id, load=load, limit=limit, exclude=exclude, invitations=invitations
            )
        skills = tuple(dict.fromkeys(case.tags)) if method == "tags" else case_skills(case, self._names)
        candidates: set[int] = set()
        for skill in skills:
            candidates |= self._holders.get(skill, set())
        scored = []
        for person_id in candidates:
            person = self.index.people[person_id]
            if person_id == requester_id or person_id in exclude or is_away(person, now):
                continue
            active = load.get(person_id, 0)
            if active >= person.max_active_swarms:
                continue
            found = _score(person, skills, method, now, active)
            if found is not None:
                scored.append(found)
        scored.sort(key=_key)
        count = max(limit if limit is not None else 3, 0)
        chosen = [match for _, match in scored[:count]]
        covered = {s for match in chosen for s in match.skills}
        return Ranking(
            matches=tuple(chosen),
            skills=skills,
            uncovered=tuple(s for s in skills if s not in covered),
            alternates=tuple(match for _, match in scored[count : count + 3]),
        )


def _score(
    person: Person, skills: Sequence[str], method: Method, now: datetime, active: int
) -> tuple[tuple[float, int, str, int], Match] | None:
    """(the sort key, the match) of a person, or None when they cover none of the skills."""
    covered: list[str] = []
    reasons: list[str] = []
    score = 0.0
    for skill in skills:
        if method == "tags":
            if skill not in person.skills:
                continue
            score += 1.0
            reasons.append(skill)
        else:
            level = max((lvl for s, lvl in person.skills.items() if canonical(s) == skill), default=0)
            if level <= 0:
                continue
            score += float(level * level)
            reasons.append(f"{skill} {level}/5")
        covered.append(skill)
    if score <= 0:
        return None
    if method == "declared":
        online = is_working(person, now)
        if not online:
            score *= OFF_HOURS_FACTOR
        reasons += [availability_reason(person, now, online), load_reason(active)]
    key = (-score, active, person.name.casefold(), person.id if person.id is not None else -1)
    return key, Match(person, score, tuple(reasons), tuple(covered))


def _key(scored: tuple[tuple[float, int, str, int], Match]) -> tuple[float, int, str, int]:
    return scored[0]
