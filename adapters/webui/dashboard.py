"""`/dashboard`: the headline figures of a period against the period before, and the charts, for one workspace.

Every figure comes from the core's analytics report (bot/analytics.py, whose module docstring and
docs/analytics.md define them); this module only turns a Report into what the template draws (`Board`), as
a pure function, so it is tested without a server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from markupsafe import Markup

from adapters.webui import charts
from bot.analytics import DEFAULT_PERIOD, Report, Trend, parse_period
from bot.browse import Browse
from bot.core import Core
from bot.errors import UserError
from bot.models import SEVERITIES, Swarm
from handlers.replies import duration

PERIODS = ("7d", "30d", "90d", "180d")  # the periods the page links to; any other that `/swarm stats` takes works
TOP = 8  # bars in the topic and skill-gap charts
OPEN_LISTED = 50  # open swarms listed by name, newest first; the headline counts them all

# The headline figures, in the order shown: the report's HEADLINES name and the label.
HEADLINES = (
    ("opened", "Swarms opened"),
    ("resolved", "Resolved"),
    ("time_to_resolve", "Median time to resolve"),
    ("first_expert_reply", "First expert reply"),
    ("deflection_rate", "Solved by a known article"),
    ("csat", "Requester satisfaction"),
    ("open_at_end", "Open now"),
    ("gini", "How evenly the work is shared"),
)
# The tickets' own figures (bot.analytics.TicketFigures), shown after Swarm's when swarms of the period, or the one
# before, belonged to tickets.
TICKET_HEADLINES = (
    ("ticket_time_to_resolve", "Ticket time to resolve"),
    ("first_contact_resolution", "First-contact resolution"),
    ("ticket_satisfaction", "Ticket satisfaction"),
)
# A line under a figure whose number needs one to be read.
EXPLAINED = {
    "gini": "0 when everyone who helped did the same share; the nearer 1, the more a few people carry the work.",
    "ticket_time_to_resolve": "From the ticket's creation to its solve, as its system told Swarm.",
    "first_contact_resolution": "Solved tickets never reopened, of all solved.",
    "ticket_satisfaction": "Good ratings, of good and bad, in the ticket system.",
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    change: str = ""  # against the previous period, in words
    tone: str = ""  # "better", "worse" or "" (neither, or no comparison)
    trend: Markup = field(default_factory=Markup)
    explain: str = ""  # what the number means, for a figure that is not a plain count, share or time


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup  # nothing when there is nothing to draw: `says` tells it
    note: str = ""  # what the chart counts
    says: str = ""  # what it shows, in words, when a picture would not tell: no data, or every bar the same


@dataclass(frozen=True)
class Board:
    period: str  # "90d"
    since: str
    until: str
    figures: tuple[Figure, ...]
    charts: tuple[Chart, ...]
    open_swarms: tuple[Swarm, ...]  # the newest OPEN_LISTED
    open_count: int
    periods: tuple[str, ...] = PERIODS


def period_of(given: str) -> str | None:
    """The period a page address asks for, as `30d`: what `/swarm stats` takes (`7d`, `45 days`), its default
    (bot.analytics.DEFAULT_PERIOD, one default everywhere) when nothing is given; None for anything else."""
    try:
        days = parse_period(given).days
    except UserError:
        return None
    return f"{days}d"


async def build(core: Core, browse: Browse, workspace: str, period: str = DEFAULT_PERIOD) -> Board:
    report = await core.analytics.last(workspace, period)
    open_swarms, open_count = await browse.open_swarms(workspace, OPEN_LISTED)
    return board(report, open_swarms, period, open_count)


def board(
    report: Report, open_swarms: Sequence[Swarm], period: str = DEFAULT_PERIOD, open_count: int | None = None
) -> Board:
    """What the dashboard shows of a report (and the swarms open now: the newest of them, and how many in all)."""
    open_count = len(open_swarms) if open_count is None else open_count
    weeks = report.weeks
    labels = [f"{w.start:%d %b}" for w in weeks]
    median_hours = [_hours(w.time_to_resolve.median) for w in weeks]
    sparks = {
        "opened": charts.sparkline([float(w.opened) for w in weeks], "swarms opened per week"),
        "resolved": charts.sparkline([float(w.resolved) for w in weeks], "swarms resolved per week"),
        "time_to_resolve": charts.sparkline(median_hours, "median hours to resolve per week"),
    }
    figures = []
    with_tickets = report.ticket.tickets or (report.previous is not None and report.previous.ticket.tickets)
    for name, label in HEADLINES + (TICKET_HEADLINES if with_tickets else ()):
        trend = report.trend(name)
        # Every headline is the report's figure, "Open now" too: the same function as `/swarm stats` "Still open".
        value = _value(name, trend.current)
        change, tone = _change(name, trend, period)
        figures.append(Figure(label, value, change, tone, sparks.get(name, Markup()), EXPLAINED.get(name, "")))

    days = f"in the last {period.removesuffix('d')} days"
    by_severity = [(f"sev{sev}", [w.opened_by_severity[i] for w in weeks]) for i, sev in enumerate(SEVERITIES)]
    topics = [(f"#{t.tag}", float(t.swarms)) for t in report.topics[:TOP]]
    gaps = [
        (f"#{gap.skill}" + (" (nobody has it)" if gap.people == 0 else ""), float(gap.swarms))
        for gap in report.skill_gaps[:TOP]
    ]
    load = Counter(report.load)
    helped = [(f"{n} swarm{'s' if n != 1 else ''}", float(load[n])) for n in sorted(load)]
    nothing_opened = f"No swarm was opened {days}." if not report.opened else ""
    chart_list = (
        _chart(
            "Time to resolve",
            charts.line_chart(labels, median_hours, "Median time to resolve per week, in hours", "h"),
            "median hours from opening to the final resolve, by week of resolving",
            _resolve_says(labels, median_hours, days),
            empty=all(h is None for h in median_hours),
        ),
        _chart(
            "Swarms per week by severity",
            charts.stacked_bars(labels, by_severity, "Swarms opened per week, by severity"),
            "",
            _weeks_says([sum(w.opened_by_severity) for w in weeks], days),
            empty=not any(sum(w.opened_by_severity) for w in weeks),
        ),
        _chart(
            "Top recurring topics",
            charts.bars(topics, "Swarms per tag"),
            "the tags of the swarms opened in the period, most first",
            nothing_opened
            or _bars_says(
                topics,
                f"No swarm opened {days} had a tag.",
                "Only {label} came up: {each}.",
                "{labels} came up equally often: {each} each.",
            ),
            empty=not any(value for _, value in topics),
        ),
        _chart(
            "Skill gaps",
            charts.bars(gaps, "Swarms that never had someone with the skill"),
            "swarms opened in the period that needed a skill nobody in the room had",
            nothing_opened
            or _bars_says(
                gaps,
                f"Every swarm opened {days} had someone in the room with each skill it needed.",
                "Only {label} was missing, in {each}.",
                "Each of {labels} was missing in {each}: no skill stands out.",
            ),
            empty=not any(value for _, value in gaps),
        ),
        _chart(
            "Helper load",
            charts.bars(helped, "Helpers by how many swarms of others they came into"),
            f"how many people helped in 1, 2, 3 … swarms of others; {report.helpers} of {report.roster} people "
            "in the roster helped",
            _load_says(load, days),
            empty=not any(helped),
        ),
    )
    return Board(
        period=period,
        since=f"{report.since:%d %b %Y}",
        until=f"{report.until:%d %b %Y}",
        figures=tuple(figures),
        charts=chart_list,
        open_swarms=tuple(open_swarms),
        open_count=open_count,
    )


def _chart(title: str, svg: Markup, note: str, says: str, empty: bool) -> Chart:
    """A chart; one with nothing to draw is its sentence alone (an empty frame says less)."""
    return Chart(title, Markup("") if empty else svg, note, says)


def _resolve_says(labels: Sequence[str], hours: Sequence[float | None], days: str) -> str:
    known = [(label, h) for label, h in zip(labels, hours, strict=True) if h is not None]
    if not known:
        return f"No swarm was resolved {days}."
    if len(known) == 1:
        label, h = known[0]
        return f"Only the week of {label} had a resolve: the median time to resolve was {_hours_text(h)}."
    if len({round(h, 6) for _, h in known}) == 1:
        return f"The median time to resolve was {_hours_text(known[0][1])} in every week that had a resolve."
    return ""


def _weeks_says(totals: Sequence[int], days: str) -> str:
    if not any(totals):
        return f"No swarm was opened {days}."
    if len(set(totals)) == 1:
        return f"{_swarms(totals[0])} {'was' if totals[0] == 1 else 'were'} opened every week."
    return ""


def _bars_says(items: Sequence[tuple[str, float]], empty: str, one: str, many: str) -> str:
    """For bars of swarms per tag or skill: the sentence when there are none, or when every bar is the same (`one`
    and `many` are formats of {label} or {labels}, and {each}: "2 swarms")."""
    if not items or not any(value for _, value in items):
        return empty
    values = {value for _, value in items}
    if len(values) > 1:
        return ""
    each = _swarms(round(values.pop()))
    if len(items) == 1:
        return one.format(label=items[0][0], each=each)
    return many.format(labels=_listed([label for label, _ in items]), each=each)


def _load_says(load: Counter[int], days: str) -> str:
    if not load:
        return f"Nobody came into someone else's swarm to help {days}."
    if len(load) == 1:
        ((swarms, people),) = load.items()
        who = "The one person who helped" if people == 1 else f"All {people} people who helped"
        each = " each: the load is even" if people > 1 else ""
        return f"{who} came into {_swarms(swarms)} of others{each}."
    if len(set(load.values())) == 1:
        counts = _listed([str(n) for n in sorted(load)])
        return f"As many people came into {counts} swarms of others: {next(iter(load.values()))} each."
    return ""


def _swarms(count: int) -> str:
    return f"{count} swarm{'s' if count != 1 else ''}"


def _listed(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _hours_text(hours: float) -> str:
    return duration(timedelta(hours=hours))


def _hours(value: timedelta | None) -> float | None:
    return value.total_seconds() / 3600 if value is not None else None


def _value(name: str, figure: object) -> str:
    if figure is None:
        return "–"
    if isinstance(figure, timedelta):
        return duration(figure)
    if name == "csat" and isinstance(figure, float):
        return f"{figure:.1f} / 5"
    if name == "gini" and isinstance(figure, float):
        return f"{figure:.2f}"
    if isinstance(figure, float):
        return f"{figure:.0%}"
    return str(figure)


def _change(name: str, trend: Trend, period: str) -> tuple[str, str]:
    """The change against the previous period, in words, and whether it is good news."""
    if name == "open_at_end" or trend.previous is None or trend.current is None:
        return "", ""
    tone = {True: "better", False: "worse", None: ""}[trend.better]
    before = f"vs the {period.removesuffix('d')} days before"
    if trend.direction == "same":
        return f"same as the {period.removesuffix('d')} days before", ""
    current, previous = trend.current, trend.previous
    if isinstance(current, timedelta) and isinstance(previous, timedelta):
        faster = current < previous
        return f"{duration(abs(current - previous))} {'faster' if faster else 'slower'} {before}", tone
    if isinstance(current, int) and isinstance(previous, int):
        return f"{current - previous:+d} {before}", tone
    if name == "csat" and isinstance(current, float) and isinstance(previous, float):
        return f"{current - previous:+.1f} {before}", tone
    if name == "gini" and isinstance(current, float) and isinstance(previous, float):
        return f"{current - previous:+.2f} {before}", tone
    if isinstance(current, float) and isinstance(previous, float):
        return f"{(current - previous) * 100:+.0f} points {before}", tone
    return "", ""
