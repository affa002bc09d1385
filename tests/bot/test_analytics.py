"""Analytics figures, from hand-built swarms, timelines, articles, thank-yous and CSAT answers, computed by hand.

The main scenario is one week, Monday 16 to Monday 23 November 2026 (UTC), against the week before:

    swarm  opened        requester  sev  skills          what happened                                   resolved
    1      Mon 16 10:00  Ana        2    billing, pdf    Ben (expert) accepts 10:20; Chen joins 11:00    Mon 16 12:00
    2      Tue 17 09:00  Ana        3    tax             Dana and Chen join; resolved 10:00, reopened    Wed 18 09:00
    3      Wed 18 15:00  Ana        1    sso, kubernetes Eli (expert) does not answer, Chen asked, silent  open
    4      Thu 19 08:00  Ana        3    billing         solved by known article 7 at once              Thu 19 08:05
    5      Tue 10 09:00  Ana        2    billing         handed over to Ben                              Tue 10 13:00
    6      Thu 12 09:00  Dana       3    export          Chen added with /swarm invite                   Fri 20 09:00
    7      Sat 21 10:00  Ana        4    (pdf tag only)  Chen follows as observer; cancelled             cancelled
    8      Fri 13 09:00  Ana        3    tax             resolved 12:00, reopened Wed 18, still open     open
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.analytics import (
    Data,
    Durations,
    Group,
    PersonFigures,
    SkillGap,
    Topic,
    Trend,
    fairness,
    parse_period,
    report,
    rows,
    table,
)
from bot.digests import SwarmFile
from bot.errors import UserError
from bot.metrics import gini, percentile
from bot.models import (
    Article,
    ArticleState,
    Case,
    CsatAnswer,
    EventKind,
    Member,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    Thanks,
    TimelineEntry,
    Via,
    WorkingHours,
)
from bot.roster import parse_working_hours
from bot.swarms import Crew

NINE_TO_FIVE: WorkingHours = parse_working_hours("09:00-17:00")
ANA = Person(1, "Ana Ruiz", department="Support", timezone="Europe/Madrid", working_hours=NINE_TO_FIVE, id=1)
BEN = Person(
    1,
    "Ben Okafor",
    department="R&D",
    timezone="Europe/London",
    working_hours=parse_working_hours("08:00-18:00"),
    skills={"billing": 5, "pdf": 3},
    id=2,
)
CHEN = Person(
    1,
    "Chen Wei",
    department="R&D",
    timezone="Europe/Madrid",
    working_hours=NINE_TO_FIVE,
    skills={"pdf": 5, "export": 4},
    id=3,
)
DANA = Person(
    1, "Dana Cohen", department="Finance", timezone="Europe/Madrid", working_hours=NINE_TO_FIVE, skills={"tax": 5}, id=4
)
ELI = Person(1, "Eli Brown", department="Product", timezone="America/Los_Angeles", skills={"sso": 5}, id=5)
ROSTER = (ANA, BEN, CHEN, DANA, ELI)

SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def entry(kind: EventKind, when: datetime, person: Person | None, text: str = "") -> TimelineEntry:
    return TimelineEntry(0, kind, when, person.id if person else None, text)


def swarm_file(
    number: int,
    created: datetime,
    *,
    requester: Person = ANA,
    owner: Person | None = None,
    severity: int = 3,
    tags: tuple[str, ...] = (),
    skills: tuple[str, ...] = (),
    status: SwarmStatus = SwarmStatus.OPEN,
    resolved: datetime | None = None,
    first_reply: datetime | None = None,
    members: tuple[Member, ...] = (),
    timeline: tuple[TimelineEntry, ...] = (),
    article: Article | None = None,
    linked: tuple[Article, ...] = (),
) -> SwarmFile:
    """A swarm opened by `requester` at `created` (the OPENED entry and the requester's membership are added)."""
    owner = owner or requester
    swarm = Swarm(
        workspace_id=1,
        number=number,
        case=Case(f"case {number}", tags=tags, severity=severity),
        owner_id=owner.id or 0,
        origin_channel="support",
        status=status,
        created_at=created,
        resolved_at=resolved,
        first_expert_reply_at=first_reply,
        skills=skills,
        id=number,
    )
    role = Role.OWNER if owner is requester else Role.HELPER
    everyone = (Member(number, requester.id or 0, role, Via.COMMAND, created, created), *members)
    people = {p.id: p for p in ROSTER}
    crew = Crew(swarm, owner, tuple((m, people[m.person_id]) for m in everyone))
    entries = (entry(EventKind.OPENED, created, requester, swarm.case.text), *timeline)
    return SwarmFile(
        crew,
        tuple(TimelineEntry(number, e.kind, e.at, e.person_id, e.text, e.message_id) for e in entries),
        article,
        linked,
    )


def member(
    swarm: int, person: Person, role: Role, via: Via, joined: datetime | None, invited: datetime | None = None
) -> Member:
    return Member(swarm, person.id or 0, role, via, invited_at=invited or joined, joined_at=joined)


def own_article(number: int, contributors: list[str], state: ArticleState = ArticleState.DRAFT) -> Article:
    return Article(
        1,
        f"Fix {number}",
        f"case {number}",
        "",
        "fixed",
        contributors=contributors,
        state=state,
        swarm_id=number,
        number=number,
    )


KNOWN = Article(
    1,
    "Known fix",
    "billing export",
    "",
    "rerun the export",
    contributors=["Ben Okafor", "Chen Wei"],
    state=ArticleState.VALIDATED,
    number=7,
    created_at=at(1, 9, month=1),
)


def week_of_november() -> Data:
    s1 = swarm_file(
        1,
        at(16, 10),
        severity=2,
        tags=("billing", "pdf"),
        skills=("billing", "pdf"),
        status=SwarmStatus.RESOLVED,
        resolved=at(16, 12),
        first_reply=at(16, 10, 20),
        members=(
            member(1, BEN, Role.EXPERT, Via.MATCH, at(16, 10, 20), invited=at(16, 10)),
            member(1, CHEN, Role.HELPER, Via.COMMAND, at(16, 11)),
        ),
        timeline=(
            entry(EventKind.INVITED, at(16, 10), BEN, "billing 5/5"),
            entry(EventKind.ACCEPTED, at(16, 10, 20), BEN),
            entry(EventKind.MESSAGE, at(16, 10, 30), BEN, "Looking at the export logs"),
            entry(EventKind.MESSAGE, at(16, 10, 40), ANA, "Customer says since 4.2"),
            entry(EventKind.JOINED, at(16, 11), CHEN, "helper"),
            entry(EventKind.RESOLVED, at(16, 12), ANA, "cleared the cache"),
        ),
        article=own_article(1, ["Ana Ruiz", "Ben Okafor"]),
    )
    s2 = swarm_file(
        2,
        at(17, 9),
        tags=("tax",),
        skills=("tax",),
        status=SwarmStatus.RESOLVED,
        resolved=at(18, 9),
        members=(
            member(2, DANA, Role.HELPER, Via.REACTION, at(17, 9, 30)),
            member(2, CHEN, Role.HELPER, Via.COMMAND, at(17, 9, 45)),
        ),
        timeline=(
            entry(EventKind.JOINED, at(17, 9, 30), DANA, "helper"),
            entry(EventKind.JOINED, at(17, 9, 45), CHEN, "helper"),
            entry(EventKind.RESOLVED, at(17, 10), ANA, "first try"),
            entry(EventKind.REOPENED, at(17, 11), ANA),
            entry(EventKind.MESSAGE, at(17, 11, 30), ANA, "It is back"),
            entry(EventKind.MESSAGE, at(17, 17, 30), CHEN, "Rounding differs per country"),  # 18:30 in Madrid
            entry(EventKind.RESOLVED, at(18, 9), ANA, "second try"),
        ),
        article=own_article(2, ["Ana Ruiz", "Dana Cohen"]),
    )
    s3 = swarm_file(
        3,
        at(18, 15),
        severity=1,
        tags=("sso",),
        skills=("sso", "kubernetes"),
        members=(
            Member(3, ELI.id or 0, Role.EXPERT, Via.MATCH, invited_at=at(18, 15), declined_at=at(18, 15, 15)),
            Member(3, CHEN.id or 0, Role.EXPERT, Via.MATCH, invited_at=at(18, 15, 15)),
        ),
        timeline=(
            entry(EventKind.INVITED, at(18, 15), ELI, "sso 5/5"),
            entry(EventKind.DECLINED, at(18, 15, 15), ELI, "no answer"),
            entry(EventKind.INVITED, at(18, 15, 15), CHEN, "next best"),
        ),
    )
    s4 = swarm_file(
        4,
        at(19, 8),
        tags=("billing",),
        skills=("billing",),
        status=SwarmStatus.RESOLVED,
        resolved=at(19, 8, 5),
        timeline=(
            entry(EventKind.LINKED, at(19, 8, 5), ANA, "7"),
            entry(EventKind.RESOLVED, at(19, 8, 5), ANA, "Solved by article 7: Known fix"),
        ),
        article=own_article(4, ["Ana Ruiz"], ArticleState.ARCHIVED),
        linked=(KNOWN,),
    )
    s5 = swarm_file(
        5,
        at(10, 9),
        owner=BEN,
        severity=2,
        tags=("billing",),
        status=SwarmStatus.RESOLVED,
        resolved=at(10, 13),
        members=(member(5, BEN, Role.OWNER, Via.COMMAND, at(10, 10)),),
        timeline=(
            entry(EventKind.OWNER_CHANGED, at(10, 10), BEN, "from Ana Ruiz"),
            entry(EventKind.RESOLVED, at(10, 13), BEN, "fixed"),
        ),
        article=own_article(5, ["Ben Okafor"]),
    )
    s6 = swarm_file(
        6,
        at(12, 9),
        requester=DANA,
        tags=("export",),
        skills=("export",),
        status=SwarmStatus.RESOLVED,
        resolved=at(20, 9),
        members=(member(6, CHEN, Role.HELPER, Via.INVITE, at(12, 10)),),
        timeline=(
            entry(EventKind.INVITED, at(12, 10), CHEN, "by Dana Cohen"),
            entry(EventKind.RESOLVED, at(20, 9), DANA, "fixed"),
        ),
        article=own_article(6, ["Dana Cohen", "Chen Wei"]),
    )
    s7 = swarm_file(
        7,
        at(21, 10),
        severity=4,
        tags=("pdf",),
        status=SwarmStatus.CANCELLED,
        members=(member(7, CHEN, Role.OBSERVER, Via.REACTION, at(21, 10, 30)),),
        timeline=(
            entry(EventKind.JOINED, at(21, 10, 30), CHEN, "observer"),  # a Saturday
            entry(EventKind.CANCELLED, at(21, 11), ANA, "duplicate"),
        ),
    )
    s8 = swarm_file(
        8,
        at(13, 9),
        tags=("tax",),
        timeline=(
            entry(EventKind.RESOLVED, at(13, 12), ANA, "fixed?"),
            entry(EventKind.REOPENED, at(18, 9), ANA),
        ),
    )
    articles = (*(f.article for f in (s1, s2, s4, s5, s6) if f.article is not None), KNOWN)
    thanks = (Thanks(1, DANA.id or 0, CHEN.id or 0, at(17, 12), "tax help"), Thanks(1, 1, 2, at(10, 14)))
    answers = (
        CsatAnswer(1, 1, 1, 5, at(16, 12, 1)),
        CsatAnswer(1, 2, 1, 3, at(18, 9, 1)),
        CsatAnswer(1, 5, 2, 2, at(10, 13, 1)),
    )
    return Data((s1, s2, s3, s4, s5, s6, s7, s8), ROSTER, articles, thanks, answers)


@pytest.fixture
def week() -> Data:
    return week_of_november()


def test_swarm_counts_follow_creation_final_resolve_and_cancel(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    assert (found.opened, found.resolved, found.cancelled, found.open_at_end) == (5, 4, 1, 2)
    before = found.previous
    assert before is not None and before.previous is None
    assert (before.since, before.until) == (datetime(2026, 11, 9, tzinfo=UTC), SINCE)
    # Swarm 8 was resolved in the previous week, but it is open again now: it is in no week's resolved count.
    assert (before.opened, before.resolved, before.cancelled, before.open_at_end) == (3, 1, 0, 2)


def test_time_to_resolve_runs_to_the_final_resolve_with_median_and_p90(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    # Swarm 4 took 5m, swarm 1 2h, swarm 2 24h (reopened: from its creation to the second resolve), swarm 6 8 days.
    assert found.time_to_resolve == Durations(4, timedelta(hours=13), timedelta(days=8))
    assert found.by_severity == (
        Group("sev1", Durations()),
        Group("sev2", Durations(1, timedelta(hours=2), timedelta(hours=2))),
        Group("sev3", Durations(3, timedelta(hours=24), timedelta(days=8))),
        Group("sev4", Durations()),
    )
    assert [(g.key, g.durations.count, g.durations.median) for g in found.by_tag] == [
        ("billing", 2, timedelta(hours=1, minutes=2, seconds=30)),
        ("export", 1, timedelta(days=8)),
        ("pdf", 1, timedelta(hours=2)),
        ("tax", 1, timedelta(hours=24)),
    ]
    # By the requester's department: Dana (Finance) opened swarm 6.
    assert [(g.key, g.durations.count) for g in found.by_department] == [("Support", 3), ("Finance", 1)]
    assert found.previous is not None
    assert found.previous.time_to_resolve == Durations(1, timedelta(hours=4), timedelta(hours=4))


def test_first_expert_reply_and_the_swarms_no_expert_ever_answered(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    assert found.first_expert_reply == Durations(1, timedelta(minutes=20), timedelta(minutes=20))
    # Swarm 3: Eli never answered, Chen (asked instead) has not either. Swarms without experts asked do not count.
    assert found.no_expert_reply == 1


def test_no_expert_ever_replied_leaves_the_figure_undefined() -> None:
    lonely = swarm_file(
        1,
        at(16, 10),
        members=(Member(1, BEN.id or 0, Role.EXPERT, Via.MATCH, invited_at=at(16, 10)),),
        timeline=(entry(EventKind.INVITED, at(16, 10), BEN, "billing 5/5"),),
    )
    found = report(Data((lonely,), ROSTER), SINCE, UNTIL)
    assert found.first_expert_reply == Durations(0, None, None)
    assert found.no_expert_reply == 1
    assert found.trend("first_expert_reply").direction is None


def test_time_to_assemble_counts_until_every_needed_skill_is_in_the_room(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    # Swarm 1: Ben brings billing and pdf at 10:20; swarm 2: Dana brings tax at 9:30. Swarm 3 never got sso (Eli
    # declined) nor kubernetes (nobody has it). Swarm 4 was solved by a known article: it needed nobody.
    assert found.time_to_assemble == Durations(2, timedelta(minutes=25), timedelta(minutes=30))
    assert found.not_assembled == 1
    assert found.skill_gaps == (SkillGap("kubernetes", 1, 0), SkillGap("sso", 1, 1))
    # Swarm 6 (previous week): Chen, added with /swarm invite (no join entry, only his membership), brought export.
    assert found.previous is not None
    assert found.previous.time_to_assemble == Durations(1, timedelta(hours=1), timedelta(hours=1))


def test_someone_who_left_is_no_longer_in_the_room() -> None:
    # Ben brings billing and leaves before Chen brings export; billing is back only when Ben joins again.
    came_and_went = swarm_file(
        1,
        at(16, 10),
        skills=("billing", "export"),
        members=(
            member(1, BEN, Role.HELPER, Via.COMMAND, at(16, 13)),
            member(1, CHEN, Role.HELPER, Via.COMMAND, at(16, 12)),
        ),
        timeline=(
            entry(EventKind.JOINED, at(16, 10, 30), BEN, "helper"),
            entry(EventKind.LEFT, at(16, 11), BEN),
            entry(EventKind.JOINED, at(16, 12), CHEN, "helper"),
            entry(EventKind.JOINED, at(16, 13), BEN, "helper"),
        ),
    )
    found = report(Data((came_and_went,), ROSTER), SINCE, UNTIL)
    assert found.time_to_assemble.median == timedelta(hours=3)
    assert found.skill_gaps == ()


def test_speaking_in_the_room_is_taking_part_and_following_is_not() -> None:
    # Chen answers in the room without ever joining (anyone in a Slack channel can); Eli follows as an observer and
    # brings his sso only when he speaks up.
    spoken = swarm_file(
        1,
        at(16, 10),
        skills=("pdf", "sso"),
        status=SwarmStatus.RESOLVED,
        resolved=at(16, 12),
        members=(member(1, ELI, Role.OBSERVER, Via.REACTION, at(16, 10, 5)),),
        timeline=(
            entry(EventKind.JOINED, at(16, 10, 5), ELI, "observer"),
            entry(EventKind.MESSAGE, at(16, 10, 15), CHEN, "Clear the template cache"),
            entry(EventKind.MESSAGE, at(16, 11), ELI, "And renew the SSO certificate"),
            entry(EventKind.RESOLVED, at(16, 12), ANA, "fixed"),
        ),
    )
    found = report(Data((spoken,), ROSTER), SINCE, UNTIL)
    assert found.time_to_assemble.median == timedelta(hours=1)
    assert (found.size_median, found.helps, found.helpers) == (3.0, 2, 2)
    assert [(p.name, p.helps, p.joins, p.messages) for p in found.people] == [
        ("Chen Wei", 1, 0, 1),
        ("Eli Brown", 1, 1, 1),
    ]


def test_size_deflection_links_and_new_versus_known(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    # Resolved: swarm 1 (Ana, Ben, Chen), 2 (Ana, Dana, Chen), 4 (Ana), 6 (Dana, Chen).
    assert (found.size_median, found.size_mean) == (2.5, 2.25)
    assert (found.deflected, found.deflection_rate) == (1, 0.25)
    # Of the five swarms opened, only swarm 4 had a known article linked; article 7 was reused once.
    assert (found.link_rate, found.reuses, found.articles_reused) == (0.2, 1, 1)
    assert (found.new, found.known, found.new_share) == (3, 1, 0.75)


def test_csat_belongs_to_the_swarms_resolved_in_the_period(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    csat = found.csat
    assert (csat.answers, csat.average, csat.satisfied, csat.response_rate) == (2, 4.0, 0.5, 0.5)
    assert csat.scores == (0, 0, 1, 0, 1)
    assert found.previous is not None and found.previous.csat.average == 2.0
    assert found.trend("csat") == Trend("csat", 4.0, 2.0, lower_is_better=False)
    assert found.trend("csat").better is True


def test_right_person_first_time_means_the_first_people_asked_answered_and_were_enough(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    # Of swarms 1, 2 and 6 (4 was deflected): in swarm 1 Ben, asked at opening, answered (no re-invite); swarm 2 had
    # nobody asked (Dana and Chen came on their own); swarm 6 needed a /swarm invite after it opened.
    assert (found.right_first_time, found.right_first_time_rate) == (1, pytest.approx(1 / 3))
    # Swarm 5 was handed over.
    assert found.previous is not None
    assert (found.previous.right_first_time, found.previous.right_first_time_rate) == (0, 0.0)


def test_the_asked_expert_who_never_answered_was_not_the_right_person() -> None:
    # Ben was asked at opening and never answered; Chen, asked by nobody, spoke in the room and wrote the fix.
    quiet = swarm_file(
        1,
        at(16, 10),
        skills=("pdf",),
        status=SwarmStatus.RESOLVED,
        resolved=at(16, 12),
        members=(
            Member(1, BEN.id or 0, Role.EXPERT, Via.MATCH, invited_at=at(16, 10)),
            member(1, CHEN, Role.HELPER, Via.MESSAGE, at(16, 11)),
        ),
        timeline=(
            entry(EventKind.INVITED, at(16, 10), BEN, "pdf 3/5"),
            TimelineEntry(1, EventKind.MESSAGE, at(16, 11), CHEN.id, "Clear the template cache", "m1"),
            TimelineEntry(1, EventKind.SOLUTION, at(16, 11, 5), ANA.id, "Clear the template cache", "m1:mark"),
            entry(EventKind.RESOLVED, at(16, 12), ANA, "cleared the cache"),
        ),
    )
    found = report(Data((quiet,), ROSTER), SINCE, UNTIL)
    assert (found.right_first_time, found.right_first_time_rate) == (0, 0.0)


def test_helper_load_fairness_and_out_of_hours(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    # Ben helped in swarm 1, Dana in 2, Chen in 1 and 2; Chen only followed swarm 7, Ana opened her own.
    assert (found.helps, found.helpers, found.roster) == (4, 3, 5)
    assert found.load == (2, 1, 1)
    assert found.gini == pytest.approx(1 / 6)
    # Nine joins and messages; Chen's message at 18:30 in Madrid and his join on a Saturday were out of hours.
    assert (found.out_of_hours, found.actions) == (2, 9)
    assert found.out_of_hours_share == pytest.approx(2 / 9)
    assert found.people == (
        PersonFigures(1, "Ana Ruiz", "Support", helps=0, joins=0, messages=2, articles=2),
        PersonFigures(2, "Ben Okafor", "R&D", helps=1, joins=1, messages=1, articles=1, reused=1),
        PersonFigures(
            3, "Chen Wei", "R&D", helps=2, joins=3, messages=1, out_of_hours=2, articles=1, reused=1, thanks=1
        ),
        PersonFigures(4, "Dana Cohen", "Finance", helps=1, joins=1, articles=2),
    )
    assert found.people[2].out_of_hours_share == 0.5
    # The week before: Ben took over swarm 5, Chen was added to swarm 6.
    assert found.previous is not None
    assert (found.previous.helps, found.previous.helpers, found.previous.gini) == (2, 2, 0.0)
    assert found.trend("gini").better is False


def test_topics_and_the_weekly_series(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    assert found.topics == (
        Topic("billing", 2),
        Topic("pdf", 2),
        Topic("kubernetes", 1),
        Topic("sso", 1),
        Topic("tax", 1),
    )
    (only,) = found.weeks
    assert (only.week, only.start.isoformat(), only.opened_by_severity, only.opened) == (
        "2026-W47",
        "2026-11-16",
        (1, 1, 2, 1),
        5,
    )
    assert (only.resolved, only.time_to_resolve.median) == (4, timedelta(hours=13))


def test_trends_compare_the_headline_figures(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    resolve = found.trend("time_to_resolve")
    assert (resolve.current, resolve.previous) == (timedelta(hours=13), timedelta(hours=4))
    assert (resolve.direction, resolve.better, resolve.change) == ("up", False, 9 * 3600)
    opened = found.trend("opened")
    assert (opened.direction, opened.better) == ("up", None)
    deflection = found.trend("deflection_rate")
    assert (deflection.current, deflection.previous, deflection.better) == (0.25, 0.0, True)
    assert Trend("helps", 3, 3, None).direction == "same"
    assert [t.name for t in found.trends()][:4] == ["opened", "resolved", "open_at_end", "time_to_resolve"]
    assert report(week, SINCE, UNTIL, compare=False).trend("opened").previous is None


def test_nothing_to_report_is_none_not_zero() -> None:
    found = report(Data(people=ROSTER), SINCE, UNTIL)
    assert (found.opened, found.resolved, found.helps, found.roster) == (0, 0, 0, 5)
    assert found.time_to_resolve == Durations()
    assert None is found.deflection_rate is found.link_rate is found.new_share is found.csat.average
    assert None is found.right_first_time_rate is found.gini is found.out_of_hours_share is found.size_median
    assert found.csat.response_rate is None
    assert [w.opened for w in found.weeks] == [0]
    with pytest.raises(ValueError):
        report(Data(), UNTIL, SINCE)


# -- daylight saving: Europe/Madrid leaves summer time on Sunday 25 October 2026, at 03:00 local (01:00 UTC) ----------

MARIA = Person(1, "María Gil", department="Support", timezone="Europe/Madrid", working_hours=NINE_TO_FIVE, id=6)


def dst_data() -> Data:
    def messages(*moments: datetime) -> tuple[TimelineEntry, ...]:
        return tuple(entry(EventKind.MESSAGE, m, MARIA, "working on it") for m in moments)

    people = {**{p.id: p for p in ROSTER}, MARIA.id: MARIA}

    def resolved(number: int, created: datetime, done: datetime, *extra: TimelineEntry) -> SwarmFile:
        swarm = Swarm(
            1, number, Case(f"case {number}"), 1, "support", SwarmStatus.RESOLVED, created, resolved_at=done, id=number
        )
        crew = Crew(swarm, people[1], ((Member(number, 1, Role.OWNER, Via.COMMAND, created, created), people[1]),))
        timeline = (entry(EventKind.OPENED, created, ANA), *extra, entry(EventKind.RESOLVED, done, ANA))
        return SwarmFile(crew, tuple(TimelineEntry(number, e.kind, e.at, e.person_id, e.text) for e in timeline))

    return Data(
        (
            # Saturday 23:30 summer time to Monday 00:30 winter time: 25 hours on the clock, 26 really passed.
            resolved(1, at(24, 21, 30, month=10), at(25, 23, 30, month=10)),
            # Friday, summer time: 07:30 UTC is 09:30 in Madrid (at work), 15:30 UTC is 17:30 (off).
            resolved(2, at(23, 7, month=10), at(23, 16, month=10), *messages(at(23, 7, 30, 10), at(23, 15, 30, 10))),
            # Monday, winter time: 07:30 UTC is 08:30 in Madrid (off), 15:30 UTC is 16:30 (at work).
            resolved(3, at(26, 7, month=10), at(26, 16, month=10), *messages(at(26, 7, 30, 10), at(26, 15, 30, 10))),
        ),
        (*ROSTER, MARIA),
    )


def test_a_swarm_across_the_dst_change_took_the_hours_that_really_passed() -> None:
    found = report(dst_data(), at(19, 0, month=10), at(2, 0), tz="Europe/Madrid")
    # 9h, 9h and 26h (swarm 1).
    assert found.time_to_resolve == Durations(3, timedelta(hours=9), timedelta(hours=26))


def test_weeks_are_local_weeks_and_working_hours_follow_the_clock_change() -> None:
    data = dst_data()
    # Monday 26 October starts at 23:00 UTC on the 25th in Madrid: swarm 1, resolved at 23:30 UTC, is resolved in
    # week 44 there, and in week 43 in UTC.
    madrid = report(
        data, datetime(2026, 10, 18, 22, tzinfo=UTC), datetime(2026, 11, 1, 23, tzinfo=UTC), "Europe/Madrid"
    )
    assert [(w.week, w.start.isoformat(), w.opened, w.resolved) for w in madrid.weeks] == [
        ("2026-W43", "2026-10-19", 2, 1),
        ("2026-W44", "2026-10-26", 1, 2),
    ]
    assert madrid.weeks[1].time_to_resolve == Durations(2, timedelta(hours=17, minutes=30), timedelta(hours=26))
    utc = report(data, at(19, 0, month=10), at(2, 0), "UTC")
    assert [(w.week, w.opened, w.resolved) for w in utc.weeks] == [("2026-W43", 2, 2), ("2026-W44", 1, 1)]
    # The same UTC hours are in and out of María's 09:00-17:00 on either side of the change.
    (maria,) = madrid.people
    assert (maria.name, maria.messages, maria.out_of_hours) == ("María Gil", 4, 2)


# -- the small pieces -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"), [("", 30), ("7d", 7), ("30d", 30), ("90d", 90), ("90 days", 90), (" 14D ", 14), ("366d", 366)]
)
def test_periods(text: str, days: int) -> None:
    assert parse_period(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["2w", "0d", "367d", "last month", "-7d", "7"])
def test_a_period_that_is_not_days_is_refused(text: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_period(text)
    assert refused.value.reason == "bad_period"


def test_p90_is_the_nearest_rank_and_one_of_the_durations() -> None:
    minutes = [timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert percentile(minutes, 90) == timedelta(minutes=9)
    assert percentile(minutes[:5], 90) == timedelta(minutes=5)
    assert percentile(minutes[:1], 90) == timedelta(minutes=1)
    assert percentile([], 90) is None


def test_fairness_is_over_the_people_who_helped() -> None:
    assert fairness([3, 3, 3, 0, 0, 0]) == 0.0  # three share the work evenly; three others had no case to help on
    assert fairness([1, 1, 1, 9]) == pytest.approx(0.5)
    assert fairness([5]) is None
    assert fairness([]) is None
    assert gini([0, 0, 4, 4]) == pytest.approx(0.5)  # over a roster, the idle half alone makes it 0.5


def test_rows_flatten_everything_and_table_puts_the_previous_period_beside(week: Data) -> None:
    found = report(week, SINCE, UNTIL)
    flat = {(metric, key): value for metric, key, value in rows(found)}
    assert flat[("since", "")] == "2026-11-16T00:00:00+00:00"
    assert flat[("time_to_resolve.median", "")] == 13 * 3600
    assert flat[("time_to_resolve_by_severity.count", "sev3")] == 3
    assert flat[("time_to_resolve_by_severity.median", "sev1")] is None
    assert flat[("csat.scores", "5")] == 1
    assert flat[("person.helps", "Chen Wei")] == 2
    assert flat[("skill_gap.people", "sso")] == 1
    assert flat[("topic.swarms", "billing")] == 2
    assert flat[("week.opened_sev3", "2026-W47")] == 2
    side = {(metric, key): (value, before) for metric, key, value, before in table(found)}
    assert side[("time_to_resolve.median", "")] == (13 * 3600, 4 * 3600)
    assert side[("person.helps", "Dana Cohen")] == (1, None)  # Dana did not help the week before
    assert side[("opened", "")] == (5, 3)
