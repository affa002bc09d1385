"""Who should be asked about a case, best first, and why. Pure functions of their inputs.

`MatchIndex` is the matcher: declared and learned skills, the case text against each person's history of resolved
cases (BM25), a vote of the most similar past cases for whoever fixed them, synonyms and departments, a team led by
the best person and completed to cover the case's skills with as few people as the severity allows, nobody paged out
of hours below sev1, and a penalty for having been asked recently so the same go-to expert is not always the one
interrupted. The baselines the benchmarks compare it with live in bench/matching_baselines.py.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from bot.expertise import (
    DEFAULT_HALF_LIFE_DAYS,
    DEPARTMENT_LEVEL,
    MIN_TEXT_WEIGHT,
    Evidence,
    Inferred,
    canonical,
    corpus,
    department_topics,
    evidence_from,
    infer,
    learned_from,
    terms,
)
from bot.models import Case, Match, Person, Role, Swarm, TimelineEntry, WorkingHours
from bot.roster import is_away, is_working, local_now
from bot.text import close_skill, normalize_skill

# The roster's scale: levels run 1-5.
MAX_LEVEL = 5
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
# "Who fixed the most similar past cases": the case is scored against each recent fix (BM25 between the case and that
# one past case), and the SIMILAR_CASES most similar vote for whoever fixed them, each with its similarity, weighed
# by SIMILAR_WEIGHT against one level². Unlike a person's whole history, one past case that shares several of the
# case's words is strong evidence of the same problem. The vote reads the SIMILAR_WINDOW most recent fixes, and only
# words in at most SIMILAR_COMMON_SHARE of them ("error", a customer's name say little about the problem): that is
# what keeps it fast with 100k swarms. Tuned on bench/matching_quality.py's development seeds (101-110).
SIMILAR_CASES = 50
SIMILAR_WEIGHT = 4.0
SIMILAR_WINDOW = 20_000
SIMILAR_COMMON_SHARE = 0.05
CASE_K1 = 1.2
CASE_B = 0.75
# Team size by severity: sev1 may gather five people, sev3 and sev4 two.
TEAM_CAPS: Mapping[int, int] = {1: 5, 2: 3, 3: 2, 4: 2}
# The search for the best people (MatchIndex.rank) reads every entry of a word's BM25 posting only when the word is in
# at most this share of the people's histories; a commoner word ("acme", "error") adds at most a small, known amount
# to anyone's score, which is enough to rule most people out without looking at them.
COMMON_TERM_SHARE = 0.125
# A bound on a score is widened by this much so that rounding never makes a real score exceed it.
_BOUND_SLACK = 1e-9


@dataclass(frozen=True)
class Ranking:
    """The candidates for a case, best first, the skills the case needs and those nobody returned covers."""

    matches: tuple[Match, ...]
    skills: tuple[str, ...]
    uncovered: tuple[str, ...]
    learner: Match | None = None
    off_hours: tuple[Match, ...] = ()  # would match, but it is outside their hours and the case is not sev1
    alternates: tuple[Match, ...] = ()  # the next best, not needed for the team: who a decline would bring in
    # Uncovered skills nobody knows, each with the known skill it is probably a typo of: (`biling`, `billing`).
    misspelt: tuple[tuple[str, str], ...] = ()


def case_skills(case: Case, known_skills: Iterable[str]) -> tuple[str, ...]:
    """The case's #tags, then every known roster skill its text mentions, in the order the text mentions them."""
    skills = list(dict.fromkeys(case.tags))
    text = case.text.casefold()
    hits: list[tuple[int, str]] = []
    for skill in {_normalized(name) for name in known_skills}:
        if len(skill) < MIN_TEXT_SKILL_CHARS or skill in skills:
            continue
        if found := _mention(skill).search(text):
            hits.append((found.start(), skill))
    skills.extend(skill for _, skill in sorted(hits))
    return tuple(skills)


@lru_cache(maxsize=8192)
def _normalized(name: str) -> str:
    return normalize_skill(name)


@lru_cache(maxsize=8192)
def _mention(skill: str) -> re.Pattern[str]:
    # "single-sign-on" is written "single sign on"; "invoice" matches "invoices"; "pdf" matches "pdf." but "js"
    # does not match inside "node.js".
    body = r"[-\s_]+".join(re.escape(part) for part in skill.split("-"))
    return re.compile(rf"(?<![{_WORD_CHARS}.]){body}(?:e?s)?(?!\.?[{_WORD_CHARS}])")


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
    fixes: list[tuple[int, Counter[str]]] = field(default_factory=list)  # recent fixes: (who, the case's words)

    @classmethod
    def build(
        cls,
        people: Iterable[Person],
        history: Iterable[tuple[Swarm, Sequence[TimelineEntry]]] = (),
        *,
        now: datetime,
        half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
        evidence: Iterable[Evidence] | None = None,
        roles: Mapping[int, Mapping[int, Role]] | None = None,
    ) -> MatchIndex:
        """`roles`: swarm id → person id → their role in it (who the learners were)."""
        roster = {p.id: p for p in people if p.id is not None}
        roles = roles or {}
        found = (
            list(evidence)
            if evidence is not None
            else [e for s, t in history for e in evidence_from(s, t, roles.get(s.id or 0))]
        )
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
        recent = sorted((e for e in found if e.weight >= MIN_TEXT_WEIGHT and e.person_id in roster), key=_at)
        fixes = [(e.person_id, Counter(terms(e.text))) for e in recent[-SIMILAR_WINDOW:]]
        return cls(roster, inferred, postings, lengths, by_skill, fixes)

    def known_skills(self) -> set[str]:
        return set(self.by_skill)

    def level(self, person: Person, skill: str) -> tuple[int, str]:
        """(level, where it comes from) of a person in a skill: declared, learned, or their department."""
        level, _, source = self.weigh(person, skill)
        return level, source

    def weigh(self, person: Person, skill: str) -> tuple[int, float, str]:
        """(level, what it adds to a score, where it comes from) of a person in a skill.

        A skill adds its level², except past 5/5: a learned skill whose experience (`Inferred.experience`, the level's
        curve over the fixes alone) is beyond the scale adds experience², so the go-to expert with thirty fixes
        outranks someone with one, where both are 5/5."""
        declared = max((lvl for s, lvl in person.skills.items() if canonical(s) == skill), default=0)
        learned = self.inferred.get(person.id or 0, {}).get(skill)
        if learned is not None and skill in person.hidden_skills:
            learned = None
        learned_level = learned.level if learned is not None else 0
        department = DEPARTMENT_LEVEL if skill in department_topics(person.department) else 0
        best = max(declared, learned_level, department)
        if best == 0:
            return 0, 0.0, ""
        if learned is not None and learned.experience > MAX_LEVEL:
            return MAX_LEVEL, learned.experience**2, _learned(learned)
        if best == declared:
            return declared, float(declared * declared), "declared"
        if best == learned_level and learned is not None:
            return learned_level, float(learned_level * learned_level), _learned(learned)
        return department, float(department * department), f"{person.department}"

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
    ) -> Ranking:
        """The team for a case (at most `limit`, else as many as its severity allows), the next best, and who is off
        hours.

        The same answer as `rank_exhaustive`, which scores every candidate, found by looking at as few people as it
        can: people are taken best bound first, and the search stops as soon as nobody left could change the answer.
        """
        skills = self._skills(case)
        cap = limit if limit is not None else TEAM_CAPS.get(case.severity, 2)
        if cap < 0:  # a negative limit slices the ranking from its end: only the exhaustive ranking knows it
            return self.rank_exhaustive(
                case,
                now,
                requester_id=requester_id,
                load=load,
                limit=limit,
                exclude=exclude,
                invitations=invitations,
            )
        search = _Search(self, case, skills, now, requester_id, load, exclude, invitations)
        chosen, alternates, off_hours = search.run(cap)
        return self._ranking(skills, chosen, alternates, off_hours, now, requester_id, load, exclude)

    def rank_exhaustive(
        self,
        case: Case,
        now: datetime,
        *,
        requester_id: int | None,
        load: Mapping[int, int],
        limit: int | None = None,
        exclude: Collection[int] = (),
        invitations: Mapping[int, Sequence[datetime]] | None = None,
    ) -> Ranking:
        """`rank` by scoring every candidate: the reference the fast search is checked against, and its fallback."""
        skills = self._skills(case)
        words = terms(case.text)
        relevance = self._bm25(words) if words else {}
        votes = self.similar(words) if words else {}
        candidates = self._candidates(skills, relevance) | set(votes)
        scored, off_hours = [], []
        for person_id in candidates:
            person = self.people[person_id]
            if person_id == requester_id or person_id in exclude or is_away(person, now):
                continue
            active = load.get(person_id, 0)
            if active >= person.max_active_swarms:
                continue
            text = relevance.get(person_id, 0.0)
            vote = votes.get(person_id, _NO_VOTE)
            candidate = self._score(person, skills, text, now, active, invitations, vote)
            if candidate is None:
                continue
            if not candidate.online and case.severity > 1:
                off_hours.append(candidate)
            else:
                scored.append(candidate)
        scored.sort(key=lambda c: c.key)
        off_hours.sort(key=lambda c: c.key)
        chosen = _team(scored, skills, limit if limit is not None else TEAM_CAPS.get(case.severity, 2))
        alternates = [c for c in scored if c not in chosen][:3]
        return self._ranking(skills, chosen, alternates, off_hours[:3], now, requester_id, load, exclude)

    def _ranking(
        self,
        skills: tuple[str, ...],
        chosen: Sequence[_Candidate],
        alternates: Sequence[_Candidate],
        off_hours: Sequence[_Candidate],
        now: datetime,
        requester_id: int | None,
        load: Mapping[int, int],
        exclude: Collection[int],
    ) -> Ranking:
        covered = {s for c in chosen for s in c.covered}
        learner = self._learner(skills, now, requester_id, load, exclude, chosen)
        # Said, not asked: the swarm still opens. Someone opening a case wants the room and the experts now, and a
        # misspelt tag only narrows who is asked (the case's words still match); the card's "did you mean" shows the
        # right tag, and whom it would bring in is one `/swarm experts` or `/swarm invite` away.
        known = self.known_skills()
        close = {s: close_skill(s, known) for s in skills if s not in covered}
        return Ranking(
            misspelt=tuple((s, near) for s, near in close.items() if near),
            matches=tuple(_match(c) for c in chosen),
            skills=skills,
            uncovered=tuple(s for s in skills if s not in covered),
            learner=learner,
            off_hours=tuple(_match(c) for c in off_hours),
            alternates=tuple(_match(c) for c in alternates),
        )

    @cached_property
    def _prepared(self) -> _Prepared:
        """What every ranking reads, worked out once per index: who declared, knows or is learning what, and each
        word's BM25 weight for each person. The index is rebuilt when the roster or the history changes."""
        learners: dict[str, set[int]] = {}
        for person_id, person in self.people.items():
            for skill in {canonical(_normalized(s)) for s in person.learning}:
                learners.setdefault(skill, set()).add(person_id)
        levels: dict[str, dict[int, int]] = {}
        values: dict[str, dict[int, float]] = {}
        for skill, holders in self.by_skill.items():
            for person_id in holders:
                level, value, _ = self.weigh(self.people[person_id], skill)
                if level > 0:
                    levels.setdefault(skill, {})[person_id] = level
                    values.setdefault(skill, {})[person_id] = value
        idf: dict[str, float] = {}
        norms: dict[str, dict[int, float]] = {}
        if self.lengths:
            total = len(self.lengths)
            average = sum(self.lengths.values()) / total
            for term, posting in self.postings.items():
                if not posting:
                    continue
                idf[term] = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
                norms[term] = {
                    person: count
                    * (BM25_K1 + 1)
                    / (count + BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[person] / average))
                    for person, count in posting.items()
                }
        names = frozenset({s for p in self.people.values() for s in p.skills} | set(self.by_skill))
        fix_postings: dict[str, list[tuple[int, float]]] = {}
        if self.fixes:
            total = len(self.fixes)
            average = sum(sum(c.values()) for _, c in self.fixes) / total
            found: dict[str, list[tuple[int, int, int]]] = {}
            for number, (_, counter) in enumerate(self.fixes):
                length = sum(counter.values())
                for term, count in counter.items():
                    found.setdefault(term, []).append((number, count, length))
            # A word in fewer fixes than the vote takes is never too common to tell them apart.
            common = max(SIMILAR_COMMON_SHARE * total, SIMILAR_CASES)
            for term, entries in found.items():
                if len(entries) > common:
                    continue
                rarity = math.log(1 + (total - len(entries) + 0.5) / (len(entries) + 0.5))
                fix_postings[term] = [
                    (number, rarity * count * (CASE_K1 + 1) / (count + CASE_K1 * (1 - CASE_B + CASE_B * n / average)))
                    for number, count, n in entries
                ]
        return _Prepared(
            names=names,
            levels=levels,
            idf=idf,
            norms=norms,
            top_norm={term: max(weights.values()) for term, weights in norms.items()},
            profiles=len(self.lengths),
            learners=learners,
            level_buckets={skill: _by_level(people, values[skill]) for skill, people in levels.items()},
            values=values,
            fix_postings=fix_postings,
            fixer=[person_id for person_id, _ in self.fixes],
        )

    # -- parts ------------------------------------------------------------------------------------------------------

    def _skills(self, case: Case) -> tuple[str, ...]:
        return tuple(dict.fromkeys(canonical(s) for s in case_skills(case, self._prepared.names)))

    def _candidates(self, skills: Sequence[str], relevance: Mapping[int, float]) -> set[int]:
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
        vote: tuple[float, int] = (0.0, 0),
    ) -> _Candidate | None:
        reasons: list[str] = []
        covered: list[str] = []
        score = 0.0
        for skill in skills:
            level, value, source = self.weigh(person, skill)
            if level <= 0:
                continue
            covered.append(skill)
            score += value
            if source == "declared":
                reasons.append(f"{skill} {level}/5")
            else:
                reasons.append(f"{skill} {level}/5 ({source})")
        if text_score > 0:
            score += TEXT_WEIGHT * text_score
            reasons.append("has resolved similar cases")
        if vote[0] > 0:
            score += SIMILAR_WEIGHT * vote[0]
            reasons.append(f"fixed {vote[1]} of the most similar past cases")
        if score <= 0:
            return None
        online = is_working(person, now)
        if not online:
            score *= OFF_HOURS_FACTOR
        reasons.append(availability_reason(person, now, online))
        reasons.append(load_reason(active))
        if invitations:
            recent, interrupted = _recent(person, invitations.get(person.id or 0, ()), now)
            if recent or interrupted:
                score /= (1 + RECENT_PENALTY * recent) * (1 + INTERRUPTION_PENALTY * interrupted)
                reasons.append(f"asked {recent}× this week" if recent else f"paged off hours {interrupted}× this month")
        if person.department:
            reasons.insert(0, person.department)
        key = (-score, active, person.name.casefold(), person.id if person.id is not None else -1)
        return _Candidate(person, score, tuple(covered), reasons, online, active, key)

    def similar(self, words: Sequence[str]) -> dict[int, tuple[float, int]]:
        """person id → (the summed similarity, how many) of the SIMILAR_CASES past fixes most similar to a case's
        words that they fixed."""
        prepared = self._prepared
        similarity: dict[int, float] = {}
        for term, count in Counter(words).items():
            for fix, weight in prepared.fix_postings.get(term, ()):
                similarity[fix] = similarity.get(fix, 0.0) + weight * count
        votes: dict[int, tuple[float, int]] = {}
        for fix, value in heapq.nlargest(SIMILAR_CASES, similarity.items(), key=_second):
            person_id = prepared.fixer[fix]
            total, count = votes.get(person_id, _NO_VOTE)
            votes[person_id] = (total + value, count + 1)
        return votes

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
        learners = self._prepared.learners
        options = []
        for person_id in sorted(set().union(*(learners.get(skill, set()) for skill in wanted))):
            person = self.people[person_id]
            overlap = {canonical(_normalized(s)) for s in person.learning} & wanted
            active = load.get(person.id or 0, 0)
            if not overlap or person.id in taken or is_away(person, now) or active >= person.max_active_swarms:
                continue
            if not is_working(person, now):
                continue
            options.append((active, person.name.casefold(), person.id or 0, person, sorted(overlap)))
        if not options:
            return None
        active, _, _, person, interests = min(options)
        return Match(person, 0.0, (f"learning {', '.join(interests)}", load_reason(active)), tuple(interests))


@dataclass(frozen=True)
class _Prepared:
    names: frozenset[str]  # every skill name a case's text can mention: declared, learned, departments'
    levels: dict[str, dict[int, int]]  # a skill → person → level (declared, learned or department), when > 0
    idf: dict[str, float]
    norms: dict[str, dict[int, float]]  # a word → person → its BM25 weight in their history, before idf
    top_norm: dict[str, float]
    profiles: int  # people with a history
    learners: dict[str, set[int]]
    level_buckets: dict[str, list[tuple[float, list[int]]]]  # a skill → (the most any of them adds, who) per level
    values: dict[str, dict[int, float]]  # a skill → person → what it adds to their score (MatchIndex.weigh), when > 0
    fix_postings: dict[str, list[tuple[int, float]]]  # a word → (a recent fix's number, the word's BM25 weight in it)
    fixer: list[int]  # a recent fix's number → who fixed it


# Heap entries: (-bound, sequence, kind, payload). The sequence keeps equal bounds in insertion order and the
# payloads from ever being compared.
_LOOSE, _TIGHT, _BUCKET, _REST = 0, 1, 2, 3
_Entry = tuple[float, int, int, int | list[int] | None]


class _Search:
    """What `rank_exhaustive` would choose, looking at as few people as possible.

    Every candidate has an upper bound on their score that is cheap to know: what the skills they cover add,
    plus TEXT_WEIGHT × their BM25 from the case's rarer words (read from those words' postings) plus the most the
    common words could add, plus SIMILAR_WEIGHT × their vote (worked out exactly first: voters wait each with a bound
    of their own). Off hours and the recent-invitation penalty only ever lower a score. People wait in one
    heap per *signature* (which of the case's skills they cover, as the team's set cover counts them), best bound
    first: covering people with no rare word in their history wait in buckets by level, and everyone else with only
    common words waits behind one bound for all (the rest). Taking a bound from a heap tightens it: a bucket or the
    rest is opened into people; a person's loose bound becomes their exact score before off hours and penalties
    (cheap: no reasons yet); a tight bound is scored for real. A choice is final when its score beats every bound
    that could still compete with it (strictly: equal scores are broken by load, name and id).
    """

    def __init__(
        self,
        index: MatchIndex,
        case: Case,
        skills: tuple[str, ...],
        now: datetime,
        requester_id: int | None,
        load: Mapping[int, int],
        exclude: Collection[int],
        invitations: Mapping[int, Sequence[datetime]] | None,
    ) -> None:
        self.index, self.skills, self.now = index, skills, now
        self.requester_id, self.load, self.exclude, self.invitations = requester_id, load, exclude, invitations
        self.split_off_hours = case.severity > 1
        self.prepared = index._prepared
        self.heaps: dict[tuple[str, ...], list[_Entry]] = {}
        self.off_heap: list[_Entry] = []  # off hours, exact bound × OFF_HOURS_FACTOR
        self.scored: dict[tuple[str, ...], list[_Candidate]] = {}  # scored, may be asked; each best first
        self.ranked: list[_Candidate] = []  # every scored candidate who may be asked, best first
        self.off_ranked: list[_Candidate] = []
        self.sequence = 0
        self.online: dict[tuple[str, WorkingHours | None], bool] = {}
        self.query: list[tuple[str, int]] = []
        self.common: list[tuple[str, int]] = []
        self.pooled: set[int] = set()  # people with an entry of their own, not to be opened again from a bucket
        self.skill_part: Mapping[int, float] = {}
        self.votes: dict[int, tuple[float, int]] = {}
        self._pool(case)

    # -- the pool ---------------------------------------------------------------------------------------------------

    def _pool(self, case: Case) -> None:
        prepared = self.prepared
        words = terms(case.text)
        self.query = [(t, n) for t, n in Counter(words).items() if t in prepared.norms]
        self.votes = self.index.similar(words) if words else {}
        common = COMMON_TERM_SHARE * prepared.profiles
        text_part: dict[int, float] = {}
        rest = 0.0
        for term, count in self.query:
            idf, norms = prepared.idf[term], prepared.norms[term]
            if len(norms) > common:
                self.common.append((term, count))
                rest += idf * prepared.top_norm[term] * count
                continue
            for person_id, norm in norms.items():
                text_part[person_id] = text_part.get(person_id, 0.0) + idf * norm * count
        for person_id in self.votes:  # a voter waits with a bound of their own, their vote in it
            text_part.setdefault(person_id, 0.0)
        signature_of: dict[int, tuple[str, ...]]
        if len(self.skills) == 1:
            skill = self.skills[0]
            self.skill_part = prepared.values.get(skill, {})
            for most, people in prepared.level_buckets.get(skill, []):
                self._push((skill,), _BUCKET, people, most + TEXT_WEIGHT * rest)
            signature_of = {person_id: (skill,) for person_id in text_part if person_id in self.skill_part}
        else:
            skill_part: dict[int, float] = {}
            signature_of = {}
            for skill in self.skills:
                for person_id, value in prepared.values.get(skill, {}).items():
                    skill_part[person_id] = skill_part.get(person_id, 0.0) + value
                    signature_of[person_id] = (*signature_of.get(person_id, ()), skill)
            self.skill_part = skill_part
            # Grouped by signature and whole part: past 5/5 the parts are not whole numbers, and each group waits
            # behind the most any of its people adds.
            buckets: dict[tuple[tuple[str, ...], int], tuple[float, list[int]]] = {}
            for person_id, part in skill_part.items():
                if person_id not in text_part:
                    key = (signature_of[person_id], math.floor(part))
                    most, people = buckets.get(key, (0.0, []))
                    people.append(person_id)
                    buckets[key] = (max(most, part), people)
            for (signature, _), (most, people) in buckets.items():
                self._push(signature, _BUCKET, people, most + TEXT_WEIGHT * rest)
        for person_id, text in text_part.items():
            bound = self.skill_part.get(person_id, 0) + TEXT_WEIGHT * (text + rest)
            if person_id in self.votes:
                bound += SIMILAR_WEIGHT * self.votes[person_id][0]
            self._push(signature_of.get(person_id, ()), _LOOSE, person_id, bound)
        self.pooled = set(text_part)
        if rest > 0:
            self._push((), _REST, None, TEXT_WEIGHT * rest)

    def _push(
        self, signature: tuple[str, ...] | None, kind: int, payload: int | list[int] | None, bound: float
    ) -> None:
        self.sequence += 1
        entry = (-(bound * (1 + _BOUND_SLACK) + _BOUND_SLACK), self.sequence, kind, payload)
        heapq.heappush(self.off_heap if signature is None else self.heaps.setdefault(signature, []), entry)

    # -- looking at people ------------------------------------------------------------------------------------------

    def _look(self, signature: tuple[str, ...]) -> None:
        """Take the best bound of a heap and tighten it."""
        _, _, kind, payload = heapq.heappop(self.heaps[signature])
        if isinstance(payload, list):  # a bucket
            for person_id in payload:
                if person_id not in self.pooled:
                    self._loose(person_id, signature)
        elif payload is None:  # the rest
            self._open_rest()
        elif kind == _LOOSE:
            self._loose(payload, signature)
        else:
            self._tight(payload, signature)

    def _loose(self, person_id: int, signature: tuple[str, ...]) -> None:
        """A person with a loose bound: gone (requester, excluded, away, full), or back in a heap with the exact
        score before off hours and penalties: in their signature's heap, or the off-hours heap."""
        person = self.index.people[person_id]
        if person_id == self.requester_id or person_id in self.exclude or is_away(person, self.now):
            return
        if self.load.get(person_id, 0) >= person.max_active_swarms:
            return
        base = self.skill_part.get(person_id, 0.0)
        text = self._text(person_id)
        if text > 0:
            base += TEXT_WEIGHT * text
        if person_id in self.votes:
            base += SIMILAR_WEIGHT * self.votes[person_id][0]
        if base <= 0:
            return
        if self.split_off_hours and not self._is_online(person):
            self._push(None, _TIGHT, person_id, OFF_HOURS_FACTOR * base)
        else:
            self._push(signature, _TIGHT, person_id, base)

    def _tight(self, person_id: int, signature: tuple[str, ...] | None) -> None:
        """Score a person for real, with reasons, off hours and penalties."""
        person = self.index.people[person_id]
        text = self._text(person_id)
        active = self.load.get(person_id, 0)
        vote = self.votes.get(person_id, _NO_VOTE)
        candidate = self.index._score(person, self.skills, text, self.now, active, self.invitations, vote)
        if candidate is None:
            return
        if signature is None:
            bisect.insort(self.off_ranked, candidate, key=_by_key)
            return
        bisect.insort(self.scored.setdefault(signature, []), candidate, key=_by_key)
        bisect.insort(self.ranked, candidate, key=_by_key)

    def _open_rest(self) -> None:
        """Everyone else whose history has a common word of the case: each with their own bound now."""
        prepared = self.prepared
        found: dict[int, float] = {}
        for term, count in self.common:
            idf = prepared.idf[term]
            for person_id, norm in prepared.norms[term].items():
                if person_id not in self.pooled and person_id not in self.skill_part:
                    found[person_id] = found.get(person_id, 0.0) + idf * norm * count
        self.pooled |= found.keys()
        for person_id, text in found.items():
            self._push((), _LOOSE, person_id, TEXT_WEIGHT * text)

    def _text(self, person_id: int) -> float:
        """The person's BM25, added up word by word in the case's order, exactly as MatchIndex._bm25 does."""
        prepared, score = self.prepared, 0.0
        for term, count in self.query:
            norm = prepared.norms[term].get(person_id)
            if norm is not None:
                score = score + prepared.idf[term] * norm * count
        return score

    def _is_online(self, person: Person) -> bool:
        key = (person.timezone, person.working_hours)
        if key not in self.online:
            self.online[key] = is_working(person, self.now)
        return self.online[key]

    def _head(self, signatures: Iterable[tuple[str, ...]]) -> tuple[float, tuple[str, ...] | None]:
        """The best bound still in these heaps, and its heap."""
        best, where = -math.inf, None
        for signature in signatures:
            heap = self.heaps.get(signature)
            if heap and -heap[0][0] > best:
                best, where = -heap[0][0], signature
        return best, where

    # -- the answer -------------------------------------------------------------------------------------------------

    def run(self, cap: int) -> tuple[list[_Candidate], list[_Candidate], list[_Candidate]]:
        """(the team of at most `cap`; the next 3 best; the 3 best off hours)."""
        chosen = self._team(cap) if self.skills else self._best(min(cap, 2))
        taken = {id(c) for c in chosen}
        alternates = [c for c in self._best(len(chosen) + 3) if id(c) not in taken][:3]
        return chosen, alternates, self._off_hours() if self.split_off_hours else []

    def _team(self, cap: int) -> list[_Candidate]:
        """As `_team` does it: the best person, then greedy set cover of the skills they leave uncovered (the most
        uncovered skills, then the best score, then the earliest)."""
        lead = self._best(1) if cap > 0 else []
        if not lead:
            return []
        uncovered = set(self.skills) - set(lead[0].covered)
        team: list[_Candidate] = list(lead)
        while uncovered and len(team) < cap:
            gains: dict[int, list[tuple[str, ...]]] = {}
            for signature in self.heaps.keys() | self.scored.keys():
                gain = len(uncovered & set(signature))
                if gain:
                    gains.setdefault(gain, []).append(signature)
            pick = None
            for gain in sorted(gains, reverse=True):
                pick = self._pick(gains[gain], team)
                if pick is not None:
                    break
            if pick is None:
                break
            team.append(pick)
            uncovered -= set(pick.covered)
        return team

    def _pick(self, signatures: list[tuple[str, ...]], team: list[_Candidate]) -> _Candidate | None:
        """The best scored person with one of these signatures, not in the team yet, once no bound can beat them."""
        while True:
            heads = [next((c for c in self.scored.get(s, ()) if c not in team), None) for s in signatures]
            best = min((c for c in heads if c is not None), key=_by_key, default=None)
            bound, where = self._head(signatures)
            if where is None or (best is not None and best.score > bound):
                return best
            self._look(where)

    def _best(self, count: int) -> list[_Candidate]:
        """The `count` best scored people, once no bound can beat the last of them."""
        while True:
            bound, where = self._head(self.heaps)
            found = self.ranked[: max(count, 0)]
            if where is None or count <= 0 or (len(found) == count and found[-1].score > bound):
                return found
            self._look(where)

    def _off_hours(self) -> list[_Candidate]:
        """The 3 best people off hours, once no bound (in the heaps, or off hours not scored yet) can beat the third."""
        while True:
            found = self.off_ranked[:3]
            bound, where = self._head(self.heaps)
            waiting = -self.off_heap[0][0] if self.off_heap else -math.inf
            limit = max(OFF_HOURS_FACTOR * bound, waiting)
            if limit == -math.inf or (len(found) == 3 and found[-1].score > limit):
                return found
            if where is not None and OFF_HOURS_FACTOR * bound >= waiting:
                self._look(where)
            else:
                _, _, _, person_id = heapq.heappop(self.off_heap)
                assert isinstance(person_id, int)
                self._tight(person_id, None)


def _by_level(levels: Mapping[int, int], values: Mapping[int, float]) -> list[tuple[float, list[int]]]:
    """The holders of a skill grouped by level, each group with the most any of them adds to a score (past 5/5,
    experience makes the values of one level differ)."""
    found: dict[int, list[int]] = {}
    for person_id, level in levels.items():
        found.setdefault(level, []).append(person_id)
    return [(max(values[p] for p in people), people) for _, people in sorted(found.items(), reverse=True)]


def _learned(learned: Inferred) -> str:
    return f"learned from {learned_from(learned)}"


_NO_VOTE = (0.0, 0)


def _second(item: tuple[int, float]) -> float:
    return item[1]


def _by_key(candidate: _Candidate) -> tuple[float, int, str, int]:
    return candidate.key


def _team(ranked: Sequence[_Candidate], skills: Sequence[str], cap: int) -> list[_Candidate]:
    """The best person for the case, then the fewest more that cover the skills they do not: greedy set cover over
    the ranked candidates, at most `cap` in all."""
    if not skills:
        return list(ranked[: min(cap, 2)])
    if cap <= 0 or not ranked:
        return []
    lead = ranked[0]  # who fixed cases like this one leads, whether or not they cover a skill the case names
    uncovered = set(skills) - set(lead.covered)
    team: list[_Candidate] = [lead]
    pool = list(enumerate(ranked))[1:]  # the position breaks ties: the earlier in the ranking, the better
    while uncovered and pool and len(team) < cap:
        at, (_, best) = max(
            enumerate(pool), key=lambda e: (len(uncovered & set(e[1][1].covered)), e[1][1].score, -e[1][0])
        )
        if not uncovered & set(best.covered):
            break
        team.append(best)
        uncovered -= set(best.covered)
        del pool[at]
    return team


def _at(evidence: Evidence) -> datetime:
    return evidence.at


def _match(candidate: _Candidate) -> Match:
    return Match(candidate.person, candidate.score, tuple(candidate.reasons), candidate.covered)


def _recent(person: Person, times: Sequence[datetime], now: datetime) -> tuple[int, int]:
    week, month = now - timedelta(days=RECENT_DAYS), now - timedelta(days=INTERRUPTION_DAYS)
    recent = sum(1 for at in times if at >= week)
    interrupted = sum(1 for at in times if at >= month and not is_working(person, at))
    return recent, interrupted


def availability_reason(person: Person, now: datetime, online: bool) -> str:
    """What a match says of their hours: "online, 10:14 in Europe/Madrid", "off hours, Sat 12:00 in …"."""
    local = local_now(person, now)
    if online:
        return f"online, {local:%H:%M} in {person.timezone}"
    # On a weekend the clock alone reads like a working time; the day says why they are off.
    day = f"{local:%a} " if local.weekday() >= 5 else ""
    return f"off hours, {day}{local:%H:%M} in {person.timezone}"


def load_reason(active: int) -> str:
    """What a match says of their load: "no active swarms", "1 active swarm", "2 active swarms"."""
    if active == 0:
        return "no active swarms"
    return f"{active} active swarm" if active == 1 else f"{active} active swarms"
