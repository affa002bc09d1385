"""The pure parts of automation: working time in a person's hours, and what the room still lacks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.automation import last_activity, uncovered_skills, working_time
from bot.models import Case, EventKind, Member, Person, Role, Swarm, TimelineEntry, Via, WorkingHours
from bot.swarms import Crew

MADRID_NINE_TO_FIVE = WorkingHours(time(9, 0), time(17, 0))


def person(hours: WorkingHours | None = MADRID_NINE_TO_FIVE, **skills: int) -> Person:
    return Person(workspace_id=1, name="Ana", timezone="Europe/Madrid", working_hours=hours, skills=skills, id=7)


def test_working_time_counts_only_working_hours() -> None:
    # Tuesday 24 Nov 2026, Madrid is UTC+1: 09:00-17:00 local is 08:00-16:00 UTC.
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    end = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert working_time(person(), start, end) == timedelta(hours=2 + 2)


def test_working_time_skips_the_weekend() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert working_time(person(), friday, monday) == timedelta(hours=1 + 1)


def test_working_time_follows_daylight_saving() -> None:
    # Madrid moves to summer time on Sunday 29 March 2026: 09:00 local is 08:00 UTC before, 07:00 UTC after.
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert working_time(person(), friday, monday) == timedelta(hours=1 + 1)


def test_without_working_hours_every_hour_counts() -> None:
    start = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    assert working_time(person(hours=None), start, start + timedelta(hours=5)) == timedelta(hours=5)


def test_uncovered_skills_are_those_nobody_in_or_asked_has() -> None:
    swarm = Swarm(1, 1, Case("export fails", tags=("billing", "pdf")), 7, "support", skills=("billing", "pdf", "sso"))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    ben = Person(1, "Ben", skills={"billing": 5}, id=2)
    eli = Person(1, "Eli", skills={"saml": 4}, id=3)  # sso's synonym
    ola = Person(1, "Ola", skills={"pdf": 5}, id=4)
    members = (
        (Member(1, 2, Role.EXPERT, Via.MATCH, invited_at=now), ben),  # asked, no answer yet: still counts
        (Member(1, 3, Role.HELPER, Via.REACTION, joined_at=now), eli),
        (Member(1, 4, Role.OBSERVER, Via.REACTION, joined_at=now), ola),  # observers do not cover skills
    )
    assert uncovered_skills(Crew(swarm, person(), members)) == ("pdf",)


def test_the_last_activity_ignores_the_bots_own_doings() -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    timeline = [
        TimelineEntry(1, EventKind.OPENED, at, 7, id=1),
        TimelineEntry(1, EventKind.MESSAGE, at + timedelta(minutes=5), 7, "hi", "m1", id=2),
        TimelineEntry(1, EventKind.INVITED, at + timedelta(minutes=20), 2, id=3),
        TimelineEntry(1, EventKind.DECLINED, at + timedelta(minutes=35), 2, id=4),
    ]
    last = last_activity(timeline)
    assert last is not None and last.id == 2
