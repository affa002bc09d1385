"""Who should be asked about a case, best first, and why. Pure functions of their inputs.

`rank()` is matching v1 (declared skills, availability, load): a list of the best `limit` people. `MatchIndex` is the
full matcher: declared and learned skills, the case text against each person's history of resolved cases (BM25),
synonyms and departments, a team that covers the case's skills with as few people as the severity allows, nobody
paged out of hours below sev1, and a penalty for having been asked recently so the same go-to expert is not always
the one interrupted. `mode="tags"` and `mode="declared"` are the baselines the benchmark compares it with.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.expertise import (
    DEFAULT_HALF_LIFE_DAYS,
    DEPARTMENT_LEVEL,
    Evidence,
    Inferred,
    canonical,
    corpus,
    department_topics,
    evidence_from,
    infer,
    terms,
)
from bot.models import Case, Match, Person, Swarm, TimelineEntry
from bot.roster import is_away, is_working, local_now
from bot.text import normalize_skill

# Online people come first unless an off-hours expert knows far more: an off-hours 5/5 (25 × 0.25) still beats
# an online 2/5 (4) but not an online 3/5 (9).
OFF_HOURS_FACTOR = 0.25
# One- and two-letter skills ("c", "go", "ai") are everyday words too often to be found in free text.
MIN_TEXT_SKILL_CHARS = 3
_WORD_CHARS = "a-z0-9+"
# How much one unit of BM25 relevance weighs against one level² of skill.
TEXT_WEIGHT = 3.0
# A person's "document" is every case they resolved, so a word's count in it is how many of those cases used it: more
# cases are more evidence, not repetition, so the count saturates slowly (a large k1); and a long history is
# experience, not verbosity, so length is normalised only a little (a small b). Tuned on bench/matching_quality.py.
BM25_K1 = 10.0
BM25_B = 0.3
# Spreading the load: each invitation in the last week, and each out-of-hours one in the last month, costs a share.
RECENT_DAYS = 7
RECENT_PENALTY = 0.2
INTERRUPTION_DAYS = 30
INTERRUPTION_PENALTY = 0.3
# Team size by severity: sev1 may gather five people, sev3 and sev4 two.
TEAM_CAPS: Mapping[int, int] = {1: 5, 2: 3, 3: 2, 4: 2}
Mode = Literal["full", "declared", "tags"]


@dataclass(frozen=True)
class Ranking:
    """The candidates for a case, best first, the skills the case needs and those nobody returned covers."""

    matches: tuple[Match, ...]
    skills: tuple[str, ...]
    uncovered: tuple[str, ...]
    learner: Match | None = None
    off_hours: tuple[Match, ...] = ()  # would match, but it is outside their hours and the case is not sev1
    alternates: tuple[Match, ...] = ()  # the next best, not needed for the team: who a decline would bring in


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
    """Matching v1: the best `limit` people by declared skills.

    Never the requester, anyone excluded, anyone away or at their max_active_swarms; only people with at least
    one of the case's skills. Score: the sum of level² over the skills they cover, so one 5/5 outweighs several
    1/5s; off hours multiplies it by OFF_HOURS_FACTOR. Ties: fewer active swarms, then name, then id.
    """
    index = MatchIndex.build(people, now=now)
    return index.rank(case, now, requester_id=requester_id, load=load, limit=limit, exclude=exclude, mode="declared")


@dataclass
class _Candidate:
    person: Person
    score: float
    covered: tuple[str, ...]
    reasons: list[str]
    online: bool
    active: int
    key: tuple[float, int, str, int] = (0.0, 0, "", 0)


@dataclass
class MatchIndex:
    """The roster of one workspace, ready to rank many cases quickly: built once, reused until the roster or the
    history changes."""

    people: dict[int, Person]
    inferred: dict[int, dict[str, Inferred]] = field(default_factory=dict)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)
    lengths: dict[int, int] = field(default_factory=dict)
    by_skill: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        people: Iterable[Person],
        history: Iterable[tuple[Swarm, Sequence[TimelineEntry]]] = (),
        *,
        now: datetime,
        half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
        evidence: Iterable[Evidence] | None = None,
    ) -> MatchIndex:
        roster = {p.id: p for p in people if p.id is not None}
        found = list(evidence) if evidence is not None else [e for s, t in history for e in evidence_from(s, t)]
        inferred = infer(found, now, half_life_days)
        words = corpus(found)
        postings: dict[str, dict[int, int]] = {}
        for owner, counter in words.items():
            if owner in roster:
                for term, count in counter.items():
                    postings.setdefault(term, {})[owner] = count
        by_skill: dict[str, set[int]] = {}
        for person_id, person in roster.items():
            names = {canonical(s) for s in person.skills} | set(inferred.get(person_id, {}))
            names |= department_topics(person.department)
            for name in names:
                by_skill.setdefault(name, set()).add(person_id)
        lengths = {p: sum(c.values()) for p, c in words.items() if p in roster}
        return cls(roster, inferred, postings, lengths, by_skill)

    def known_skills(self) -> set[str]:
        return set(self.by_skill)

    def level(self, person: Person, skill: str, mode: Mode = "full") -> tuple[int, str]:
        """(level, where it comes from) of a person in a skill: declared, learned, or their department."""
        declared = max((lvl for s, lvl in person.skills.items() if canonical(s) == skill), default=0)
        if mode != "full":
            return declared, "declared"
        learned = self.inferred.get(person.id or 0, {}).get(skill)
        learned_level = learned.level if learned and skill not in person.hidden_skills else 0
        department = DEPARTMENT_LEVEL if skill in department_topics(person.department) else 0
        best = max(declared, learned_level, department)
        if best == 0:
            return 0, ""
        if best == declared:
            return declared, "declared"
        if best == learned_level and learned is not None:
            return learned_level, f"learned from {learned.swarms} swarm{'s' if learned.swarms != 1 else ''}"
        return department, f"{person.department}"

    def rank(
        self,
        case: Case,
        now: datetime,
        *,
        requester_id: int | None,
        load: Mapping[int, int],
        limit: int | None = None,
        exclude: Collection[int] = (),
        invitations: Mapping[int, Sequence[datetime]] | None = None,
        mode: Mode = "full",
    ) -> Ranking:
        skills = self._skills(case, mode)
        words = terms(case.text) if mode == "full" else []
        relevance = self._bm25(words) if words else {}
        candidates = self._candidates(skills, relevance, mode)
        scored, off_hours = [], []
        for person_id in candidates:
            person = self.people[person_id]
            if person_id == requester_id or person_id in exclude or is_away(person, now):
                continue
            active = load.get(person_id, 0)
            if active >= person.max_active_swarms:
                continue
            candidate = self._score(person, skills, relevance.get(person_id, 0.0), now, active, invitations, mode)
            if candidate is None:
                continue
            if mode == "full" and not candidate.online and case.severity > 1:
                off_hours.append(candidate)
            else:
                scored.append(candidate)
        scored.sort(key=lambda c: c.key)
        off_hours.sort(key=lambda c: c.key)
        if mode == "full":
            cap = limit if limit is not None else TEAM_CAPS.get(case.severity, 2)
            chosen = _team(scored, skills, cap)
        else:
            chosen = scored[: max(limit if limit is not None else 3, 0)]
        matches = tuple(_match(c) for c in chosen)
        covered = {s for c in chosen for s in c.covered}
        learner = self._learner(skills, now, requester_id, load, exclude, chosen) if mode == "full" else None
        return Ranking(
            matches=matches,
            skills=skills,
            uncovered=tuple(s for s in skills if s not in covered),
            learner=learner,
            off_hours=tuple(_match(c) for c in off_hours[:3]),
            alternates=tuple(_match(c) for c in scored if c not in chosen)[:3],
        )

    # -- parts ------------------------------------------------------------------------------------------------------

    def _skills(self, case: Case, mode: Mode) -> tuple[str, ...]:
        if mode == "tags":
            return tuple(dict.fromkeys(case.tags))
        found = case_skills(case, {s for p in self.people.values() for s in p.skills} | set(self.by_skill))
        if mode == "declared":
            return found
        return tuple(dict.fromkeys(canonical(s) for s in found))

    def _candidates(self, skills: Sequence[str], relevance: Mapping[int, float], mode: Mode) -> set[int]:
        if mode != "full":
            wanted = set(skills)
            return {pid for pid, p in self.people.items() if wanted & set(p.skills)}
        found: set[int] = set(relevance)
        for skill in skills:
            found |= self.by_skill.get(skill, set())
        return found

    def _score(
        self,
        person: Person,
        skills: Sequence[str],
        text_score: float,
        now: datetime,
        active: int,
        invitations: Mapping[int, Sequence[datetime]] | None,
        mode: Mode,
    ) -> _Candidate | None:
        reasons: list[str] = []
        covered: list[str] = []
        score = 0.0
        for skill in skills:
            if mode == "tags":
                level, source = (1, "declared") if skill in person.skills else (0, "")
            else:
                level, source = self.level(person, skill, mode)
            if level <= 0:
                continue
            covered.append(skill)
            score += level**2
            if mode == "tags":
                reasons.append(skill)
            elif source == "declared":
                reasons.append(f"{skill} {level}/5")
            else:
                reasons.append(f"{skill} {level}/5 ({source})")
        if text_score > 0:
            score += TEXT_WEIGHT * text_score
            reasons.append("has resolved similar cases")
        if score <= 0:
            return None
        online = is_working(person, now)
        if mode != "tags":
            if not online:
                score *= OFF_HOURS_FACTOR
            reasons.append(_availability(person, now, online))
            reasons.append(_load(active))
        if mode == "full" and invitations:
            recent, interrupted = _recent(person, invitations.get(person.id or 0, ()), now)
            if recent or interrupted:
                score /= (1 + RECENT_PENALTY * recent) * (1 + INTERRUPTION_PENALTY * interrupted)
                reasons.append(f"asked {recent}× this week" if recent else f"paged off hours {interrupted}× this month")
        if mode == "full" and person.department:
            reasons.insert(0, person.department)
        key = (-score, active, person.name.casefold(), person.id if person.id is not None else -1)
        return _Candidate(person, score, tuple(covered), reasons, online, active, key)

    def _bm25(self, words: Sequence[str]) -> dict[int, float]:
        if not self.lengths:
            return {}
        total = len(self.lengths)
        average = sum(self.lengths.values()) / total
        scores: dict[int, float] = {}
        for term, query_count in Counter(words).items():
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
            for person, count in posting.items():
                norm = (
                    count * (BM25_K1 + 1) / (count + BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[person] / average))
                )
                scores[person] = scores.get(person, 0.0) + idf * norm * query_count
        return scores

    def _learner(
        self,
        skills: Sequence[str],
        now: datetime,
        requester_id: int | None,
        load: Mapping[int, int],
        exclude: Collection[int],
        chosen: Sequence[_Candidate],
    ) -> Match | None:
        taken = {c.person.id for c in chosen} | set(exclude) | {requester_id}
        wanted = set(skills)
        options = []
        for person in self.people.values():
            overlap = {canonical(normalize_skill(s)) for s in person.learning} & wanted
            active = load.get(person.id or 0, 0)
            if not overlap or person.id in taken or is_away(person, now) or active >= person.max_active_swarms:
                continue
            if not is_working(person, now):
                continue
            options.append((active, person.name.casefold(), person.id or 0, person, sorted(overlap)))
        if not options:
            return None
        active, _, _, person, interests = min(options)
        return Match(person, 0.0, (f"learning {', '.join(interests)}", _load(active)), tuple(interests))


def _team(ranked: Sequence[_Candidate], skills: Sequence[str], cap: int) -> list[_Candidate]:
    """The fewest people that cover the case's skills: greedy set cover over the ranked candidates, at most `cap`."""
    if not skills:
        return list(ranked[: min(cap, 2)])
    uncovered = set(skills)
    team: list[_Candidate] = []
    pool = list(ranked)
    while uncovered and pool and len(team) < cap:
        best = max(pool, key=lambda c: (len(uncovered & set(c.covered)), c.score, -pool.index(c)))
        if not uncovered & set(best.covered):
            break
        team.append(best)
        uncovered -= set(best.covered)
        pool.remove(best)
    return team


def _match(candidate: _Candidate) -> Match:
    return Match(candidate.person, candidate.score, tuple(candidate.reasons), candidate.covered)


def _recent(person: Person, times: Sequence[datetime], now: datetime) -> tuple[int, int]:
    week, month = now - timedelta(days=RECENT_DAYS), now - timedelta(days=INTERRUPTION_DAYS)
    recent = sum(1 for at in times if at >= week)
    interrupted = sum(1 for at in times if at >= month and not is_working(person, at))
    return recent, interrupted


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
