"""The baselines the matching benchmarks compare Swarm's matcher with (bench/matching_baselines.py).

`declared` is matching v1: the best `limit` people by declared skills, a list rather than a team, off hours only
lowering a score. These tests were matching v1's; what still holds for the live matcher is in
tests/bot/test_matching.py.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bench.matching_baselines import Matchers, Method
from bot.matching import OFF_HOURS_FACTOR, MatchIndex, Ranking
from bot.models import Case, Person
from bot.roster import person_from_row
from bot.text import parse_case
from tests.bot.test_matching import BILLING_PDF, NOW, names, person

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def ranked(
    people: Sequence[Person],
    case: Case = BILLING_PDF,
    *,
    requester_id: int | None = None,
    load: Mapping[int, int] | None = None,
    limit: int = 3,
    exclude: Sequence[int] = (),
    now: datetime = NOW,
    method: Method = "declared",
) -> Ranking:
    matchers = Matchers(MatchIndex.build(people, now=now))
    return matchers.rank(
        case, now, method=method, requester_id=requester_id, load=load or {}, limit=limit, exclude=exclude
    )


def test_limit_caps_the_matches() -> None:
    people = [person(i, f"P{i}", {"billing": i}) for i in range(1, 6)]
    assert names(ranked(people, limit=2)) == ["P5", "P4"]
    assert ranked(people, limit=0).matches == ()


def test_more_covered_skills_rank_higher_at_equal_levels() -> None:
    people = [person(1, "One", {"billing": 4}), person(2, "Two", {"billing": 4, "pdf": 4})]
    assert names(ranked(people)) == ["Two", "One"]


def test_online_people_rank_before_equally_skilled_people_off_hours() -> None:
    sydney = person(1, "Asleep", {"billing": 4}, timezone="Australia/Sydney")
    madrid = person(2, "Awake", {"billing": 4})
    ranking = ranked([sydney, madrid])
    assert names(ranking) == ["Awake", "Asleep"]
    assert ranking.matches[1].score == 16 * OFF_HOURS_FACTOR


def test_an_off_hours_expert_can_still_beat_an_online_novice() -> None:
    sydney = person(1, "Expert", {"billing": 5}, timezone="Australia/Sydney")
    madrid = person(2, "Novice", {"billing": 1})
    assert names(ranked([madrid, sydney])) == ["Expert", "Novice"]


def test_ties_go_to_fewer_active_swarms_then_name_then_id() -> None:
    people = [
        person(5, "Zoe", {"billing": 4}),
        person(4, "bea", {"billing": 4}),
        person(3, "Bea", {"billing": 4}),
        person(2, "Ana", {"billing": 4}),
        person(1, "Carl", {"billing": 4}),
    ]
    ranking = ranked(people, load={2: 1, 1: 0}, limit=5)
    assert [(m.person.name, m.person.id) for m in ranking.matches] == [
        ("Bea", 3),
        ("bea", 4),
        ("Carl", 1),
        ("Zoe", 5),
        ("Ana", 2),
    ]


def test_reasons_off_hours() -> None:
    (match,) = ranked([person(1, "Olivia", {"pdf": 2}, timezone="Australia/Sydney")], load={1: 2}).matches
    assert match.reasons == ("pdf 2/5", "off hours, 20:14 in Australia/Sydney", "2 active swarms")


def test_reasons_off_hours_on_a_weekend_name_the_day() -> None:
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    (match,) = ranked([person(1, "Ana", {"pdf": 2})], now=saturday).matches
    assert match.reasons == ("pdf 2/5", "off hours, Sat 12:00 in Europe/Madrid", "no active swarms")


def test_uncovered_lists_case_skills_no_returned_match_has() -> None:
    case = Case(text="SSO and pdf both fail", tags=("billing",))
    people = [
        person(1, "Ana", {"billing": 5}),
        person(2, "Bruno", {"billing": 4}),
        person(3, "Chloe", {"pdf": 1}),  # knows pdf but is not in the top 2
        person(4, "Dee", {"kubernetes": 5}),
    ]
    ranking = ranked(people, case, limit=2)
    assert ranking.skills == ("billing", "pdf")  # nobody knows sso, so the text does not make it a skill
    assert names(ranking) == ["Ana", "Bruno"]
    assert ranking.uncovered == ("pdf",)


def test_tag_rules_count_one_point_per_tag_and_nothing_else() -> None:
    people = [
        person(1, "Ana", {"billing": 5}),
        person(2, "Bruno", {"billing": 1, "pdf": 1}, timezone="Australia/Sydney"),
        person(3, "Chloe", {"export": 5}),  # named in the text only: not a tag
    ]
    ranking = ranked(people, Case(text="PDF export fails", tags=("billing", "pdf")), method="tags")
    assert ranking.skills == ("billing", "pdf")
    assert [(m.person.name, m.score, m.reasons) for m in ranking.matches] == [
        ("Bruno", 2.0, ("billing", "pdf")),
        ("Ana", 1.0, ("billing",)),
    ]


def test_full_is_the_live_matcher() -> None:
    people = [person(1, "Ana", {"billing": 5}), person(2, "Bruno", {"pdf": 3}, timezone="Australia/Sydney")]
    index = MatchIndex.build(people, now=NOW)
    live = index.rank(BILLING_PDF, NOW, requester_id=None, load={})
    assert Matchers(index).rank(BILLING_PDF, NOW, method="full", requester_id=None, load={}) == live
    assert names(live) == ["Ana"] and [m.person.name for m in live.off_hours] == ["Bruno"]


@pytest.mark.parametrize("hour", [0, 3, 6, 9, 12, 15, 18, 21])
def test_the_demo_case_finds_at_least_three_experts_at_any_hour(hour: int) -> None:
    rows = yaml.safe_load((EXAMPLES / "roster.yaml").read_text(encoding="utf-8"))["people"]
    people = [replace(person_from_row(1, row), id=number) for number, row in enumerate(rows, start=1)]
    ana = next(p for p in people if p.name == "Ana Ruiz")
    case = parse_case("ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME")
    now = datetime(2026, 3, 4, hour, 0, tzinfo=UTC)
    ranking = ranked(people, case, requester_id=ana.id, now=now)
    assert len(ranking.matches) == 3
    assert ranking.uncovered == ()
