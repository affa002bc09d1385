"""Expertise learned from work: what each resolved swarm says about who knows what. Pure functions.

Every resolved swarm is evidence, and credit follows contribution. Whoever wrote the message marked as the fix counts
most, then whoever resolved it (and so authored the article), then whoever helped in the room (spoke, or marked the
fix); an expert's "I can help" counts a little, a "Can't now" a little against, and the owner's 👍 / 👎 on a match at
resolve counts a lot either way. The requester (who opened the case) and the learners (who came to learn) are credited
only for a fix they wrote: asking about a case, resolving your own case with someone else's fix, or asking a question
in the room says what they wanted to know, not what they know. Observers only follow: nothing.
Evidence fades with a half-life, so last month's fixes weigh more than those of two years ago.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import EventKind, Role, Swarm, TimelineEntry

DEFAULT_HALF_LIFE_DAYS = 180.0
WEIGHTS = {
    "solution": 3.0,
    "resolver": 2.0,
    "speaker": 1.0,
    "marker": 1.0,
    "accepted": 0.5,
    "declined": -0.5,
    "good": 2.0,
    "bad": -2.0,
}
# What the requester and learners are credited for: only a fix they wrote themselves.
ASKERS_CREDIT = frozenset({"solution"})
# Below this, what is left of the evidence is noise, not a skill.
MIN_STRENGTH = 0.25
# What BM25 reads of a person: the cases they resolved, wrote the fix for or were thanked for (👍). Having only spoken
# in the room (the requester does in every swarm) or said "I can help" says what they asked about, not what they know.
MIN_TEXT_WEIGHT = WEIGHTS["resolver"]

# Words that name the same skill. The first of each group is the name the matcher uses.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("pdf", "pdf-export", "pdfs"),
    ("sso", "saml", "single-sign-on", "okta", "oidc"),
    ("kubernetes", "k8s", "kubectl"),
    ("postgres", "postgresql", "psql"),
    ("invoicing", "invoice", "invoices"),
    ("payments", "payment", "stripe", "card-payments"),
    ("refunds", "refund", "chargeback", "chargebacks"),
    ("mobile", "ios", "android"),
    ("api", "rest", "webhooks", "webhook"),
    ("export", "exports", "csv-export"),
    ("reporting", "reports", "report", "dashboards"),
    ("tax", "vat", "taxes"),
    ("push-notifications", "push", "notifications"),
)
CANONICAL = {word: group[0] for group in SYNONYMS for word in group}

# Which department answers which topics: `#refund` can find Finance even when nobody there listed it as a skill.
DEPARTMENT_TOPICS: dict[str, frozenset[str]] = {
    "finance": frozenset({"refunds", "invoicing", "billing", "tax", "payments", "pricing", "credit"}),
    "sales": frozenset({"pricing", "contract", "renewal", "discount", "quote", "salesforce"}),
    "legal": frozenset({"contract", "gdpr", "privacy", "compliance", "dpa"}),
    "product": frozenset({"roadmap", "feature-request", "ux", "design"}),
    "r&d": frozenset({"bug", "api", "performance", "crash", "postgres", "kubernetes"}),
    "security": frozenset({"security", "sso", "vulnerability", "gdpr"}),
}
DEPARTMENT_LEVEL = 2

_STOP_TEXT = """a an and are as at be but by can cannot could does doesn't for from has have if in into is it its no not
of on or since so such that the their then there these they this to was were will with when where which while after
before again all any our we you your customer customers"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z0-9][a-z0-9+.-]*[a-z0-9+]|[a-z0-9]")


def canonical(skill: str) -> str:
    return CANONICAL.get(skill, skill)


def department_topics(department: str | None) -> frozenset[str]:
    return DEPARTMENT_TOPICS.get((department or "").strip().lower(), frozenset())


def terms(text: str) -> list[str]:
    """The words of a text that say what it is about: lower-case, no stop words, plurals folded, synonyms merged."""
    found = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(canonical(word))
    return found


@dataclass(frozen=True)
class Evidence:
    """One person's part in one resolved swarm."""

    person_id: int
    skills: tuple[str, ...]
    weight: float
    at: datetime
    text: str


@dataclass(frozen=True)
class Inferred:
    skill: str
    strength: float
    swarms: int
    last: datetime
    fixes: float = 0.0  # the faded weight of the swarms they fixed (the evidence BM25 reads: MIN_TEXT_WEIGHT and up)
    fixed: int = 0  # how many swarms that is

    @property
    def level(self) -> int:
        """On the roster's 1–5 scale: speaking up once is a 2, writing one fix a 4, a few recent fixes a 5."""
        return max(1, min(5, round(_curve(self.strength))))

    @property
    def experience(self) -> float:
        """The level's curve over the fixes alone, without the 5/5 ceiling: one recent fix is about 4.9, ten are
        about 9.5, fifty about 13. Past 5/5 the level no longer tells a go-to expert from someone with one fix; this
        does, growing ever more slowly (each doubling of the fixes adds 1.5). Speaking, asking or offering help never
        counts here: the requester of fifty billing cases is not a billing expert."""
        return _curve(self.fixes) if self.fixes > 0 else 0.0


def learned_from(inferred: Inferred) -> str:
    """What a learned skill was learned from, in words: the fixes and the other swarms they helped in."""
    helped = inferred.swarms - inferred.fixed
    fixes = f"{inferred.fixed} fix{'es' if inferred.fixed != 1 else ''}" if inferred.fixed else ""
    swarms = f"{helped} swarm{'s' if helped != 1 else ''}"
    if fixes and helped:
        return f"{fixes} and helping in {swarms}"
    return fixes or f"helping in {swarms}"


def _curve(strength: float) -> float:
    return 1 + 1.5 * math.log2(1 + strength)


def evidence_from(
    swarm: Swarm, timeline: Sequence[TimelineEntry], roles: Mapping[int, Role] | None = None
) -> list[Evidence]:
    """What a resolved swarm says about the people in it. Each part counts once per person per swarm.

    `roles` (person id → their role in the swarm) tells the learners; the requester is whoever opened it."""
    if swarm.resolved_at is None:
        return []
    requester = next((e.person_id for e in timeline if e.kind is EventKind.OPENED and e.person_id), swarm.owner_id)
    askers = {requester} | {person for person, role in (roles or {}).items() if role is Role.LEARNER}
    skills = tuple(dict.fromkeys(canonical(s) for s in (swarm.skills or swarm.case.tags)))
    authors = {e.message_id: e.person_id for e in timeline if e.kind is EventKind.MESSAGE and e.message_id}
    marks: dict[str, tuple[bool, int | None]] = {}
    parts: dict[int, set[str]] = {}
    for entry in timeline:
        person = entry.person_id
        if entry.kind is EventKind.MESSAGE and person is not None:
            parts.setdefault(person, set()).add("speaker")
        elif entry.kind in (EventKind.SOLUTION, EventKind.SOLUTION_REMOVED) and entry.message_id:
            marks[entry.message_id.removesuffix(":mark")] = (entry.kind is EventKind.SOLUTION, person)
        elif entry.kind is EventKind.RESOLVED and person is not None:
            parts.setdefault(person, set()).add("resolver")
        elif entry.kind is EventKind.ACCEPTED and person is not None:
            parts.setdefault(person, set()).add("accepted")
        elif entry.kind is EventKind.DECLINED and person is not None:
            parts.setdefault(person, set()).add("declined")
        elif entry.kind is EventKind.FEEDBACK and person is not None and entry.text in ("good", "bad"):
            parts.setdefault(person, set()).add(entry.text)
    for message_id, (marked, marker) in marks.items():
        author = authors.get(message_id)
        if marked and author is not None:
            parts.setdefault(author, set()).add("solution")
        if marked and marker is not None and marker != author:
            parts.setdefault(marker, set()).add("marker")
    for person in askers & set(parts):
        parts[person] &= ASKERS_CREDIT
    return [
        Evidence(person, skills, sum(WEIGHTS[p] for p in done), swarm.resolved_at, swarm.case.text)
        for person, done in parts.items()
        if done
    ]


def infer(
    evidence: Iterable[Evidence], now: datetime, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> dict[int, dict[str, Inferred]]:
    """person id → skill → what their evidence adds up to, faded by age."""
    totals: dict[tuple[int, str], list[float]] = {}
    fixes: dict[tuple[int, str], list[float]] = {}
    counts: Counter[tuple[int, str]] = Counter()
    last: dict[tuple[int, str], datetime] = {}
    for item in evidence:
        age_days = max(0.0, (now - item.at).total_seconds() / 86400)
        faded = item.weight * 0.5 ** (age_days / half_life_days)
        for skill in item.skills:
            key = (item.person_id, skill)
            totals.setdefault(key, []).append(faded)
            if item.weight > 0:
                counts[key] += 1
                last[key] = max(last.get(key, item.at), item.at)
            if item.weight >= MIN_TEXT_WEIGHT:
                fixes.setdefault(key, []).append(faded)
    result: dict[int, dict[str, Inferred]] = {}
    for (person, skill), weights in totals.items():
        strength = sum(weights)
        if strength >= MIN_STRENGTH and counts[(person, skill)]:
            fixed = fixes.get((person, skill), [])
            result.setdefault(person, {})[skill] = Inferred(
                skill, strength, counts[(person, skill)], last[(person, skill)], sum(fixed), len(fixed)
            )
    return result


def corpus(evidence: Iterable[Evidence]) -> dict[int, Counter[str]]:
    """person id → the words of the cases they helped resolve: what BM25 scores a new case against."""
    words: dict[int, Counter[str]] = {}
    for item in evidence:
        if item.weight >= MIN_TEXT_WEIGHT:
            words.setdefault(item.person_id, Counter()).update(terms(item.text))
    return words
