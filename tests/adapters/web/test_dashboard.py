"""What the dashboard shows of an analytics report (pure: no server, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from adapters.webui.dashboard import board, period_of
from bot import analytics
from bot.analytics import Durations, PersonFigures, Report, SkillGap, Topic, Week
from bot.models import Case, Swarm, SwarmStatus

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 10, 15, tzinfo=UTC)


def helper(person_id: int, helps: int) -> PersonFigures:
    return PersonFigures(person_id=person_id, name=f"P{person_id}", department=None, helps=helps)


def open_swarm(number: int) -> Swarm:
    return Swarm(1, number, Case(f"case {number}"), 1, "support", status=SwarmStatus.OPEN)


REPORT = Report(
    since=SINCE,
    until=UNTIL,
    opened=6,
    resolved=4,
    time_to_resolve=Durations(4, timedelta(hours=3), timedelta(hours=9)),
    deflection_rate=0.25,
    helps=5,
    helpers=3,
    roster=10,
    gini=0.2,
    people=(helper(1, 3), helper(2, 1), helper(3, 1)),
    skill_gaps=(SkillGap("kubernetes", 2, 0), SkillGap("sso", 1, 2)),
    topics=(Topic("pdf", 4), Topic("<b>bold</b>", 1)),
    weeks=(
        Week("2026-W40", date(2026, 9, 28), (1, 1, 0, 0), 1, Durations(1, timedelta(hours=2), timedelta(hours=2))),
        Week("2026-W41", date(2026, 10, 5), (0, 2, 1, 0), 2, Durations(2, timedelta(hours=4), timedelta(hours=5))),
        Week("2026-W42", date(2026, 10, 12), (0, 0, 1, 0), 1, Durations()),
    ),
    previous=Report(
        since=SINCE - (UNTIL - SINCE),
        until=SINCE,
        opened=4,
        resolved=4,
        time_to_resolve=Durations(4, timedelta(hours=5), None),
        deflection_rate=0.5,
    ),
)


def test_headline_figures_with_the_change_since_the_period_before() -> None:
    shown = board(REPORT, [open_swarm(7), open_swarm(8)], "14d")
    figures = {f.label: f for f in shown.figures}
    assert (figures["Swarms opened"].value, figures["Swarms opened"].change) == ("6", "+2 vs the 14 days before")
    assert figures["Swarms opened"].tone == ""  # more swarms is neither good nor bad news
    assert figures["Resolved"].change == "same as the 14 days before"
    ttr = figures["Median time to resolve"]
    assert (ttr.value, ttr.change, ttr.tone) == ("3h 0m", "2h 0m faster vs the 14 days before", "better")
    deflection = figures["Solved by a known article"]
    assert (deflection.value, deflection.change, deflection.tone) == (
        "25%",
        "-25 points vs the 14 days before",
        "worse",
    )
    assert figures["First expert reply"].value == "–"
    assert figures["Open now"].value == "2"
    assert "<svg" in str(figures["Swarms opened"].trend)


def test_the_charts_come_from_the_weeks_topics_gaps_and_load() -> None:
    shown = board(REPORT, [])
    charts = {c.title: str(c.svg) for c in shown.charts}
    assert list(charts) == [
        "Time to resolve",
        "Swarms per week by severity",
        "Top recurring topics",
        "Skill gaps",
        "Helper load",
    ]
    assert charts["Time to resolve"].count("<circle") == 2  # no resolve with a duration in the last week
    assert charts["Swarms per week by severity"].count('class="bar ') == 5
    assert "#pdf" in charts["Top recurring topics"] and "&lt;b&gt;bold" in charts["Top recurring topics"]
    assert "#kubernetes (nobody has it)" in charts["Skill gaps"]
    assert "1 swarm: 2" in charts["Helper load"] and "3 swarms: 1" in charts["Helper load"]
    assert "3 of 10 people" in shown.charts[-1].note


def test_an_empty_report_says_in_words_what_each_chart_would_show() -> None:
    shown = board(Report(since=SINCE, until=UNTIL), [], "30d")
    says = {c.title: c.says for c in shown.charts}
    assert says == {
        "Time to resolve": "No swarm was resolved in the last 30 days.",
        "Swarms per week by severity": "No swarm was opened in the last 30 days.",
        "Top recurring topics": "No swarm was opened in the last 30 days.",
        "Skill gaps": "No swarm was opened in the last 30 days.",
        "Helper load": "Nobody came into someone else's swarm to help in the last 30 days.",
    }
    assert all(str(c.svg) == "" for c in shown.charts)  # no empty frames
    assert {f.value for f in shown.figures} <= {"0", "–"}


def test_a_chart_whose_bars_are_all_the_same_says_so() -> None:
    flat = replace(
        REPORT,
        skill_gaps=(SkillGap("export", 1, 2), SkillGap("pdf", 1, 2), SkillGap("sso", 1, 1)),
        topics=(Topic("pdf", 2),),
        people=(helper(1, 2), helper(2, 2)),
        weeks=(REPORT.weeks[0],),
    )
    charts = {c.title: c for c in board(flat, [], "30d").charts}
    assert charts["Skill gaps"].says == "Each of #export, #pdf and #sso was missing in 1 swarm: no skill stands out."
    assert charts["Top recurring topics"].says == "Only #pdf came up: 2 swarms."
    assert charts["Helper load"].says == "All 2 people who helped came into 2 swarms of others each: the load is even."
    assert charts["Time to resolve"].says == (
        "Only the week of 28 Sep had a resolve: the median time to resolve was 2h 0m."
    )
    assert charts["Swarms per week by severity"].says == "2 swarms were opened every week."
    assert "<rect" in str(charts["Skill gaps"].svg)  # the bars are still drawn
    # A chart with something to tell says nothing more.
    assert all(not c.says for c in board(REPORT, []).charts)


def test_the_fairness_figure_is_in_plain_words() -> None:
    figure = next(f for f in board(REPORT, []).figures if f.value == "0.20")
    assert figure.label == "How evenly the work is shared"
    assert figure.explain.startswith("0 when everyone who helped did the same share")
    assert all("Gini" not in f.label + f.explain for f in board(REPORT, []).figures)


def test_the_default_period_is_the_one_of_swarm_stats() -> None:
    assert board(REPORT, []).period == analytics.DEFAULT_PERIOD
    assert period_of("") == analytics.DEFAULT_PERIOD
    assert (period_of("45 days"), period_of("7x"), period_of("0d")) == ("45d", None, None)
