"""Matching v1: who should be asked about a case, best first, and why. A pure function of its inputs."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import Case, Match, Person
from bot.roster import is_away, is_working, local_now
from bot.text import normalize_skill

# Online people come first unless an off-hours expert knows far more: an off-hours 5/5 (25 × 0.25) still beats
# an online 2/5 (4) but not an online 3/5 (9).
OFF_HOURS_FACTOR = 0.25
# One- and two-letter skills ("c", "go", "ai") are everyday words too often to be found in free text.
MIN_TEXT_SKILL_CHARS = 3
_WORD_CHARS = "a-z0-9+"


@dataclass(frozen=True)
class Ranking:
    """The candidates for a case, best first, the skills the case needs and those nobody returned covers."""

    matches: tuple[Match, ...]
    skills: tuple[str, ...]
    uncovered: tuple[str, ...]


def case_skills(case: Case, known_skills: Iterable[str]) -> tuple[str, ...]:
    """The case's #tags, then every known roster skill its text mentions, in the order the text mentions them."""
    skills = list(dict.fromkeys(case.tags))
    text = case.text.casefold()
    hits: list[tuple[int, str]] = []
    for skill in {normalize_skill(name) for name in known_skills}:
        if len(skill) < MIN_TEXT_SKILL_CHARS or skill in skills:
            continue
        if found := _mention(skill).search(text):
            hits.append((found.start(), skill))
    skills.extend(skill for _, skill in sorted(hits))
    return tuple(skills)


def _mention(skill: str) -> re.Pattern[str]:
    # "single-sign-on" is written "single sign on"; "invoice" matches "invoices"; "pdf" matches "pdf." but "js"
    # does not match inside "node.js".
    body = r"[-\s_]+".join(re.escape(part) for part in skill.split("-"))
    return re.compile(rf"(?<![{_WORD_CHARS}.]){body}(?:e?s)?(?!\.?[{_WORD_CHARS}])")


def rank(
    case: Case,
    people: Sequence[Person],
    now: datetime,
    *,
    requester_id: int | None,
    load: Mapping[int, int],
    limit: int = 3,
    exclude: Collection[int] = (),
) -> Ranking:
    """The best `limit` people for a case.

    Never the requester, anyone excluded, anyone away or at their max_active_swarms; only people with at least
    one of the case's skills. Score: the sum of level² over the skills they cover, so one 5/5 outweighs several
    1/5s; off hours multiplies it by OFF_HOURS_FACTOR. Ties: fewer active swarms, then name, then id.
    """
    known = {skill for person in people for skill in person.skills}
    skills = case_skills(case, known)

    candidates: list[tuple[tuple[float, int, str, int], Match]] = []
    for person in people:
        if person.id is not None and (person.id == requester_id or person.id in exclude):
            continue
        active = load.get(person.id, 0) if person.id is not None else 0
        if is_away(person, now) or active >= person.max_active_swarms:
            continue
        covered = tuple(skill for skill in skills if person.skills.get(skill, 0) > 0)
        if not covered:
            continue
        online = is_working(person, now)
        score = float(sum(person.skills[skill] ** 2 for skill in covered))
        if not online:
            score *= OFF_HOURS_FACTOR
        reasons = (
            *(f"{skill} {person.skills[skill]}/5" for skill in covered),
            _availability(person, now, online),
            _load(active),
        )
        key = (-score, active, person.name.casefold(), person.id if person.id is not None else -1)
        candidates.append((key, Match(person=person, score=score, reasons=reasons, skills=covered)))

    candidates.sort(key=lambda candidate: candidate[0])
    matches = tuple(match for _, match in candidates[: max(limit, 0)])
    covered_by_matches = {skill for match in matches for skill in match.skills}
    uncovered = tuple(skill for skill in skills if skill not in covered_by_matches)
    return Ranking(matches=matches, skills=skills, uncovered=uncovered)


def _availability(person: Person, now: datetime, online: bool) -> str:
    local = local_now(person, now)
    if online:
        return f"online, {local:%H:%M} in {person.timezone}"
    # On a weekend the clock alone reads like a working time; the day says why they are off.
    day = f"{local:%a} " if local.weekday() >= 5 else ""
    return f"off hours, {day}{local:%H:%M} in {person.timezone}"


def _load(active: int) -> str:
    if active == 0:
        return "no active swarms"
    return f"{active} active swarm" if active == 1 else f"{active} active swarms"
