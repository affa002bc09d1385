"""The daily and weekly digests and the recurring-issue alerts: what they say, built by pure functions from swarms
already loaded, and the use case (`Digests`) that loads them for one workspace.

Days are local days in the digest's time zone: "yesterday" in Madrid starts at 23:00 or 22:00 UTC, and a day of a
daylight-saving change has 23 or 25 hours. The weekly digest covers the last complete week, Monday to Sunday, so a
run on Tuesday that catches up a missed Monday reports the same week as the Monday run would have.

Recognition, not a leaderboard: the weekly digest thanks the people whose knowledge was reused and those thanked
with `/swarm thanks`, in the order it happened; it never ranks anyone by how much they said or did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot import analytics, recurring
from bot.context import Clock, utcnow
from bot.models import (
    Article,
    EventKind,
    Person,
    Swarm,
    SwarmStatus,
    Thanks,
    TimelineEntry,
    Workspace,
)
from bot.ports import Store, UnitOfWork
from bot.recurring import Occurrence
from bot.swarm_file import SwarmFile as SwarmFile  # where it lived first: `from bot.digests import SwarmFile` works
from bot.swarms import WRITTEN, Crew, load_crew
from bot.timezones import as_utc, zone

ACTIVE = (SwarmStatus.OPENING, SwarmStatus.OPEN)
# Articles that say how a case was fixed: what a digest or an alert points people to.


# -- what the digests are made of ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Daily:
    workspace: Workspace
    today: date  # the local date the digest is for; its key
    day: date  # yesterday, the day whose resolved swarms it lists
    now: datetime
    open: tuple[Crew, ...]  # most severe first, then oldest first
    resolved: tuple[SwarmFile, ...]  # in the order they were resolved
    experts: tuple[Person, ...]  # who helped resolve them, each once, by name


@dataclass(frozen=True)
class Credit:
    """A known article reused in the week, and the people who wrote it."""

    article: Article
    times: int
    people: tuple[Person, ...]
    names: tuple[str, ...] = ()  # contributors who are not in the roster any more (imported articles)


@dataclass(frozen=True)
class ThankYou:
    giver: Person
    receiver: Person
    at: datetime
    reason: str = ""
    swarm: int | None = None  # the swarm's number


@dataclass(frozen=True)
class Weekly:
    workspace: Workspace
    start: date  # a Monday
    end: date  # the Sunday after it
    opened: int
    resolved: int
    median_time_to_resolve: timedelta | None
    median_first_reply: timedelta | None  # None: no expert replied in any swarm opened that week
    reuses: int  # known articles linked to swarms, deflections included
    deflections: int  # swarms resolved by a known article alone
    credits: tuple[Credit, ...] = ()
    thanks: tuple[ThankYou, ...] = ()

    @property
    def week(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Alert:
    """A recurring issue: alike swarms and articles of the last days, for R&D to fix the cause."""

    workspace: Workspace
    key: str  # "recurring:swarm-12", from the cluster's oldest member: one alert per cluster, however it grows
    occurrences: tuple[Occurrence, ...]  # oldest first
    swarms: tuple[Swarm, ...]  # by number
    articles: tuple[int, ...]  # article numbers
    tags: tuple[str, ...]  # the tags they share, most shared first
    customers: tuple[str, ...]
    teams: tuple[str, ...]  # the departments of the people in those swarms
    days: int = recurring.WINDOW.days  # how far back the occurrences were looked for

    @property
    def title(self) -> str:
        return self.occurrences[0].title


# -- time ------------------------------------------------------------------------------------------------------------


def local_today(now: datetime, tz: str) -> date:
    return as_utc(now).astimezone(zone(tz)).date()


def day_span(day: date, tz: str, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants a run of local days starts and ends at (the end excluded)."""
    local = zone(tz)
    start = datetime.combine(day, time(0), tzinfo=local).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=days), time(0), tzinfo=local).astimezone(UTC)
    return start, end


def last_week(now: datetime, tz: str) -> date:
    """The Monday of the last complete local week."""
    today = local_today(now, tz)
    return today - timedelta(days=today.weekday() + 7)


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= as_utc(moment) < end


# -- the digests, from what was loaded -------------------------------------------------------------------------------


def daily(workspace: Workspace, files: Iterable[SwarmFile], now: datetime, tz: str) -> Daily | None:
    """Open swarms by severity and age, yesterday's resolved swarms with their articles, and who helped; None when
    there is nothing to say."""
    files = list(files)
    today = local_today(now, tz)
    day = today - timedelta(days=1)
    start, end = day_span(day, tz)
    open_crews = sorted(
        (f.crew for f in files if f.swarm.status.is_active),
        key=lambda c: (c.swarm.case.severity, _at(c.swarm.created_at), c.swarm.number),
    )
    resolved = sorted(
        (f for f in files if f.swarm.status is SwarmStatus.RESOLVED and _within(f.swarm.resolved_at, start, end)),
        key=lambda f: (_at(f.swarm.resolved_at), f.swarm.number),
    )
    if not open_crews and not resolved:
        return None
    experts = {p.id: p for f in resolved for p in f.helpers()}
    return Daily(
        workspace,
        today,
        day,
        now,
        tuple(open_crews),
        tuple(resolved),
        tuple(sorted(experts.values(), key=lambda p: p.name)),
    )


def weekly(
    workspace: Workspace, files: Iterable[SwarmFile], thanks: Iterable[ThankYou], now: datetime, tz: str
) -> Weekly | None:
    """The numbers of the last complete week and thanks to the people behind them; None for a week with nothing."""
    files = list(files)
    monday = last_week(now, tz)
    start, end = day_span(monday, tz, days=7)
    # The week's figures are the analytics report's for that week: the same functions as `/swarm stats`.
    figures = analytics.report(analytics.Data(tuple(files)), start, end, tz, compare=False)
    links = [(f, entry) for f in files for entry in f.links(start, end)]
    said = tuple(sorted((t for t in thanks if start <= as_utc(t.at) < end), key=lambda t: as_utc(t.at)))
    if not figures.opened and not figures.resolved and not links and not said:
        return None
    return Weekly(
        workspace,
        monday,
        monday + timedelta(days=6),
        opened=figures.opened,
        resolved=figures.resolved,
        median_time_to_resolve=figures.time_to_resolve.median,
        median_first_reply=figures.first_expert_reply.median,
        reuses=figures.reuses,
        deflections=figures.deflected,
        credits=tuple(_credits(links, files)),
        thanks=said,
    )


def _credits(links: Sequence[tuple[SwarmFile, TimelineEntry]], files: Sequence[SwarmFile]) -> list[Credit]:
    """Each reused article once, in the order it was first reused, with the people of its swarm who wrote it."""
    by_swarm = {f.swarm.id: f for f in files}
    times: dict[int, int] = {}
    articles: dict[int, Article] = {}
    for file, entry in sorted(links, key=lambda link: as_utc(link[1].at)):
        article = file.linked_article(entry.text)
        if article is None:
            continue
        articles.setdefault(article.number, article)
        times[article.number] = times.get(article.number, 0) + 1
    credits = []
    for number, article in articles.items():
        origin = by_swarm.get(article.swarm_id)
        people = {p.name: p for _, p in origin.crew.members} if origin is not None else {}
        if origin is not None:
            people.setdefault(origin.crew.owner.name, origin.crew.owner)
        credited = [people[name] for name in article.contributors if name in people]
        others = [name for name in article.contributors if name not in people]
        credits.append(Credit(article, times[number], tuple(credited), tuple(others)))
    return credits


def alert(
    workspace: Workspace, cluster: Sequence[Occurrence], crews: Mapping[int, Crew], window: timedelta = recurring.WINDOW
) -> Alert:
    """The alert for one cluster; `crews` holds the swarms of its occurrences, by number."""
    ordered = tuple(sorted(cluster, key=lambda o: (o.at, o.key)))
    swarms = [crews[o.swarm].swarm for o in ordered if o.swarm is not None and o.swarm in crews]
    tag_counts: dict[str, int] = {}
    for occurrence in ordered:
        for tag in sorted(occurrence.tags):
            tag_counts[tag] = tag_counts.get(tag, 0) + 1
    shared = [t for t, n in sorted(tag_counts.items(), key=lambda i: (-i[1], i[0])) if n > 1]
    customers: dict[str, str] = {}
    for swarm in swarms:
        if swarm.case.customer:
            customers.setdefault(swarm.case.customer.casefold(), swarm.case.customer)
    teams: set[str] = set()
    for swarm in swarms:
        crew = crews[swarm.number]
        people = [crew.owner, *(p for m, p in crew.members if m.active)]
        teams.update(p.department.strip() for p in people if p.department and p.department.strip())
    return Alert(
        workspace,
        f"recurring:{ordered[0].key}",
        ordered,
        tuple(sorted(swarms, key=lambda s: s.number)),
        tuple(sorted({o.article for o in ordered if o.article is not None})),
        tuple(shared),
        tuple(customers.values()),
        tuple(sorted(teams, key=str.casefold)),
        window.days,
    )


def _at(moment: datetime | None) -> datetime:
    return as_utc(moment) if moment is not None else datetime.max.replace(tzinfo=UTC)


# -- the use case ----------------------------------------------------------------------------------------------------


@dataclass
class Digests:
    """Loads what a digest or an alert needs for one workspace. Nothing is built for a workspace that turned them
    off (`Workspace.digest_off`) or that Swarm has never seen."""

    store: Store
    clock: Clock = utcnow
    window: timedelta = field(default=recurring.WINDOW)

    async def daily(self, workspace: str, tz: str) -> Daily | None:
        now = self.clock()
        start, end = day_span(local_today(now, tz) - timedelta(days=1), tz)
        async with self.store.unit() as uow:
            ws = await uow.workspaces.get(workspace)
            if ws is None or ws.digest_off:
                return None
            active = await uow.swarms.list(ws.id, statuses=ACTIVE)
            done = [
                s
                for s in await uow.swarms.list(ws.id, statuses=[SwarmStatus.RESOLVED])
                if _within(s.resolved_at, start, end)
            ]
            files = [await _file(uow, s, details=False) for s in active]
            files += [await _file(uow, s) for s in done]
        return daily(ws, files, now, tz)

    async def weekly(self, workspace: str, tz: str) -> Weekly | None:
        now = self.clock()
        start, end = day_span(last_week(now, tz), tz, days=7)
        async with self.store.unit() as uow:
            ws = await uow.workspaces.get(workspace)
            if ws is None or ws.digest_off:
                return None
            swarms = await uow.swarms.list(ws.id)
            # Whatever could have happened in the week: opened, resolved or linked to an article in it.
            files = [
                await _file(uow, s)
                for s in swarms
                if _at(s.created_at) < end
                and (
                    s.status.is_active
                    or _within(s.created_at, start, end)
                    or (s.resolved_at is not None and as_utc(s.resolved_at) >= start)
                )
            ]
            # The swarms that wrote the articles reused in the week: their people are the ones to thank.
            known = {f.swarm.id for f in files}
            origins = {a.swarm_id for f in files for a in f.linked if a.swarm_id is not None} - known
            for swarm_id in sorted(origins):
                origin = await uow.swarms.by_id(swarm_id)
                if origin is not None:
                    files.append(await _file(uow, origin, details=False))
            said = await uow.thanks.between(ws.id, start, end)
            thanks = await _thank_yous(uow, said, {s.id: s.number for s in swarms if s.id is not None})
        return weekly(ws, files, thanks, now, tz)

    async def recurring(self, workspace: str) -> list[Alert]:
        """The clusters of at least three alike swarms or articles created in the window, oldest cluster first."""
        now = self.clock()
        since = as_utc(now) - self.window
        async with self.store.unit() as uow:
            ws = await uow.workspaces.get(workspace)
            if ws is None or ws.digest_off:
                return []
            swarms = [
                s
                for s in await uow.swarms.list(ws.id)
                if s.status is not SwarmStatus.CANCELLED and s.created_at is not None and as_utc(s.created_at) >= since
            ]
            occurrences = []
            for swarm in swarms:
                own = await uow.articles.by_swarm(_id(swarm))
                occurrences.append(recurring.of_swarm(swarm, own if own is not None and own.state in WRITTEN else None))
            # An article a swarm wrote is that swarm's occurrence; only articles written on their own (imported, or
            # added by hand) are occurrences of their own.
            occurrences += [
                recurring.of_article(a)
                for a in await uow.articles.list(ws.id)
                if a.swarm_id is None
                and a.state in WRITTEN
                and a.created_at is not None
                and as_utc(a.created_at) >= since
            ]
            clusters = recurring.clusters(recurring.recent(occurrences, now, self.window))
            by_number = {s.number: s for s in swarms}
            alerts = []
            for cluster in clusters:
                crews = {o.swarm: await load_crew(uow, by_number[o.swarm]) for o in cluster if o.swarm is not None}
                alerts.append(alert(ws, cluster, crews, self.window))
        return alerts


async def _file(uow: UnitOfWork, swarm: Swarm, details: bool = True) -> SwarmFile:
    """The swarm with its people; with details, also its timeline, its own article and the articles linked to it."""
    crew = await load_crew(uow, swarm)
    if not details:
        return SwarmFile(crew)
    timeline = tuple(await uow.swarms.timeline(_id(swarm)))
    linked = []
    for number in dict.fromkeys(e.text for e in timeline if e.kind is EventKind.LINKED):
        article = await uow.articles.get(swarm.workspace_id, int(number)) if number.isdecimal() else None
        if article is not None:
            linked.append(article)
    return SwarmFile(crew, timeline, await uow.articles.by_swarm(_id(swarm)), tuple(linked))


async def _thank_yous(uow: UnitOfWork, said: Sequence[Thanks], numbers: Mapping[int, int]) -> list[ThankYou]:
    people = await uow.people.many({t.giver_id for t in said} | {t.receiver_id for t in said})
    return [
        ThankYou(
            people[t.giver_id],
            people[t.receiver_id],
            t.at,
            t.reason,
            numbers.get(t.swarm_id) if t.swarm_id is not None else None,
        )
        for t in said
        if t.giver_id in people and t.receiver_id in people
    ]


def _id(swarm: Swarm) -> int:
    assert swarm.id is not None
    return swarm.id
