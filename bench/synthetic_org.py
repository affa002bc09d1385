"""A synthetic organisation for the matching benchmarks (issue 5): hidden true expertise, a noisy roster, a history.

Everything is drawn from one `random.Random(seed)`, so a seed gives the same organisation on every machine.

- **People** across Support, R&D, Product, Sales, Finance and Security, in the timezones where such teams sit, with
  working hours (08:00-16:00, 09:00-17:00 or 10:00-18:00 on their own clock, weekends off).
- **Topics** (40): 29 carry a skill name the matcher can know (billing, pdf, sso, postgres, …) and 11 are only ever
  described ("emails bounce", "calendar invites do not sync"): nobody can declare or tag them. Each topic has a
  vocabulary of 9-15 words, 39 of them shared with other topics (invoice, login, csv, sync, timeout, …).
- **Hidden expertise**: each person knows a few topics, mostly of their department's, with a strength in (0, 1]
  drawn heavy-tailed (most people know a topic a little, a few know it very well); every topic has one go-to
  expert (strength ≥ 0.8) and at least one more with some strength.
- **The declared roster**, noisy and incomplete: 12 % of people declared nothing; of the others, each true skill is
  missing with probability 0.4, a level is off by ±1 (25 %) or ±2 (10 %), 15 % of names are a synonym (`saml` for
  sso), and 20 % of people declared one skill they do not really have.
- **History**: cases spread over a year of weekdays, each opened by a Support agent during their working hours,
  with text made of the topic's words plus noise words and a customer name; 40 % carry the topic's tag, 10 % a
  synonym of it (`#saml`, `#refund`), 5 % a wrong tag, the rest none. The resolver is drawn in proportion to
  strength² × availability (1 inside working hours; 0.1 outside, 0.5 for sev1 when people get paged); 0-3 other
  people speak in the room (mostly people who know the topic, in proportion to strength, sometimes anyone), and so
  does the requester. Each swarm becomes `Evidence` as `bot.expertise.evidence_from` would write it: the resolver
  wrote the fix and resolved it (solution + resolver), every other participant who spoke is a speaker, and the
  requester, who only asked, is credited nothing.
- **Held out**: the cases of the `held_out_days` after the year, with their true resolver, never in the evidence.

    .venv/bin/python bench/synthetic_org.py [--seed 7] [--people 300]   # prints a summary of one organisation
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/synthetic_org.py` as well as `python -m bench.synthetic_org`
    sys.path.insert(0, str(ROOT))

from bot.expertise import WEIGHTS, Evidence, canonical  # noqa: E402
from bot.matching import case_skills  # noqa: E402
from bot.models import Case, Person, WorkingHours  # noqa: E402

DEPARTMENTS = ("Support", "R&D", "Product", "Sales", "Finance", "Security")
# Share of the organisation in each department.
DEPARTMENT_SHARES = {"Support": 0.34, "R&D": 0.30, "Product": 0.08, "Sales": 0.10, "Finance": 0.10, "Security": 0.08}
# Where each department sits: (timezone, weight).
DEPARTMENT_ZONES: Mapping[str, tuple[tuple[str, float], ...]] = {
    "Support": (
        ("America/New_York", 2),
        ("America/Los_Angeles", 1),
        ("America/Sao_Paulo", 1),
        ("Europe/London", 2),
        ("Europe/Madrid", 2),
        ("Asia/Kolkata", 1),
        ("Asia/Singapore", 1),
        ("Australia/Sydney", 1),
    ),
    "R&D": (
        ("Europe/Berlin", 3),
        ("Europe/Lisbon", 1),
        ("America/New_York", 2),
        ("America/Los_Angeles", 1),
        ("Asia/Kolkata", 2),
    ),
    "Product": (("Europe/London", 2), ("America/New_York", 2), ("Europe/Berlin", 1)),
    "Sales": (("America/New_York", 2), ("America/Chicago", 1), ("Europe/London", 2), ("Australia/Sydney", 1)),
    "Finance": (("Europe/Madrid", 2), ("Europe/London", 1), ("America/New_York", 2)),
    "Security": (("Europe/Berlin", 2), ("America/New_York", 1), ("Asia/Singapore", 1)),
}
HOURS = (
    (WorkingHours(time(9), time(17)), 6),
    (WorkingHours(time(8), time(16)), 2),
    (WorkingHours(time(10), time(18)), 2),
)
# How many topics a person of each department truly knows (inclusive range).
TOPICS_PER_PERSON: Mapping[str, tuple[int, int]] = {
    "Support": (0, 2),
    "R&D": (1, 4),
    "Product": (1, 3),
    "Sales": (1, 3),
    "Finance": (1, 3),
    "Security": (1, 3),
}
OWN_DEPARTMENT_TOPIC = 0.85  # the chance that a known topic is one of the person's department's
SEVERITY_WEIGHTS = {1: 0.10, 2: 0.25, 3: 0.50, 4: 0.15}
STRENGTH_EXPONENT = 2.5  # strength = uniform ** 2.5: heavy-tailed
GO_TO_STRENGTH = 0.8
RESOLVER_EXPONENT = 2.0  # the resolver is drawn in proportion to strength ** 2 × availability
OFF_HOURS_AVAILABILITY = 0.1
SEV1_OFF_HOURS_AVAILABILITY = 0.5
# The declared roster's noise.
NO_DECLARED_SKILLS = 0.12
MISSING_SKILL = 0.4
LEVEL_OFF_BY_ONE = 0.25
LEVEL_OFF_BY_TWO = 0.10
SYNONYM_NAME = 0.15
WRONG_SKILL = 0.20
# The tags a case carries.
RIGHT_TAG = 0.40
SYNONYM_TAG = 0.10
WRONG_TAG = 0.05
OTHER_TOPIC_WORD = 0.15  # a case sometimes mentions a word of another topic


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CUSTOMERS = (
    "ACME",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Soylent",
    "Tyrell",
    "Wayne",
    "Stark",
    "Cyberdyne",
    "Vandelay",
    "Wonka",
)
NOISE_WORDS = _words(
    """error issue fails failing broken wrong since yesterday today urgent please help again users user account page
    screen shows message version upgrade update after working stopped weird problem several some every morning
    still happening reported ticket escalated production environment team admin console"""
)
FIRST_NAMES = _words(
    """Ana Bruno Chloe Dev Elena Farid Grace Hiro Isabel Jonas Kofi Lena Marco Nadia Omar Priya Quentin Rosa Sven
    Tariq Uma Victor Wen Ximena Yusuf Zoe Amara Boris Carmen Diego Emeka Fatima Goran Hana Ivan Julia Kenji Lucia
    Mateo Noor Olivia Pavel Rania Sofia Tomas Ursula Vera Wanda Yara Zain"""
)
LAST_NAMES = _words(
    """Ruiz Costa Martin Patel Novak Haddad Kim Tanaka García Berg Mensah Fischer Rossi Khan Ali Sharma Dubois Silva
    Larsen Aziz Iyer Chen Wu López Demir Brown Okafor Ivanov Navarro Torres Eze Hussein Petrov Sato Smirnov Weber
    Mori Romero Nguyen Jones Horvat Saleh Moreau Alves Kowalski Schmidt Lund Meyer Adeyemi Cohen"""
)


@dataclass(frozen=True)
class Topic:
    key: str
    department: str
    words: tuple[str, ...]  # most typical first
    skill: str | None = None  # the name people declare and tag; None: only ever described
    synonyms: tuple[str, ...] = ()  # other names people use for the skill, in tags and in the roster


# fmt: off
TOPICS: tuple[Topic, ...] = (
    # Finance
    Topic("billing", "Finance", ("billing", "charged", "twice", "subscription", "plan", "amount", "monthly", "annual",
                                 "prorated", "overcharge", "seat", "cycle", "statement", "invoice", "downgrade"),
          "billing"),
    Topic("invoicing", "Finance", ("invoice", "numbering", "line", "item", "due", "date", "sequence", "duplicate",
                                   "recipient", "issued", "credit-note", "address", "template", "draft"),
          "invoicing", ("invoice", "invoices")),
    Topic("payments", "Finance", ("card", "declined", "stripe", "checkout", "3ds", "authorisation", "gateway", "sepa",
                                  "transaction", "capture", "expired", "retry", "wallet", "payment"),
          "payments", ("payment", "stripe")),
    Topic("refunds", "Finance", ("refund", "chargeback", "dispute", "reversal", "partial", "returned", "money", "bank",
                                 "pending", "credited", "cancel", "card"),
          "refunds", ("refund", "chargeback")),
    Topic("tax", "Finance", ("vat", "rate", "exemption", "jurisdiction", "reverse-charge", "sales-tax", "nexus",
                             "rounding", "withholding", "gst", "invoice", "country"),
          "tax", ("vat",)),
    Topic("credit", "Finance", ("credit", "balance", "limit", "collections", "overdue", "dunning", "write-off", "terms",
                                "outstanding", "reminder", "statement"),
          "credit"),
    # Sales
    Topic("pricing", "Sales", ("price", "tier", "list-price", "currency", "enterprise", "per-seat", "calculator",
                               "plan", "change", "grandfathered", "discount"),
          "pricing"),
    Topic("contract", "Sales", ("contract", "clause", "signature", "docusign", "msa", "amendment", "legal",
                                "order-form", "countersigned", "term", "redline"),
          "contract"),
    Topic("renewal", "Sales", ("renewal", "auto-renew", "expiry", "notice", "term", "churn", "cancellation", "reminder",
                               "co-term", "uplift"),
          "renewal"),
    Topic("salesforce", "Sales", ("salesforce", "crm", "opportunity", "lead", "sync", "field", "mapping", "connector",
                                  "object", "apex", "account"),
          "salesforce"),
    Topic("quote", "Sales", ("quote", "cpq", "proposal", "approval", "line", "expiry", "discount", "signed", "pdf"),
          "quote"),
    # Security
    Topic("sso", "Security", ("saml", "okta", "login", "assertion", "idp", "redirect", "certificate", "metadata",
                              "azure-ad", "loop", "session", "entity-id"),
          "sso", ("saml", "okta", "single-sign-on")),
    Topic("vulnerability", "Security", ("cve", "scan", "pentest", "patch", "disclosure", "xss", "injection",
                                        "dependency", "finding", "exploit"),
          "vulnerability"),
    Topic("gdpr", "Security", ("gdpr", "erasure", "subject", "access", "request", "personal", "data", "retention",
                               "consent", "dpo", "deletion"),
          "gdpr"),
    Topic("scim", "Security", ("scim", "provisioning", "deprovision", "directory", "group", "user", "license", "sync",
                               "azure-ad", "seat"),
          "scim"),
    Topic("audit-log", "Security", ("audit", "trail", "log", "who", "changed", "permission", "event", "admin",
                                    "history", "retention")),
    # R&D
    Topic("postgres", "R&D", ("database", "query", "slow", "index", "deadlock", "migration", "replica", "connection",
                              "pool", "timeout", "vacuum", "lock", "postgresql"),
          "postgres", ("postgresql", "psql")),
    Topic("kubernetes", "R&D", ("pod", "cluster", "helm", "node", "crashloop", "deployment", "ingress", "namespace",
                                "container", "oom", "restart", "k8s"),
          "kubernetes", ("k8s",)),
    Topic("api", "R&D", ("endpoint", "token", "rate", "limit", "429", "webhook", "payload", "json", "oauth",
                         "response", "status", "api"),
          "api", ("rest", "webhooks")),
    Topic("performance", "R&D", ("slow", "latency", "timeout", "load", "seconds", "spinner", "cpu", "memory",
                                 "dashboard", "hangs", "performance"),
          "performance"),
    Topic("mobile", "R&D", ("ios", "android", "app", "crash", "offline", "store", "tablet", "screen", "iphone",
                            "login", "version"),
          "mobile", ("ios", "android")),
    Topic("push-notifications", "R&D", ("push", "notification", "badge", "apns", "fcm", "silent", "device", "token",
                                        "delayed", "phone"),
          "push-notifications", ("push", "notifications")),
    Topic("export", "R&D", ("export", "csv", "excel", "download", "file", "columns", "encoding", "utf-8", "large",
                            "zip"),
          "export", ("exports", "csv-export")),
    Topic("pdf", "R&D", ("pdf", "render", "template", "font", "layout", "blank", "print", "margin", "attachment",
                         "generate", "invoice"),
          "pdf"),
    Topic("reporting", "R&D", ("report", "dashboard", "chart", "widget", "filter", "metric", "totals", "date-range",
                               "scheduled", "pivot"),
          "reporting", ("reports", "dashboards")),
    Topic("search", "R&D", ("search", "results", "relevance", "elasticsearch", "reindex", "missing", "fuzzy", "stale",
                            "index", "query"),
          "search"),
    Topic("crash", "R&D", ("crash", "stacktrace", "exception", "freeze", "500", "nullpointer", "restart", "dump",
                           "error-page"),
          "crash"),
    Topic("email-delivery", "R&D", ("email", "bounce", "spam", "smtp", "dkim", "spf", "delivered", "inbox", "sender",
                                    "notification", "mailbox")),
    Topic("data-import", "R&D", ("import", "upload", "csv", "mapping", "rows", "duplicate", "spreadsheet", "skipped",
                                 "template", "records")),
    Topic("calendar-sync", "R&D", ("calendar", "google", "outlook", "event", "sync", "invite", "recurring", "meeting",
                                   "timezone", "double")),
    Topic("automation", "R&D", ("zapier", "trigger", "workflow", "automation", "step", "action", "zap", "rule",
                                "fired", "condition")),
    Topic("attachments", "R&D", ("attachment", "upload", "size", "storage", "s3", "file", "preview", "virus",
                                 "thumbnail", "limit")),
    Topic("backup-restore", "R&D", ("backup", "restore", "deleted", "recover", "trash", "snapshot", "undo", "lost",
                                    "rollback", "yesterday's")),
    # Product
    Topic("ux", "Product", ("button", "confusing", "layout", "flow", "click", "menu", "navigation", "design", "hidden",
                            "screen"),
          "ux"),
    Topic("roadmap", "Product", ("feature", "request", "roadmap", "planned", "release", "eta", "vote", "beta",
                                 "when", "missing"),
          "roadmap", ("feature-request",)),
    Topic("accessibility", "Product", ("screen-reader", "contrast", "keyboard", "aria", "wcag", "focus", "zoom",
                                       "blind", "tab-order"),
          "accessibility", ("a11y",)),
    Topic("onboarding", "Product", ("onboarding", "setup", "wizard", "trial", "welcome", "tutorial", "activation",
                                    "first", "checklist")),
    Topic("localization", "Product", ("translation", "language", "locale", "french", "german", "format", "rtl",
                                      "characters", "accents", "japanese")),
    # Support
    Topic("account-access", "Support", ("password", "reset", "locked", "2fa", "mfa", "code", "sms", "authenticator",
                                        "login", "recovery")),
    Topic("data-cleanup", "Support", ("merge", "duplicate", "contacts", "bulk", "delete", "cleanup", "records",
                                      "owner", "reassign")),
)
# fmt: on


@dataclass(frozen=True)
class HistoricCase:
    """One case of the synthetic history: what was asked, when, by whom, and who truly resolved it."""

    case: Case
    at: datetime
    topic: str
    requester_id: int
    resolver_id: int
    participants: tuple[int, ...] = ()


@dataclass
class Org:
    people: list[Person]
    topics: tuple[Topic, ...]
    expertise: dict[int, dict[str, float]]  # person id → topic key → hidden strength in (0, 1]
    history: list[HistoricCase]  # the year the matcher learns from
    held_out: list[HistoricCase]  # the days after it, with their true resolver
    evidence: list[Evidence]  # what the history's resolved swarms say
    start: datetime
    split: datetime  # the end of the history: the matcher's "now" when it is built
    end: datetime
    seed: int
    declared_counts: Counter[str] = field(default_factory=Counter)

    def person(self, person_id: int) -> Person:
        return self._by_id[person_id]

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.people if p.id is not None}


def generate(
    seed: int = 7,
    people: int = 300,
    cases_per_year: int = 5000,
    held_out_days: int = 30,
    start: datetime = datetime(2025, 1, 6, tzinfo=UTC),
    topics: Sequence[Topic] = TOPICS,
    availability: bool = True,
) -> Org:
    """One organisation: roster, hidden expertise, a year of history and the held-out days after it.

    `availability=False` draws resolvers from expertise alone, without looking at anyone's clock: much faster, for
    the speed benchmark's large histories, where who resolved what only has to look plausible.
    """
    rng = random.Random(seed)
    roster, expertise = _people(rng, people, topics)
    declared_counts = _declare(rng, roster, expertise, topics)
    split = start + timedelta(days=364)
    end = split + timedelta(days=held_out_days)
    known = {canonical(s) for p in roster for s in p.skills} | _department_topics()
    agents = [p for p in roster if p.department == "Support"] or roster
    drawer = _ResolverDrawer(rng, roster, expertise, topics, availability)
    total = cases_per_year * (364 + held_out_days) // 364
    history: list[HistoricCase] = []
    held_out: list[HistoricCase] = []
    days = _weekdays(start, end)
    for _ in range(total):
        topic = rng.choice(topics)
        requester = rng.choice(agents)
        at = _moment(rng, requester, rng.choice(days))
        severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        case = _case(rng, topic, topics, severity)
        assert requester.id is not None
        resolver = drawer.draw(topic.key, at, severity, exclude=requester.id)
        participants = drawer.participants(topic.key, rng.randint(0, 3), exclude={requester.id, resolver})
        item = HistoricCase(case, at, topic.key, requester.id, resolver, participants)
        (history if at < split else held_out).append(item)
    history.sort(key=lambda c: c.at)
    held_out.sort(key=lambda c: c.at)
    evidence = [e for item in history for e in evidence_of(item, known)]
    return Org(roster, tuple(topics), expertise, history, held_out, evidence, start, split, end, seed, declared_counts)


def evidence_of(item: HistoricCase, known: Iterable[str]) -> list[Evidence]:
    """What a resolved swarm says, as `evidence_from` writes it: the resolver wrote the fix and resolved the swarm;
    the other participants spoke in the room; the requester only asked (nothing). The skills are those the swarm
    recorded when it opened: its tags and the known skills its text names, canonical."""
    skills = tuple(dict.fromkeys(canonical(s) for s in case_skills(item.case, known)))
    resolved_at = item.at + timedelta(hours=2)
    speaker = WEIGHTS["speaker"]
    found = [Evidence(item.resolver_id, skills, WEIGHTS["solution"] + WEIGHTS["resolver"], resolved_at, item.case.text)]
    for person_id in item.participants:
        found.append(Evidence(person_id, skills, speaker, resolved_at, item.case.text))
    return found


# -- people -------------------------------------------------------------------------------------------------------


def _people(
    rng: random.Random, count: int, topics: Sequence[Topic]
) -> tuple[list[Person], dict[int, dict[str, float]]]:
    departments = _spread(count, DEPARTMENT_SHARES)
    names = _names(rng, count)
    roster: list[Person] = []
    for person_id, (department, name) in enumerate(zip(departments, names, strict=True), start=1):
        zones = DEPARTMENT_ZONES[department]
        timezone = rng.choices([z for z, _ in zones], weights=[w for _, w in zones])[0]
        hours = rng.choices([h for h, _ in HOURS], weights=[w for _, w in HOURS])[0]
        roster.append(
            Person(
                workspace_id=1,
                id=person_id,
                name=name,
                email=f"p{person_id}@example.com",
                department=department,
                timezone=timezone,
                working_hours=hours,
                max_active_swarms=3,
            )
        )
    own = {d: [t for t in topics if t.department == d] for d in DEPARTMENTS}
    expertise: dict[int, dict[str, float]] = {}
    for person in roster:
        assert person.id is not None and person.department is not None
        low, high = TOPICS_PER_PERSON[person.department]
        known: dict[str, float] = {}
        for _ in range(rng.randint(low, high)):
            pool = own[person.department] if own[person.department] and rng.random() < OWN_DEPARTMENT_TOPIC else topics
            topic = rng.choice(pool)
            strength = max(0.02, rng.random() ** STRENGTH_EXPONENT)
            if person.department == "Support":
                strength *= 0.5  # agents know a topic from the front line, not from building it
            known[topic.key] = max(known.get(topic.key, 0.0), strength)
        expertise[person.id] = known
    # Every topic has a go-to expert and at least one more person who knows something about it.
    for topic in topics:
        holders = sorted((s[topic.key], pid) for pid, s in expertise.items() if topic.key in s)
        home = [p.id for p in roster if p.department == topic.department and p.id is not None] or [
            p.id for p in roster if p.id is not None
        ]
        if not holders or holders[-1][0] < GO_TO_STRENGTH:
            go_to = holders[-1][1] if holders else rng.choice(home)
            expertise[go_to][topic.key] = rng.uniform(GO_TO_STRENGTH, 1.0)
        if len([1 for s in expertise.values() if topic.key in s]) < 2:
            other = rng.choice([pid for pid in home if topic.key not in expertise[pid]] or home)
            expertise[other][topic.key] = max(expertise[other].get(topic.key, 0.0), rng.uniform(0.3, 0.7))
    return roster, expertise


def _declare(
    rng: random.Random, roster: list[Person], expertise: Mapping[int, Mapping[str, float]], topics: Sequence[Topic]
) -> Counter[str]:
    """Fill each person's declared skills from their hidden expertise, with the noise of a real roster."""
    by_key = {t.key: t for t in topics}
    nameable = [t for t in topics if t.skill]
    counts: Counter[str] = Counter()
    for person in roster:
        assert person.id is not None
        if rng.random() < NO_DECLARED_SKILLS:
            counts["no skills declared"] += 1
            continue
        declared: dict[str, int] = {}
        for key, strength in sorted(expertise[person.id].items()):
            topic = by_key[key]
            if topic.skill is None:
                continue
            counts["true skills"] += 1
            if rng.random() < MISSING_SKILL:
                counts["missing"] += 1
                continue
            level = round(1 + 4 * strength)
            roll = rng.random()
            if roll < LEVEL_OFF_BY_TWO:
                level += rng.choice((-2, 2))
                counts["level off by 2"] += 1
            elif roll < LEVEL_OFF_BY_TWO + LEVEL_OFF_BY_ONE:
                level += rng.choice((-1, 1))
                counts["level off by 1"] += 1
            name = topic.skill
            if topic.synonyms and rng.random() < SYNONYM_NAME:
                name = rng.choice(topic.synonyms)
                counts["named by a synonym"] += 1
            declared[name] = max(declared.get(name, 0), min(5, max(1, level)))
        if rng.random() < WRONG_SKILL:
            department = [t for t in nameable if t.department == person.department] or nameable
            wrong = rng.choice(department)
            if wrong.key not in expertise[person.id] and wrong.skill is not None:
                declared.setdefault(wrong.skill, rng.randint(2, 4))
                counts["wrong skills"] += 1
        person.skills = declared
    return counts


class _ResolverDrawer:
    """Who resolves a case of a topic at a moment: strength² × availability, never the requester."""

    def __init__(
        self,
        rng: random.Random,
        roster: Sequence[Person],
        expertise: Mapping[int, Mapping[str, float]],
        topics: Sequence[Topic],
        availability: bool,
    ) -> None:
        self.rng = rng
        self.people = {p.id: p for p in roster if p.id is not None}
        self.availability = availability
        self.holders: dict[str, list[tuple[int, float]]] = {t.key: [] for t in topics}
        for person_id, known in expertise.items():
            for key, strength in known.items():
                self.holders[key].append((person_id, strength))
        self.cumulative = {
            key: list(itertools.accumulate(s**RESOLVER_EXPONENT for _, s in found))
            for key, found in self.holders.items()
        }
        self.strengths = {key: list(itertools.accumulate(s for _, s in found)) for key, found in self.holders.items()}
        self.everyone = list(self.people)

    def draw(self, topic: str, at: datetime, severity: int, exclude: int) -> int:
        holders = self.holders[topic]
        if not self.availability:
            cumulative = self.cumulative[topic]
            for _ in range(20):
                pick = holders[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])][0]
                if pick != exclude:
                    return pick
        weights = []
        for person_id, strength in holders:
            if person_id == exclude:
                weights.append(0.0)
                continue
            online = not self.availability or _is_working(self.people[person_id], at)
            off = SEV1_OFF_HOURS_AVAILABILITY if severity == 1 else OFF_HOURS_AVAILABILITY
            weights.append(strength**RESOLVER_EXPONENT * (1.0 if online else off))
        if sum(weights) <= 0:
            return self.rng.choice([pid for pid in self.everyone if pid != exclude])
        return self.rng.choices([pid for pid, _ in holders], weights=weights)[0]

    def participants(self, topic: str, count: int, exclude: set[int]) -> tuple[int, ...]:
        """Mostly people who know the topic a little (in proportion to strength), sometimes anyone."""
        holders, cumulative = self.holders[topic], self.strengths[topic]
        known = cumulative[-1] if cumulative else 0.0
        chosen: list[int] = []
        for _ in range(count * 4):
            if len(chosen) == count:
                break
            if holders and self.rng.random() < known / (known + 1.0):
                pick = holders[bisect.bisect(cumulative, self.rng.random() * known)][0]
            else:
                pick = self.rng.choice(self.everyone)
            if pick not in exclude and pick not in chosen:
                chosen.append(pick)
        return tuple(chosen)


# -- cases --------------------------------------------------------------------------------------------------------


def _case(rng: random.Random, topic: Topic, topics: Sequence[Topic], severity: int) -> Case:
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(topic.words))]
    words = list(dict.fromkeys(rng.choices(topic.words, weights=weights, k=rng.randint(3, 7))))
    if rng.random() < OTHER_TOPIC_WORD:
        words.append(rng.choice(rng.choice(topics).words))
    words += rng.sample(NOISE_WORDS, rng.randint(2, 5))
    rng.shuffle(words)
    customer = rng.choice(CUSTOMERS)
    text = f"{customer}: {' '.join(words)}"
    tags: tuple[str, ...] = ()
    roll = rng.random()
    if topic.skill is not None:
        if roll < RIGHT_TAG:
            tags = (topic.skill,)
        elif roll < RIGHT_TAG + SYNONYM_TAG:
            tags = (rng.choice(topic.synonyms) if topic.synonyms else topic.skill,)
        elif roll < RIGHT_TAG + SYNONYM_TAG + WRONG_TAG:
            tags = (rng.choice([t.skill for t in topics if t.skill and t.key != topic.key]),)
    elif roll < WRONG_TAG:
        tags = (rng.choice([t.skill for t in topics if t.skill]),)
    return Case(text=text, tags=tuple(t for t in tags if t), severity=severity, customer=customer)


def _weekdays(start: datetime, end: datetime) -> list[date]:
    days = []
    day = start.date()
    while day < end.date():
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _moment(rng: random.Random, person: Person, day: date) -> datetime:
    """A moment inside the person's working hours on that day, their clock, in UTC."""
    hours = person.working_hours or WorkingHours(time(9), time(17))
    minutes = (hours.end.hour * 60 + hours.end.minute) - (hours.start.hour * 60 + hours.start.minute)
    offset = rng.randrange(max(minutes, 1))
    local = datetime.combine(day, hours.start, tzinfo=_zone(person.timezone)) + timedelta(minutes=offset)
    return local.astimezone(UTC)


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    if name not in _ZONES:
        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]


def _is_working(person: Person, at: datetime) -> bool:
    hours = person.working_hours
    if hours is None:
        return True
    local = at.astimezone(_zone(person.timezone))
    return local.weekday() < 5 and hours.contains(local.time())


def _department_topics() -> set[str]:
    from bot.expertise import DEPARTMENT_TOPICS

    return {topic for topics in DEPARTMENT_TOPICS.values() for topic in topics}


def _spread(count: int, shares: Mapping[str, float]) -> list[str]:
    """`count` department names in the given shares (largest remainders), interleaved so ids mix departments."""
    exact = {d: count * share / sum(shares.values()) for d, share in shares.items()}
    sizes = {d: int(v) for d, v in exact.items()}
    for d in sorted(exact, key=lambda d: exact[d] - sizes[d], reverse=True)[: count - sum(sizes.values())]:
        sizes[d] += 1
    pools = [[d] * n for d, n in sizes.items()]
    return [d for group in itertools.zip_longest(*pools) for d in group if d is not None]


def _names(rng: random.Random, count: int) -> list[str]:
    pairs = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    return [pairs[i % len(pairs)] + (f" {i // len(pairs) + 1}" if i >= len(pairs) else "") for i in range(count)]


def summary(org: Org) -> list[str]:
    """A few lines that say what was generated."""
    by_department = Counter(p.department for p in org.people)
    tagged = sum(1 for c in org.history if c.case.tags)
    right = sum(1 for c in org.history if c.case.tags and c.case.tags[0] == c.topic)
    strong = Counter(k for known in org.expertise.values() for k, s in known.items() if s >= 0.5)
    return [
        f"seed {org.seed}: {len(org.people)} people ("
        + ", ".join(f"{d} {by_department[d]}" for d in DEPARTMENTS)
        + f"), {len(org.topics)} topics ({sum(1 for t in org.topics if t.skill is None)} only described)",
        f"hidden expertise: {sum(len(k) for k in org.expertise.values())} (person, topic) pairs, "
        f"{sum(strong.values())} of them ≥ 0.5; people knowing nothing: "
        f"{sum(1 for k in org.expertise.values() if not k)}",
        "declared roster: " + ", ".join(f"{k} {v}" for k, v in sorted(org.declared_counts.items())),
        f"history: {len(org.history)} cases {org.start:%Y-%m-%d} → {org.split:%Y-%m-%d}, {len(org.evidence)} evidence "
        f"records; tagged {tagged / max(len(org.history), 1):.0%}, with the topic's own tag "
        f"{right / max(len(org.history), 1):.0%}",
        f"held out: {len(org.held_out)} cases {org.split:%Y-%m-%d} → {org.end:%Y-%m-%d}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--cases", type=int, default=5000, help="cases per year")
    args = parser.parse_args(argv)
    org = generate(seed=args.seed, people=args.people, cases_per_year=args.cases)
    print("\n".join(summary(org)))
    sample = org.held_out[:5]
    for item in sample:
        print(
            f"  {item.topic:>18}: {item.case.text} {' '.join('#' + t for t in item.case.tags)} sev{item.case.severity}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
