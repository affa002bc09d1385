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
from bot.analytics import Report, Trend
from bot.browse import Browse
from bot.core import Core
from bot.models import SEVERITIES, Swarm
from handlers.replies import duration

PERIODS = ("30d", "90d", "180d")
DEFAULT_PERIOD = "90d"
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
    ("gini", "Helper load fairness (Gini)"),
)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    change: str = ""  # against the previous period, in words
    tone: str = ""  # "better", "worse" or "" (neither, or no comparison)
    trend: Markup = field(default_factory=Markup)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    note: str = ""


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


async def build(core: Core, browse: Browse, workspace: str, period: str = DEFAULT_PERIOD) -> Board:
    period = period if period in PERIODS else DEFAULT_PERIOD
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
    for name, label in HEADLINES:
        trend = report.trend(name)
        # Every headline is the report's figure, "Open now" too: the same function as `/swarm stats` "Still open".
        value = _value(name, trend.current)
        change, tone = _change(name, trend, period)
        figures.append(Figure(label, value, change, tone, sparks.get(name, Markup())))

    by_severity = [(f"sev{sev}", [w.opened_by_severity[i] for w in weeks]) for i, sev in enumerate(SEVERITIES)]
    gaps = [
        (f"#{gap.skill}" + (" (nobody has it)" if gap.people == 0 else ""), float(gap.swarms))
        for gap in report.skill_gaps[:TOP]
    ]
    load = Counter(report.load)
    chart_list = (
        Chart(
            "Time to resolve",
            charts.line_chart(labels, median_hours, "Median time to resolve per week, in hours", "h"),
            "median hours from opening to the final resolve, by week of resolving",
        ),
        Chart(
            "Swarms per week by severity",
            charts.stacked_bars(labels, by_severity, "Swarms opened per week, by severity"),
        ),
        Chart(
            "Top recurring topics",
            charts.bars([(f"#{t.tag}", float(t.swarms)) for t in report.topics[:TOP]], "Swarms per tag"),
            "the tags of the swarms opened in the period, most first",
        ),
        Chart(
            "Skill gaps",
            charts.bars(gaps, "Swarms that never had someone with the skill"),
            "swarms opened in the period that needed a skill nobody in the room had",
        ),
        Chart(
            "Helper load",
            charts.bars(
                [(f"{n} swarm{'s' if n != 1 else ''}", float(load[n])) for n in sorted(load)],
                "Helpers by how many swarms of others they came into",
            ),
            f"how many people helped in 1, 2, 3 … swarms of others; {report.helpers} of {report.roster} people "
            "in the roster helped",
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
