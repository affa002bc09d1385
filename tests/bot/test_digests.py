"""What the daily and weekly digests say, from hand-built swarms, people, timelines, articles and thank-yous."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.digests import SwarmFile, ThankYou, daily, day_span, last_week, local_today, weekly
from bot.models import (
    Article,
    ArticleState,
    Case,
    EventKind,
    Member,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    TimelineEntry,
    Via,
    Workspace,
)
from bot.swarms import Crew

WS = Workspace(1, "T1")
# Tuesday 24 November 2026, 09:00 UTC (10:00 in Madrid).
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
YESTERDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # the Tuesday of the last complete week

ANA = Person(1, "Ana Ruiz", department="Support", id=1)
BEN = Person(1, "Ben Okafor", department="R&D", id=2)
CHEN = Person(1, "Chen Wei", department="R&D", id=3)
DANA = Person(1, "Dana Cohen", department="Finance", id=4)
EVERYONE = {p.id: p for p in (ANA, BEN, CHEN, DANA)}


def swarm(
    number: int,
    created: datetime,
    resolved: datetime | None = None,
    severity: int = 3,
    status: SwarmStatus | None = None,
    first_reply: datetime | None = None,
) -> Swarm:
    return Swarm(
        workspace_id=1,
        number=number,
        case=Case(f"case {number}", tags=("billing",), severity=severity),
        owner_id=ANA.id or 0,
        origin_channel="support",
        status=status or (SwarmStatus.RESOLVED if resolved else SwarmStatus.OPEN),
        created_at=created,
        resolved_at=resolved,
        first_expert_reply_at=first_reply,
        id=number,
    )


def file(
    s: Swarm,
    helpers: tuple[tuple[Person, Role], ...] = (),
    timeline: tuple[TimelineEntry, ...] = (),
    article: Article | None = None,
    linked: tuple[Article, ...] = (),
    left: tuple[Person, ...] = (),
) -> SwarmFile:
    assert s.id is not None and s.created_at is not None
    members = [(Member(s.id, 1, Role.OWNER, Via.COMMAND, s.created_at, s.created_at), ANA)]
    for person, role in helpers:
        assert person.id is not None
        gone = s.created_at + timedelta(minutes=5) if person in left else None
        members.append((Member(s.id, person.id, role, Via.REACTION, s.created_at, s.created_at, gone), person))
    return SwarmFile(Crew(s, ANA, tuple(members)), timeline, article, linked)


def article(number: int, swarm_id: int | None, state: ArticleState = ArticleState.DRAFT, **extra: object) -> Article:
    return Article(
        workspace_id=1,
        title=f"Fix {number}",
        issue=f"case {number}",
        environment="",
        resolution="restart",
        state=state,
        swarm_id=swarm_id,
        number=number,
        **extra,  # type: ignore[arg-type]
    )


# -- days and weeks --------------------------------------------------------------------------------------------------


def test_a_local_day_in_madrid_is_not_the_utc_day() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert local_today(late, "UTC") == date(2026, 11, 23)
    assert local_today(late, "Europe/Madrid") == date(2026, 11, 24)
    assert day_span(date(2026, 11, 23), "Europe/Madrid") == (
        datetime(2026, 11, 22, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 23, 0, tzinfo=UTC),
    )


def test_the_day_clocks_go_back_has_25_hours() -> None:
    start, end = day_span(date(2026, 10, 25), "Europe/Madrid")
    assert end - start == timedelta(hours=25)
    start, end = day_span(date(2026, 3, 29), "Europe/Madrid")
    assert end - start == timedelta(hours=23)


def test_last_week_is_the_last_complete_monday_to_sunday() -> None:
    assert last_week(NOW, "UTC") == date(2026, 11, 16)
    assert last_week(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "UTC") == date(2026, 11, 16)
    # Sunday 23:30 UTC is already Monday in Madrid: the week that just ended there is this one.
    assert last_week(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "Europe/Madrid") == date(2026, 11, 16)
    assert last_week(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "UTC") == date(2026, 11, 9)


# -- daily -----------------------------------------------------------------------------------------------------------


def test_nothing_to_report_is_no_digest() -> None:
    assert daily(WS, [], NOW, "UTC") is None
    two_days_ago = swarm(1, NOW - timedelta(days=3), resolved=NOW - timedelta(days=2))
    assert daily(WS, [file(two_days_ago)], NOW, "UTC") is None


def test_open_swarms_most_severe_first_then_oldest() -> None:
    files = [
        file(swarm(1, NOW - timedelta(days=3), severity=3)),
        file(swarm(2, NOW - timedelta(hours=2), severity=1)),
        file(swarm(3, NOW - timedelta(days=1), severity=1)),
        file(swarm(4, NOW - timedelta(days=2), status=SwarmStatus.CANCELLED)),
    ]
    digest = daily(WS, files, NOW, "UTC")
    assert digest is not None
    assert [c.swarm.number for c in digest.open] == [3, 2, 1]
    assert digest.resolved == () and digest.experts == ()
    assert (digest.today, digest.day) == (date(2026, 11, 24), date(2026, 11, 23))


def test_resolved_yesterday_with_its_article_and_who_helped() -> None:
    resolved = swarm(1, YESTERDAY_NOON - timedelta(hours=3), resolved=YESTERDAY_NOON)
    own = article(1, 1)
    helped = file(
        resolved,
        helpers=((BEN, Role.EXPERT), (CHEN, Role.HELPER), (DANA, Role.OBSERVER)),
        article=own,
    )
    left = file(
        swarm(2, YESTERDAY_NOON - timedelta(hours=1), resolved=YESTERDAY_NOON + timedelta(hours=1)),
        helpers=((DANA, Role.HELPER), (BEN, Role.EXPERT)),
        left=(DANA,),
    )
    digest = daily(WS, [left, helped], NOW, "UTC")
    assert digest is not None
    assert [f.swarm.number for f in digest.resolved] == [1, 2]
    assert digest.resolved[0].article == own
    # Active members other than the owner, each once; an observer only followed, and Dana left swarm 2.
    assert [p.name for p in digest.experts] == ["Ben Okafor", "Chen Wei"]


def test_yesterday_is_the_local_day() -> None:
    late_utc = file(swarm(1, YESTERDAY_NOON, resolved=datetime(2026, 11, 23, 23, 30, tzinfo=UTC)))
    late_madrid = file(
        swarm(2, YESTERDAY_NOON - timedelta(days=1), resolved=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    )
    utc = daily(WS, [late_utc, late_madrid], NOW, "UTC")
    madrid = daily(WS, [late_utc, late_madrid], NOW, "Europe/Madrid")
    assert utc is not None and madrid is not None
    assert [f.swarm.number for f in utc.resolved] == [1]
    # 23:30 UTC on the 23rd is 00:30 on the 24th in Madrid: today there, not yesterday; 23:30 on the 22nd is the 23rd.
    assert [f.swarm.number for f in madrid.resolved] == [2]


def test_a_reopened_swarm_is_open_not_resolved() -> None:
    reopened = swarm(1, YESTERDAY_NOON - timedelta(hours=2))
    timeline = (
        TimelineEntry(1, EventKind.RESOLVED, YESTERDAY_NOON, 1, "restart"),
        TimelineEntry(1, EventKind.REOPENED, YESTERDAY_NOON + timedelta(hours=1), 1),
    )
    digest = daily(WS, [file(reopened, timeline=timeline)], NOW, "UTC")
    assert digest is not None
    assert [c.swarm.number for c in digest.open] == [1] and digest.resolved == ()


# -- weekly ----------------------------------------------------------------------------------------------------------


def test_a_week_with_nothing_is_no_digest() -> None:
    assert weekly(WS, [], [], NOW, "UTC") is None
    this_week = file(swarm(1, NOW - timedelta(hours=1)))
    assert weekly(WS, [this_week], [], NOW, "UTC") is None


def test_no_expert_ever_replied() -> None:
    digest = weekly(WS, [file(swarm(1, LAST_WEEK)), file(swarm(2, LAST_WEEK, first_reply=None))], [], NOW, "UTC")
    assert digest is not None
    assert (digest.opened, digest.resolved) == (2, 0)
    assert digest.median_first_reply is None and digest.median_time_to_resolve is None
    assert digest.week == "2026-W47" and (digest.start, digest.end) == (date(2026, 11, 16), date(2026, 11, 22))


def test_the_weeks_numbers() -> None:
    files = [
        file(swarm(1, LAST_WEEK, LAST_WEEK + timedelta(hours=2), first_reply=LAST_WEEK + timedelta(minutes=10))),
        file(swarm(2, LAST_WEEK, LAST_WEEK + timedelta(hours=4), first_reply=LAST_WEEK + timedelta(minutes=30))),
        file(swarm(3, LAST_WEEK, first_reply=LAST_WEEK + timedelta(minutes=20))),
        # Opened the week before, resolved in the week: counted as resolved, not as opened.
        file(swarm(4, LAST_WEEK - timedelta(days=8), LAST_WEEK + timedelta(hours=1))),
        # Resolved this week: not last week's.
        file(swarm(5, LAST_WEEK, NOW - timedelta(hours=1))),
    ]
    digest = weekly(WS, files, [], NOW, "UTC")
    assert digest is not None
    assert (digest.opened, digest.resolved) == (4, 3)
    assert digest.median_time_to_resolve == timedelta(hours=4)  # of 2 h, 4 h and 8 days 1 h
    assert digest.median_first_reply == timedelta(minutes=20)
    assert (digest.reuses, digest.deflections, digest.credits, digest.thanks) == (0, 0, (), ())


def test_reuse_counts_every_link_and_deflections_and_credits_who_wrote_the_article() -> None:
    origin = file(
        swarm(9, LAST_WEEK - timedelta(days=30), LAST_WEEK - timedelta(days=29)), helpers=((BEN, Role.EXPERT),)
    )
    known = article(9, 9, contributors=["Ana Ruiz", "Ben Okafor", "Old Timer"], reuse_count=2)
    link = TimelineEntry(1, EventKind.LINKED, LAST_WEEK + timedelta(minutes=5), 3, "9")
    # Swarm 1 was solved by article 9 alone: its own wip article was archived.
    deflected = file(
        swarm(1, LAST_WEEK, LAST_WEEK + timedelta(minutes=5)),
        timeline=(link,),
        article=article(1, 1, ArticleState.ARCHIVED),
        linked=(known,),
    )
    # Swarm 2 linked article 9 on the way and wrote a fix of its own.
    helped = file(
        swarm(2, LAST_WEEK, LAST_WEEK + timedelta(hours=1)),
        timeline=(TimelineEntry(2, EventKind.LINKED, LAST_WEEK + timedelta(minutes=30), 3, "9"),),
        article=article(2, 2),
        linked=(known,),
    )
    digest = weekly(WS, [origin, deflected, helped], [], NOW, "UTC")
    assert digest is not None
    assert (digest.reuses, digest.deflections) == (2, 1)
    (credit,) = digest.credits
    assert (credit.article.number, credit.times) == (9, 2)
    assert [p.name for p in credit.people] == ["Ana Ruiz", "Ben Okafor"] and credit.names == ("Old Timer",)


def test_thanks_of_the_week_in_the_order_they_were_said() -> None:
    said = [
        ThankYou(CHEN, BEN, LAST_WEEK + timedelta(days=1), "the cache fix", 1),
        ThankYou(ANA, CHEN, LAST_WEEK, ""),
        ThankYou(ANA, DANA, NOW - timedelta(hours=1), "too late for last week"),
    ]
    digest = weekly(WS, [], said, NOW, "UTC")
    assert digest is not None
    assert [(t.giver.name, t.receiver.name) for t in digest.thanks] == [
        ("Ana Ruiz", "Chen Wei"),
        ("Chen Wei", "Ben Okafor"),
    ]
    assert (digest.opened, digest.resolved, digest.reuses) == (0, 0, 0)
