"""Analytics: how swarming went in a period, against the period of equal length just before it.

Pure functions over plain data (`Data`: the swarms with their members, timelines and articles, the roster, every
article, thank-yous and CSAT answers) build a frozen `Report`; the use case `Analytics` loads that data for one
workspace, and records the requesters' CSAT answers. docs/analytics.md says the same in words.

Rules that hold for every figure:
- A period is [since, until): `since` included, `until` excluded, both UTC instants. The previous period is the one
  of the same length that ends at `since`.
- A swarm belongs to a period by the moment that figure is about: *opened* figures (first expert reply, time to
  assemble, link rate, skill gaps, topics) by when it was created; *resolved* figures (time to resolve, size,
  deflection, new vs known, CSAT, the ticket's figures, right person first time) by its *final resolve*; people's
  figures by when they did what they did.
- Figures describe swarms as they stand now. A swarm resolved, reopened and resolved again counts once, resolved
  when it was last resolved, and its time to resolve runs from its creation to that last resolve; a swarm resolved
  and reopened but not resolved again is open, so it is in no period's resolved figures.
- A figure that cannot be computed (no resolved swarms, nobody rated, …) is None, never 0.
- Durations are wall-clock time in UTC: a swarm open across a daylight-saving change took the hours that really
  passed. Working hours and weeks are local: each person's own time zone for out-of-hours, the report's time zone
  (`tz`) for weekly buckets.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot import recurring
from bot.context import Actor, Clock, find_swarm, identify, utcnow
from bot.errors import UserError
from bot.expertise import canonical
from bot.metrics import gini, median, percentile
from bot.models import (
    CSAT_SCORES,
    SEVERITIES,
    Article,
    CsatAnswer,
    EventKind,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    Thanks,
    TimelineEntry,
)
from bot.ports import Store
from bot.roster import is_working
from bot.swarm_file import SwarmFile
from bot.swarms import WRITTEN, Crew
from bot.timezones import as_utc, zone

DEFAULT_PERIOD = "30d"
MAX_PERIOD_DAYS = 366
TOP_TOPICS = 10
NO_DEPARTMENT = "(none)"
# The matcher's invitations are written with the opening, each stamped by its own clock reading.
OPENING_GRACE = timedelta(minutes=1)
_PERIOD = re.compile(r"(\d{1,3})\s*d(?:ays?)?")
# Someone comes into a swarm: opening it, joining, saying "I can help" (or speaking up when asked), taking it over.
_ARRIVALS = frozenset({EventKind.OPENED, EventKind.JOINED, EventKind.ACCEPTED, EventKind.OWNER_CHANGED})
# What a person does in a swarm that out-of-hours burden counts: joins and messages.
_ACTIONS = frozenset({EventKind.JOINED, EventKind.ACCEPTED, EventKind.MESSAGE})
_INSTANT = timedelta(microseconds=1)

Figure = int | float | timedelta | None


# -- what a report is made of ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    """Everything a report is computed from, loaded once for the period and the one before it."""

    files: tuple[SwarmFile, ...] = ()  # the swarms alive in those periods, with people, timeline and articles
    people: tuple[Person, ...] = ()  # the roster
    articles: tuple[Article, ...] = ()  # every article of the workspace
    thanks: tuple[Thanks, ...] = ()
    answers: tuple[CsatAnswer, ...] = ()


@dataclass(frozen=True)
class Durations:
    """How long something took: how many there were, the median and the 90th percentile (nearest rank)."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


@dataclass(frozen=True)
class Group:
    """Durations for one severity ("sev2"), tag ("billing") or department ("Support")."""

    key: str
    durations: Durations


@dataclass(frozen=True)
class Csat:
    """The requesters' answers (1–5) for the swarms resolved in the period."""

    answers: int = 0
    average: float | None = None
    satisfied: float | None = None  # the share of 4s and 5s: the usual "CSAT %"
    response_rate: float | None = None  # answers per swarm resolved
    scores: tuple[int, ...] = (0, 0, 0, 0, 0)  # how many 1s, 2s, 3s, 4s and 5s


@dataclass(frozen=True)
class TicketFigures:
    """What the tickets of the swarms resolved in the period say, as their systems told Swarm: the customer's view
    beside Swarm's own. Only swarms that belong to a ticket count; a ticket is solved when its system last said it
    was done (solved, closed) and has not said otherwise since."""

    tickets: int = 0  # swarms resolved in the period that belong to a ticket
    # From the ticket's creation to its solve, of those solved now: how long the customer waited, swarm or not.
    time_to_resolve: Durations = field(default_factory=Durations)
    solved: int = 0  # tickets ever solved: solved now, or solved and reopened since
    reopened: int = 0  # of those, the ones reopened at least once
    first_contact: int = 0  # solved now and never reopened
    first_contact_rate: float | None = None  # first_contact / solved
    good: int = 0  # the customer's satisfaction rating in the ticket's system
    bad: int = 0
    offered: int = 0  # asked, not answered (yet)
    satisfied: float | None = None  # good / (good + bad): the ticket system's own CSAT %
    response_rate: float | None = None  # (good + bad) / (good + bad + offered)


@dataclass(frozen=True)
class PersonFigures:
    """What one person did in the period. Everyone who did something is listed, by name: this is no ranking."""

    person_id: int
    name: str
    department: str | None
    helps: int = 0  # swarms of others they came into
    joins: int = 0
    messages: int = 0
    out_of_hours: int = 0  # joins and messages outside their working hours
    articles: int = 0  # articles they helped write that were written in the period
    reused: int = 0  # times one of their articles was linked to a swarm in the period
    thanks: int = 0  # thank-yous they received

    @property
    def out_of_hours_share(self) -> float | None:
        actions = self.joins + self.messages
        return self.out_of_hours / actions if actions else None


@dataclass(frozen=True)
class SkillGap:
    skill: str
    swarms: int  # swarms opened in the period that asked for it and never had anyone with it
    people: int  # people in the roster who have it (0: a skill the team lacks, not just one that was busy)


@dataclass(frozen=True)
class Topic:
    tag: str
    swarms: int


@dataclass(frozen=True)
class Week:
    """One ISO week of the period, Monday to Sunday in the report's time zone (cut to the period at its ends)."""

    week: str  # "2026-W43"
    start: date  # its Monday
    opened_by_severity: tuple[int, ...]  # swarms opened, sev1 to sev4
    resolved: int
    time_to_resolve: Durations

    @property
    def opened(self) -> int:
        return sum(self.opened_by_severity)


@dataclass(frozen=True)
class Trend:
    """A headline figure against the previous period. `better` says whether the change is good news."""

    name: str
    current: Figure
    previous: Figure
    lower_is_better: bool | None  # None: neither way is good or bad (how many swarms were opened)

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return _number(self.current) - _number(self.previous)

    @property
    def direction(self) -> str | None:
        """ "up", "down", "same", or None when either period has no figure."""
        change = self.change
        if change is None:
            return None
        if abs(change) < 1e-9:
            return "same"
        return "up" if change > 0 else "down"

    @property
    def better(self) -> bool | None:
        if self.lower_is_better is None or self.direction in (None, "same"):
            return None
        return (self.direction == "down") == self.lower_is_better


@dataclass(frozen=True)
class Report:
    """Every figure for [since, until). `previous` is the same for the period before (its own `previous` is None).

    See the module docstring for the rules, and each field's comment for its definition."""

    since: datetime
    until: datetime
    tz: str = "UTC"
    # Counts of swarms.
    opened: int = 0  # created in the period
    resolved: int = 0  # finally resolved in the period
    cancelled: int = 0  # cancelled in the period
    open_at_end: int = 0  # created before `until` and not resolved or cancelled by then
    # Time to resolve: creation to final resolve, of the swarms resolved in the period (deflections included).
    time_to_resolve: Durations = field(default_factory=Durations)
    by_severity: tuple[Group, ...] = ()  # sev1 to sev4, always all four
    by_tag: tuple[Group, ...] = ()  # each tag of the case (canonical, the skills its text names too); most first
    by_department: tuple[Group, ...] = ()  # the requester's department (who opened it); most first
    # Time to first expert reply: creation to the first "I can help" or room message of an expert (someone asked as
    # an expert, or anyone whose roster skills include one the case needs; never the requester nor a learner), over
    # the swarms opened in the period that an expert answered. The core stamps it (`Swarm.first_expert_reply_at`,
    # bot.swarms.is_expert_for) as it happens.
    first_expert_reply: Durations = field(default_factory=Durations)
    # Swarms opened in the period with experts asked and no expert reply (deflections aside: they needed nobody).
    no_expert_reply: int = 0
    # Time to assemble: creation to the first moment the people taking part had declared, between them, every skill
    # the case needed, over the swarms opened in the period that needed skills and got them all (deflections aside:
    # they needed nobody). Taking part: members who joined (owner included; observers only follow) and anyone who
    # spoke in the room, from then until they left.
    time_to_assemble: Durations = field(default_factory=Durations)
    not_assembled: int = 0  # swarms opened in the period that needed skills and never had them all at once
    # Swarm size: how many people took part at some point (see time to assemble), of the swarms resolved in the
    # period.
    size_median: float | None = None
    size_mean: float | None = None
    # Deflection: swarms resolved in the period by a known article alone (the "solved by this" button on a similar
    # article: a known article linked and no article of its own written), out of all resolved.
    deflected: int = 0
    deflection_rate: float | None = None
    # Link rate: the share of swarms opened in the period that had a known article linked (`/swarm link`, or solved
    # by one); reuse: how many times known articles were linked in the period, and how many different articles.
    link_rate: float | None = None
    reuses: int = 0
    articles_reused: int = 0
    # New vs known, of the swarms resolved in the period: known = a known article was linked to it, new = none was
    # (its fix was new knowledge). new_share = new / (new + known).
    new: int = 0
    known: int = 0
    new_share: float | None = None
    csat: Csat = field(default_factory=Csat)
    ticket: TicketFigures = field(default_factory=TicketFigures)  # the tickets' own figures, see TicketFigures
    # Right people first time: of the swarms resolved in the period (deflections aside, nobody was needed), those
    # where someone the matcher asked at opening (learners aside) answered ("I can help" or a message in the room),
    # the marked fix, if any, was written by one of them or the requester, nobody was invited after them (no
    # replacement for a decline or a timeout, no `/swarm invite`) and ownership was not handed over.
    right_first_time: int = 0
    right_first_time_rate: float | None = None
    # Helper load: a help is a person coming into (joining, "I can help", taking over, added by `/swarm invite`) or
    # speaking in a swarm someone else opened, observers who only follow aside, counted once per person and swarm,
    # in the period. Fairness: the Gini coefficient of helps per person, over the people who helped at least once
    # (see `fairness`).
    helps: int = 0
    helpers: int = 0
    roster: int = 0
    gini: float | None = None
    # Out-of-hours burden: joins and messages in swarms, in the period, outside the person's working hours (their
    # time zone, weekdays; people without working hours are never out of hours), out of all joins and messages.
    out_of_hours: int = 0
    actions: int = 0
    out_of_hours_share: float | None = None
    people: tuple[PersonFigures, ...] = ()  # by name
    # Skill gaps: skills the swarms opened in the period asked for (deflections aside) that nobody in the room ever
    # had, observers aside; most swarms first.
    skill_gaps: tuple[SkillGap, ...] = ()
    topics: tuple[Topic, ...] = ()  # the TOP_TOPICS tags of the swarms opened in the period, most first
    weeks: tuple[Week, ...] = ()
    previous: Report | None = None

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    @property
    def load(self) -> tuple[int, ...]:
        """Helps per helper, most first: the helper load distribution, without names."""
        return tuple(sorted((p.helps for p in self.people if p.helps), reverse=True))

    def figure(self, name: str) -> Figure:
        """A headline figure by its name in HEADLINES."""
        return HEADLINES[name][0](self)

    def trends(self) -> tuple[Trend, ...]:
        """Each headline figure against the previous period (previous None when there is no previous report)."""
        before = self.previous
        return tuple(
            Trend(name, read(self), read(before) if before is not None else None, lower)
            for name, (read, lower) in HEADLINES.items()
        )

    def trend(self, name: str) -> Trend:
        return next(t for t in self.trends() if t.name == name)


# The figures a compact card shows and compares: name → (how to read it, whether lower is better).
HEADLINES: dict[str, tuple[Callable[[Report], Figure], bool | None]] = {
    "opened": (lambda r: r.opened, None),
    "resolved": (lambda r: r.resolved, None),
    "open_at_end": (lambda r: r.open_at_end, True),
    "time_to_resolve": (lambda r: r.time_to_resolve.median, True),
    "time_to_resolve_p90": (lambda r: r.time_to_resolve.p90, True),
    "first_expert_reply": (lambda r: r.first_expert_reply.median, True),
    "time_to_assemble": (lambda r: r.time_to_assemble.median, True),
    "swarm_size": (lambda r: r.size_median, None),
    "deflection_rate": (lambda r: r.deflection_rate, False),
    "link_rate": (lambda r: r.link_rate, False),
    "new_share": (lambda r: r.new_share, None),
    "csat": (lambda r: r.csat.average, False),
    "ticket_time_to_resolve": (lambda r: r.ticket.time_to_resolve.median, True),
    "first_contact_resolution": (lambda r: r.ticket.first_contact_rate, False),
    "ticket_satisfaction": (lambda r: r.ticket.satisfied, False),
    "right_first_time": (lambda r: r.right_first_time_rate, False),
    "helps": (lambda r: r.helps, None),
    "gini": (lambda r: r.gini, True),
    "out_of_hours": (lambda r: r.out_of_hours_share, True),
}


def _number(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# -- periods ---------------------------------------------------------------------------------------------------------


def parse_period(text: str) -> timedelta:
    """`7d`, `30d`, `90d` (any number of days up to MAX_PERIOD_DAYS; `30 days` too); empty: DEFAULT_PERIOD."""
    found = _PERIOD.fullmatch(text.strip().lower() or DEFAULT_PERIOD)
    days = int(found.group(1)) if found else 0
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise UserError("bad_period", value=text.strip(), limit=MAX_PERIOD_DAYS)
    return timedelta(days=days)


def fairness(helps: Iterable[int]) -> float | None:
    """The Gini coefficient of helps, over the people who helped at least once.

    Not over the whole roster: a roster holds people whose skills no case needed this period (sales, finance, new
    hires), and counting their zeros makes the coefficient mostly say how big the roster is (26 people of whom 5
    help score at least 0.8 however evenly those 5 share the work). Over helpers, it says whether the work is spread
    among those who do it, or carried by a few; how many help at all is `Report.helpers` against `Report.roster`.
    None for fewer than two helpers."""
    return gini([h for h in helps if h > 0])


# -- one swarm, as analytics reads it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Swarm:
    file: SwarmFile
    requester: int  # who opened it (the owner at first)
    created: datetime
    resolved: datetime | None  # the final resolve; None unless it is resolved now
    cancelled: datetime | None
    arrivals: tuple[tuple[datetime, int], ...]  # (when, person id) each time someone came in or spoke, observers aside
    assembled: datetime | None  # when the room first had every skill the case needed; None if never (or none needed)
    needs_skills: bool
    uncovered: tuple[str, ...]  # the skills it needed that nobody in the room ever had
    reinvites: int
    handovers: int
    first_team_answered: bool  # someone the matcher asked at opening (learners aside) said "I can help" or spoke
    fix_from_outside: bool  # the marked fix was written by someone neither asked at opening nor the requester
    size: int
    tags: frozenset[str]
    linked: bool  # a known article was linked to it

    @property
    def swarm(self) -> Swarm:
        return self.file.swarm

    @property
    def right_first_time(self) -> bool:
        """The people asked at opening were the right ones: one of them answered, the fix (if one was marked) is
        theirs or the requester's, nobody had to be asked after them and the swarm kept its owner."""
        return self.first_team_answered and not self.fix_from_outside and self.reinvites == 0 and self.handovers == 0

    @property
    def timeline(self) -> tuple[TimelineEntry, ...]:
        return self.file.timeline

    def experts_asked(self) -> bool:
        return self.file.crew.experts_asked()


def _fix_authors(timeline: Sequence[TimelineEntry]) -> set[int]:
    """Who wrote the room messages whose latest ✅ mark still stands."""
    marks: dict[str, bool] = {}
    for entry in timeline:
        if entry.kind in (EventKind.SOLUTION, EventKind.SOLUTION_REMOVED) and entry.message_id:
            marks[entry.message_id.removesuffix(":mark")] = entry.kind is EventKind.SOLUTION
    return {
        e.person_id
        for e in timeline
        if e.kind is EventKind.MESSAGE and e.message_id and marks.get(e.message_id) and e.person_id is not None
    }


def _skills(person: Person) -> set[str]:
    return {canonical(skill) for skill in person.skills}


def _read(file: SwarmFile, roster: Mapping[int, Person]) -> _Swarm:
    swarm, timeline = file.swarm, file.timeline
    assert swarm.created_at is not None
    created = as_utc(swarm.created_at)
    opened_by = next((e.person_id for e in timeline if e.kind is EventKind.OPENED and e.person_id), swarm.owner_id)
    resolved = cancelled = None
    if swarm.status is SwarmStatus.RESOLVED:
        last = next((e.at for e in reversed(timeline) if e.kind is EventKind.RESOLVED), None)
        moment = swarm.resolved_at or last
        resolved = as_utc(moment) if moment is not None else None
    elif swarm.status is SwarmStatus.CANCELLED:
        last = next((e.at for e in reversed(timeline) if e.kind is EventKind.CANCELLED), None)
        cancelled = as_utc(last) if last is not None else created

    # Who took part when: the timeline's arrivals and departures, each member's (latest) join, which is the only
    # trace of someone added by `/swarm invite` or imported from a help desk, and whoever spoke in the room (in
    # Slack anyone in the channel can, member or not). Observers only follow, unless they speak.
    people = {**roster, **{p.id: p for _, p in file.crew.members if p.id is not None}}
    observers = {m.person_id for m, _ in file.crew.members if m.role is Role.OBSERVER}
    moves: list[tuple[datetime, int, str]] = [
        (as_utc(m.joined_at), m.person_id, "in") for m, _ in file.crew.members if m.joined_at is not None
    ]
    for e in timeline:
        if e.person_id is None:
            continue
        if e.kind in _ARRIVALS:
            moves.append((as_utc(e.at), e.person_id, "in"))
        elif e.kind is EventKind.MESSAGE:
            moves.append((as_utc(e.at), e.person_id, "spoke"))
        elif e.kind is EventKind.LEFT:
            moves.append((as_utc(e.at), e.person_id, "out"))
    moves.sort(key=lambda move: (move[0], move[2] == "out"))  # at one instant, arrivals first
    needed = {canonical(s) for s in swarm.skills}
    present: set[int] = set()
    spoke: set[int] = set()
    ever: set[str] = set()
    assembled = None
    arrivals = []
    for at, person_id, move in moves:
        if move == "out":
            present.discard(person_id)
            continue
        present.add(person_id)
        if move == "spoke":
            spoke.add(person_id)
        if person_id in observers and person_id not in spoke:
            continue
        arrivals.append((at, person_id))
        if person_id not in people:
            continue
        ever |= _skills(people[person_id]) & needed
        if assembled is None and needed:
            taking_part = [p for p in present if p in people and (p not in observers or p in spoke)]
            if needed <= set().union(*(_skills(people[p]) for p in taking_part)):
                assembled = at
    took_part = {m.person_id for m, _ in file.crew.members if m.joined_at is not None and m.role is not Role.OBSERVER}
    took_part |= spoke

    # The team the matcher asked at opening is invited with the opening itself: the invitations right after the
    # opening entry, within OPENING_GRACE of it. Any later invitation means the first people asked were not enough.
    reinvites, opened_at, opening = 0, None, True
    first_asked: set[int] = set()
    for entry in timeline:
        if entry.kind is EventKind.OPENED and opened_at is None:
            opened_at = as_utc(entry.at)
            continue
        with_opening = opened_at is not None and as_utc(entry.at) - opened_at <= OPENING_GRACE
        if opening and with_opening and entry.kind is EventKind.INVITED:
            if entry.person_id is not None:
                first_asked.add(entry.person_id)
            continue
        opening = opened_at is None
        reinvites += entry.kind is EventKind.INVITED
    # A learner's seat is no one asked to solve it.
    first_asked -= {m.person_id for m, _ in file.crew.members if m.role is Role.LEARNER}
    answered = {e.person_id for e in timeline if e.kind in (EventKind.ACCEPTED, EventKind.MESSAGE)}
    authors = _fix_authors(timeline)

    return _Swarm(
        file=file,
        requester=opened_by,
        created=created,
        resolved=resolved,
        cancelled=cancelled,
        arrivals=tuple(arrivals),
        assembled=assembled,
        needs_skills=bool(needed),
        uncovered=tuple(sorted(needed - ever)),
        reinvites=reinvites,
        handovers=sum(1 for e in timeline if e.kind is EventKind.OWNER_CHANGED),
        first_team_answered=bool(first_asked & answered),
        fix_from_outside=bool(authors - first_asked - {opened_by}),
        size=len(took_part),
        tags=recurring.of_swarm(swarm).tags,
        linked=any(e.kind is EventKind.LINKED for e in timeline),
    )


# -- the report ------------------------------------------------------------------------------------------------------


def report(data: Data, since: datetime, until: datetime, tz: str = "UTC", *, compare: bool = True) -> Report:
    """The report for [since, until); with compare, its `previous` is the report for the period of the same length
    before it, from the same data (which must cover both periods)."""
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        raise ValueError(f"a period ends after it starts, not {since} to {until}")
    roster = {p.id: p for p in data.people if p.id is not None}
    swarms = [_read(f, roster) for f in data.files if f.swarm.created_at is not None]
    current = _report(data, swarms, since, until, tz)
    if compare:
        current = replace(current, previous=_report(data, swarms, since - (until - since), since, tz))
    return current


def _report(data: Data, swarms: Sequence[_Swarm], since: datetime, until: datetime, tz: str) -> Report:
    def inside(moment: datetime | None) -> bool:
        return moment is not None and since <= as_utc(moment) < until

    roster = {p.id: p for p in data.people if p.id is not None}
    opened = [s for s in swarms if inside(s.created)]
    resolved = [s for s in swarms if inside(s.resolved)]
    deflected = [s for s in resolved if s.file.by_reuse]
    known = [s for s in resolved if s.linked]
    fixed = [s for s in resolved if not s.file.by_reuse]
    first_time = [s for s in fixed if s.right_first_time]
    # A swarm solved by a known article needed nobody: it is no team that failed to assemble, and shows no gap.
    worked = [s for s in opened if not s.file.by_reuse]
    needing = [s for s in worked if s.needs_skills]
    sizes = [s.size for s in resolved]
    figures = _people(data, swarms, roster, inside)
    helps = [p.helps for p in figures if p.helps]
    out_of_hours = sum(p.out_of_hours for p in figures)
    actions = sum(p.joins + p.messages for p in figures)
    links = [e for s in swarms for e in s.timeline if e.kind is EventKind.LINKED and inside(e.at)]

    def department(s: _Swarm) -> str:
        person = roster.get(s.requester)
        name = person.department if person is not None else None
        return (name or "").strip() or NO_DEPARTMENT

    return Report(
        since=since,
        until=until,
        tz=tz,
        opened=len(opened),
        resolved=len(resolved),
        cancelled=sum(1 for s in swarms if inside(s.cancelled)),
        open_at_end=sum(1 for s in swarms if _open_at(s, until)),
        time_to_resolve=_time_to_resolve(resolved),
        by_severity=tuple(
            Group(f"sev{sev}", _time_to_resolve([s for s in resolved if s.swarm.case.severity == sev]))
            for sev in SEVERITIES
        ),
        by_tag=_groups(resolved, lambda s: s.tags),
        by_department=_groups(resolved, lambda s: (department(s),)),
        first_expert_reply=_durations(
            [as_utc(s.swarm.first_expert_reply_at) - s.created for s in opened if s.swarm.first_expert_reply_at]
        ),
        no_expert_reply=sum(1 for s in worked if s.swarm.first_expert_reply_at is None and s.experts_asked()),
        time_to_assemble=_durations([s.assembled - s.created for s in needing if s.assembled is not None]),
        not_assembled=sum(1 for s in needing if s.assembled is None),
        size_median=float(statistics.median(sizes)) if sizes else None,
        size_mean=statistics.fmean(sizes) if sizes else None,
        deflected=len(deflected),
        deflection_rate=_share(len(deflected), len(resolved)),
        link_rate=_share(sum(1 for s in opened if s.linked), len(opened)),
        reuses=len(links),
        articles_reused=len({e.text for e in links}),
        new=len(resolved) - len(known),
        known=len(known),
        new_share=_share(len(resolved) - len(known), len(resolved)),
        csat=_csat(data.answers, resolved),
        ticket=_tickets(resolved),
        right_first_time=len(first_time),
        right_first_time_rate=_share(len(first_time), len(fixed)),
        helps=sum(helps),
        helpers=len(helps),
        roster=len(roster),
        gini=fairness(helps),
        out_of_hours=out_of_hours,
        actions=actions,
        out_of_hours_share=_share(out_of_hours, actions),
        people=figures,
        skill_gaps=_skill_gaps(worked, roster.values()),
        topics=tuple(
            Topic(tag, count)
            for tag, count in sorted(Counter(t for s in opened for t in s.tags).items(), key=lambda i: (-i[1], i[0]))[
                :TOP_TOPICS
            ]
        ),
        weeks=_weeks(opened, resolved, since, until, tz),
    )


def _open_at(s: _Swarm, moment: datetime) -> bool:
    """Created before the moment and neither resolved nor cancelled by then (as far as its state now tells)."""
    if s.created >= moment:
        return False
    closed = s.resolved or s.cancelled
    if closed is not None:
        return closed >= moment
    return s.swarm.status.is_active


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _durations(durations: Sequence[timedelta]) -> Durations:
    # A clock that stepped backwards gives a negative duration; it says nothing about how fast anything was.
    kept = [d for d in durations if d >= timedelta(0)]
    return Durations(len(kept), median(kept), percentile(kept, 90))


def _time_to_resolve(swarms: Sequence[_Swarm]) -> Durations:
    return _durations([s.resolved - s.created for s in swarms if s.resolved is not None])


def _groups(swarms: Sequence[_Swarm], keys: Callable[[_Swarm], Iterable[str]]) -> tuple[Group, ...]:
    members: dict[str, list[_Swarm]] = {}
    for s in swarms:
        for key in keys(s):
            members.setdefault(key, []).append(s)
    ordered = sorted(members.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(Group(key, _time_to_resolve(group)) for key, group in ordered)


def _csat(answers: Iterable[CsatAnswer], resolved: Sequence[_Swarm]) -> Csat:
    by_swarm = {a.swarm_id: a for a in answers}
    scores = [by_swarm[s.swarm.id].score for s in resolved if s.swarm.id in by_swarm]
    scores = [score for score in scores if score in CSAT_SCORES]
    if not scores:
        return Csat(response_rate=_share(0, len(resolved)))
    return Csat(
        answers=len(scores),
        average=statistics.fmean(scores),
        satisfied=_share(sum(1 for score in scores if score >= 4), len(scores)),
        response_rate=_share(len(scores), len(resolved)),
        scores=tuple(scores.count(score) for score in CSAT_SCORES),
    )


def _tickets(resolved: Sequence[_Swarm]) -> TicketFigures:
    # A ticket counts once, however many of its swarms were resolved (its system's news reaches them all alike).
    links = list({(t.system, t.id): t for t in (s.swarm.ticket for s in resolved) if t is not None}.values())
    solved = [t for t in links if t.solved_at is not None or t.reopens]
    first = [t for t in solved if t.solved_at is not None and not t.reopens]
    ratings = Counter(t.rating for t in links)
    good, bad, offered = ratings["good"], ratings["bad"], ratings["offered"]
    return TicketFigures(
        tickets=len(links),
        time_to_resolve=_durations(
            [as_utc(t.solved_at) - as_utc(t.created_at) for t in links if t.solved_at and t.created_at]
        ),
        solved=len(solved),
        reopened=sum(1 for t in solved if t.reopens),
        first_contact=len(first),
        first_contact_rate=_share(len(first), len(solved)),
        good=good,
        bad=bad,
        offered=offered,
        satisfied=_share(good, good + bad),
        response_rate=_share(good + bad, good + bad + offered),
    )


def _people(
    data: Data, swarms: Sequence[_Swarm], roster: Mapping[int, Person], inside: Callable[[datetime | None], bool]
) -> tuple[PersonFigures, ...]:
    helps: Counter[int] = Counter()
    joins: Counter[int] = Counter()
    messages: Counter[int] = Counter()
    late: Counter[int] = Counter()
    for s in swarms:
        helped = {person_id for at, person_id in s.arrivals if inside(at) and person_id != s.requester}
        helps.update(helped)
        for entry in s.timeline:
            person = roster.get(entry.person_id) if entry.person_id is not None else None
            if person is None or person.id is None or entry.kind not in _ACTIONS or not inside(entry.at):
                continue
            (messages if entry.kind is EventKind.MESSAGE else joins)[person.id] += 1
            if not is_working(person, entry.at):
                late[person.id] += 1

    # Articles written in the period: a swarm's when the swarm was resolved in it, any other when it was added.
    names = {p.name.casefold(): p.id for p in roster.values() if p.id is not None}
    resolved_ids = {s.swarm.id for s in swarms if inside(s.resolved)}
    written: Counter[int] = Counter()
    for article in data.articles:
        if article.state not in WRITTEN:
            continue
        if article.swarm_id in resolved_ids or (article.swarm_id is None and inside(article.created_at)):
            written.update({names[n] for n in (c.casefold() for c in article.contributors) if n in names})
    by_number = {str(a.number): a for a in data.articles}
    reused: Counter[int] = Counter()
    for s in swarms:
        for entry in s.timeline:
            linked = by_number.get(entry.text) if entry.kind is EventKind.LINKED and inside(entry.at) else None
            if linked is not None:
                reused.update({names[n] for n in (c.casefold() for c in linked.contributors) if n in names})
    thanked = Counter(t.receiver_id for t in data.thanks if inside(t.at))

    everyone = set(helps) | set(joins) | set(messages) | set(written) | set(reused) | set(thanked)
    return tuple(
        PersonFigures(
            person_id=person.id,
            name=person.name,
            department=person.department,
            helps=helps[person.id],
            joins=joins[person.id],
            messages=messages[person.id],
            out_of_hours=late[person.id],
            articles=written[person.id],
            reused=reused[person.id],
            thanks=thanked[person.id],
        )
        for person in sorted((roster[i] for i in everyone if i in roster), key=lambda p: (p.name.casefold(), p.id))
        if person.id is not None
    )


def _skill_gaps(opened: Sequence[_Swarm], roster: Iterable[Person]) -> tuple[SkillGap, ...]:
    gaps = Counter(skill for s in opened for skill in s.uncovered)
    having = Counter(skill for person in roster for skill in _skills(person))
    ordered = sorted(gaps.items(), key=lambda item: (-item[1], item[0]))
    return tuple(SkillGap(skill, count, having[skill]) for skill, count in ordered)


def _weeks(
    opened: Sequence[_Swarm], resolved: Sequence[_Swarm], since: datetime, until: datetime, tz: str
) -> tuple[Week, ...]:
    local = zone(tz)

    def monday(moment: datetime) -> date:
        day = as_utc(moment).astimezone(local).date()
        return day - timedelta(days=day.weekday())

    first, last = monday(since), monday(until - _INSTANT)
    weeks = []
    start = first
    while start <= last:
        year, number, _ = start.isocalendar()
        done = [s for s in resolved if s.resolved is not None and monday(s.resolved) == start]
        weeks.append(
            Week(
                week=f"{year}-W{number:02d}",
                start=start,
                opened_by_severity=tuple(
                    sum(1 for s in opened if monday(s.created) == start and s.swarm.case.severity == sev)
                    for sev in SEVERITIES
                ),
                resolved=len(done),
                time_to_resolve=_time_to_resolve(done),
            )
        )
        start += timedelta(days=7)
    return tuple(weeks)


# -- flat rows, for CSV and for anything that wants one number per line -----------------------------------------------

Value = str | int | float | None


def rows(report: Report) -> list[tuple[str, str, Value]]:
    """The report as (metric, key, value) rows: durations in seconds, shares as fractions 0–1, None where there is no
    figure; `key` names the severity, tag, department, person, skill, topic or ISO week a row is about."""
    found: list[tuple[str, str, Value]] = [
        ("since", "", report.since.isoformat()),
        ("until", "", report.until.isoformat()),
    ]
    for name in ("opened", "resolved", "cancelled", "open_at_end"):
        found.append((name, "", getattr(report, name)))
    found += _duration_rows("time_to_resolve", "", report.time_to_resolve)
    for prefix, groups in (
        ("time_to_resolve_by_severity", report.by_severity),
        ("time_to_resolve_by_tag", report.by_tag),
        ("time_to_resolve_by_department", report.by_department),
    ):
        for group in groups:
            found += _duration_rows(prefix, group.key, group.durations)
    found += _duration_rows("first_expert_reply", "", report.first_expert_reply)
    found.append(("no_expert_reply", "", report.no_expert_reply))
    found += _duration_rows("time_to_assemble", "", report.time_to_assemble)
    found.append(("not_assembled", "", report.not_assembled))
    for name in (
        "size_median",
        "size_mean",
        "deflected",
        "deflection_rate",
        "link_rate",
        "reuses",
        "articles_reused",
        "new",
        "known",
        "new_share",
    ):
        found.append((name, "", getattr(report, name)))
    csat = report.csat
    found += [
        ("csat.answers", "", csat.answers),
        ("csat.average", "", csat.average),
        ("csat.satisfied", "", csat.satisfied),
        ("csat.response_rate", "", csat.response_rate),
    ]
    found += [("csat.scores", str(score), count) for score, count in zip(CSAT_SCORES, csat.scores, strict=True)]
    ticket = report.ticket
    found.append(("ticket.tickets", "", ticket.tickets))
    found += _duration_rows("ticket.time_to_resolve", "", ticket.time_to_resolve)
    for name in (
        "solved",
        "reopened",
        "first_contact",
        "first_contact_rate",
        "good",
        "bad",
        "offered",
        "satisfied",
        "response_rate",
    ):
        found.append((f"ticket.{name}", "", getattr(ticket, name)))
    for name in (
        "right_first_time",
        "right_first_time_rate",
        "helps",
        "helpers",
        "roster",
        "gini",
        "out_of_hours",
        "actions",
        "out_of_hours_share",
    ):
        found.append((name, "", getattr(report, name)))
    for person in report.people:
        for name in ("helps", "joins", "messages", "out_of_hours", "articles", "reused", "thanks"):
            found.append((f"person.{name}", person.name, getattr(person, name)))
    for gap in report.skill_gaps:
        found += [("skill_gap.swarms", gap.skill, gap.swarms), ("skill_gap.people", gap.skill, gap.people)]
    found += [("topic.swarms", topic.tag, topic.swarms) for topic in report.topics]
    for week in report.weeks:
        found += [
            (f"week.opened_sev{sev}", week.week, n) for sev, n in zip(SEVERITIES, week.opened_by_severity, strict=True)
        ]
        found.append(("week.resolved", week.week, week.resolved))
        found += _duration_rows("week.time_to_resolve", week.week, week.time_to_resolve)
    return found


def table(report: Report) -> list[tuple[str, str, Value, Value]]:
    """rows() with the previous period's value of the same metric and key beside each (None if it has none)."""
    before = {(metric, key): value for metric, key, value in rows(report.previous)} if report.previous else {}
    return [(metric, key, value, before.get((metric, key))) for metric, key, value in rows(report)]


def _duration_rows(prefix: str, key: str, durations: Durations) -> list[tuple[str, str, Value]]:
    def seconds(value: timedelta | None) -> float | None:
        return value.total_seconds() if value is not None else None

    return [
        (f"{prefix}.count", key, durations.count),
        (f"{prefix}.median", key, seconds(durations.median)),
        (f"{prefix}.p90", key, seconds(durations.p90)),
    ]


# -- the use case ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rated:
    """A CSAT answer: `changed` is False when the swarm had been rated already (`answer` is that first answer)."""

    swarm: Swarm
    answer: CsatAnswer
    changed: bool = True


@dataclass
class Analytics:
    """Reports for a workspace, and the CSAT question asked after a resolve."""

    store: Store
    clock: Clock = utcnow

    async def report(self, workspace: str, since: datetime, until: datetime, tz: str = "UTC") -> Report:
        """The report for [since, until), compared with the period of the same length before it."""
        since, until = as_utc(since), as_utc(until)
        if until <= since:
            raise UserError("bad_period_range", since=since.date().isoformat(), until=until.date().isoformat())
        data = await self.data(workspace, since - (until - since), until)
        return report(data, since, until, tz)

    async def last(self, workspace: str, period: str = DEFAULT_PERIOD, tz: str = "UTC") -> Report:
        """The report for the last `7d`, `30d`, `90d` … up to now, what happened this very instant included."""
        length = parse_period(period)
        until = self.clock() + _INSTANT
        return await self.report(workspace, until - length, until, tz)

    async def data(self, workspace: str, since: datetime, until: datetime) -> Data:
        """What a report for [since, until) reads; nothing for a workspace Swarm has never seen."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.get(workspace)
            if ws is None:
                return Data()
            alive = await uow.swarms.in_period(ws.id, since, until)
            people = await uow.people.list(ws.id)
            # Only the articles the report looks at: those of its swarms, those they linked, and the loose ones
            # written in the period (every article would be 100k rows on a busy workspace).
            linked_numbers = {
                int(e.text)
                for _, _, timeline in alive
                for e in timeline
                if e.kind is EventKind.LINKED and e.text.isdecimal()
            }
            swarm_ids = [s.id for s, _, _ in alive if s.id is not None]
            articles = await uow.articles.related(ws.id, swarm_ids, linked_numbers, (since, until))
            thanks = await uow.thanks.between(ws.id, since, until)
            answers = await uow.csat.for_swarms(s.id for s, _, _ in alive if s.id is not None)
        roster = {p.id: p for p in people if p.id is not None}
        by_number = {str(a.number): a for a in articles}
        own = {a.swarm_id: a for a in articles if a.swarm_id is not None}
        files = []
        for swarm, members, timeline in alive:
            owner = roster.get(swarm.owner_id)
            if owner is None:
                continue
            crew = Crew(swarm, owner, tuple((m, roster[m.person_id]) for m in members if m.person_id in roster))
            numbers = dict.fromkeys(e.text for e in timeline if e.kind is EventKind.LINKED)
            linked = tuple(by_number[n] for n in numbers if n in by_number)
            article = own.get(swarm.id) if swarm.id is not None else None
            files.append(SwarmFile(crew, tuple(timeline), article, linked))
        return Data(tuple(files), tuple(people), tuple(articles), tuple(thanks), tuple(answers))

    # -- CSAT ------------------------------------------------------------------------------------------------------

    async def ask(self, swarm_id: int) -> bool:
        """True once per swarm, when its requester should be asked "How well was this handled?" now: the first time
        it is resolved (by a fix or by a known article), never again after a reopen."""
        async with self.store.unit() as uow:
            swarm = await uow.swarms.by_id(swarm_id)
            if swarm is None or swarm.status is not SwarmStatus.RESOLVED or await uow.csat.get(swarm_id) is not None:
                return False
            first = await uow.processed.claim(swarm.workspace_id, _csat_key(swarm_id))
            await uow.commit()
            return first

    async def unask(self, swarm_id: int) -> None:
        """The question could not be delivered: it may be asked again."""
        async with self.store.unit() as uow:
            swarm = await uow.swarms.by_id(swarm_id)
            if swarm is not None:
                await uow.processed.release(swarm.workspace_id, _csat_key(swarm_id))
                await uow.commit()

    async def rate(self, actor: Actor, number: int, score: int) -> Rated:
        """The requester's answer, 1–5. One per swarm: a second answer changes nothing (`changed` is False)."""
        if score not in CSAT_SCORES:
            raise UserError("bad_csat_score", value=score)
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, "")
            assert swarm.id is not None
            if swarm.owner_id != scope.person_id:
                owner = await uow.people.get(swarm.owner_id) if swarm.owner_id is not None else None
                raise UserError("csat_owner_only", number=swarm.number, owner=owner.name if owner else "its owner")
            existing = await uow.csat.get(swarm.id)
            if existing is not None:
                await uow.commit()
                return Rated(swarm, existing, changed=False)
            if swarm.status is not SwarmStatus.RESOLVED:
                raise UserError("csat_not_resolved", number=swarm.number)
            answer = CsatAnswer(scope.workspace_id, swarm.id, scope.person_id, score, self.clock())
            saved = await uow.csat.add(answer)
            if not saved:
                # Someone's click got there first, between our look and our write.
                answer = await uow.csat.get(swarm.id) or answer
            await uow.commit()
            return Rated(swarm, answer, changed=saved)


def _csat_key(swarm_id: int) -> str:
    return f"csat:{swarm_id}"
