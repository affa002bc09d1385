import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.expertise import WEIGHTS, Evidence, infer, terms
from bot.matching import (
    OFF_HOURS_FACTOR,
    SIMILAR_CASES,
    SIMILAR_WEIGHT,
    TEXT_WEIGHT,
    MatchIndex,
    Ranking,
    case_skills,
)
from bot.models import Case, Person, WorkingHours

# Wednesday 4 March 2026, 09:14 UTC: 10:14 in Madrid, 09:14 in London, 20:14 in Sydney, 04:14 in New York.
NOW = datetime(2026, 3, 4, 9, 14, tzinfo=UTC)
NINE_TO_FIVE = WorkingHours(time(9), time(17))
BILLING_PDF = Case(text="ACME cannot export invoices to PDF since 4.2", tags=("billing", "pdf"), severity=2)


def person(
    id: int,
    name: str,
    skills: Mapping[str, int],
    *,
    timezone: str = "Europe/Madrid",
    hours: WorkingHours | None = NINE_TO_FIVE,
    **fields: object,
) -> Person:
    return Person(
        workspace_id=1,
        id=id,
        name=name,
        skills=dict(skills),
        timezone=timezone,
        working_hours=hours,
        **fields,  # type: ignore[arg-type]
    )


def names(ranking: Ranking) -> list[str]:
    return [match.person.name for match in ranking.matches]


def ranked(
    people: Sequence[Person],
    case: Case = BILLING_PDF,
    *,
    requester_id: int | None = None,
    load: Mapping[int, int] | None = None,
    limit: int = 3,
    exclude: Sequence[int] = (),
    now: datetime = NOW,
) -> Ranking:
    """The live matcher on a roster without history: declared skills only."""
    index = MatchIndex.build(people, now=now)
    return index.rank(case, now, requester_id=requester_id, load=load or {}, limit=limit, exclude=exclude)


# -- case_skills --------------------------------------------------------------------------------------------------


def test_case_skills_are_tags_first_then_known_skills_named_in_the_text_in_text_order() -> None:
    case = Case(text="ACME pdf export fails in the Reporting API", tags=("billing",))
    known = ["api", "reporting", "export", "pdf", "sso", "billing"]
    assert case_skills(case, known) == ("billing", "pdf", "export", "reporting", "api")


def test_case_skills_without_tags_find_experts_from_the_text() -> None:
    assert case_skills(Case(text="ACME pdf export fails"), {"pdf", "sso"}) == ("pdf",)


def test_a_tag_also_in_the_text_is_listed_once() -> None:
    assert case_skills(Case(text="PDF export fails", tags=("pdf",)), ["pdf", "export"]) == ("pdf", "export")


@pytest.mark.parametrize(
    ("text", "skill", "found"),
    [
        ("the rapid sync fails", "api", False),
        ("the API fails", "api", True),
        ("the api, then the ui", "api", True),
        ("export to PDF.", "pdf", True),
        ("all invoices are blank", "invoice", True),
        ("taxes are wrong", "tax", True),
        ("single sign on loops", "single-sign-on", True),
        ("single-sign-on loops", "single-sign-on", True),
        ("node.js crashes", "node.js", True),
        ("node.js crashes", "js", False),
        ("c++ build breaks", "c++", True),
        ("postgresql is slow", "postgres", False),
        ("we go to the ai page", "go", False),  # too short to trust in free text
    ],
)
def test_skills_match_whole_words_in_the_text(text: str, skill: str, found: bool) -> None:
    assert (skill in case_skills(Case(text=text), [skill])) is found


def test_short_skills_still_count_as_tags() -> None:
    assert case_skills(Case(text="build fails", tags=("go",)), ["go"]) == ("go",)


def test_known_skill_names_are_normalised() -> None:
    assert case_skills(Case(text="the pdf is empty"), ["#PDF"]) == ("pdf",)


# -- rank: who is left out ----------------------------------------------------------------------------------------


def test_the_requester_is_never_a_match() -> None:
    people = [person(1, "Ana", {"billing": 5}), person(2, "Bruno", {"billing": 2})]
    assert names(ranked(people, requester_id=1)) == ["Bruno"]


def test_excluded_people_are_left_out() -> None:
    people = [person(1, "Ana", {"billing": 5}), person(2, "Bruno", {"billing": 2}), person(3, "Chloe", {"pdf": 1})]
    assert names(ranked(people, exclude=[1, 3])) == ["Bruno"]


def test_people_away_are_left_out_until_they_are_back() -> None:
    away = person(1, "Ana", {"billing": 5}, away_until=datetime(2026, 3, 4, 12, tzinfo=UTC))
    back = person(2, "Bruno", {"billing": 2}, away_until=datetime(2026, 3, 4, 9, tzinfo=UTC))
    assert names(ranked([away, back])) == ["Bruno"]


def test_people_at_their_swarm_cap_are_left_out() -> None:
    people = [
        person(1, "Ana", {"billing": 5}, max_active_swarms=2),
        person(2, "Bruno", {"billing": 4}, max_active_swarms=2),
        person(3, "Chloe", {"billing": 3}, max_active_swarms=2),
    ]
    assert names(ranked(people, load={1: 2, 2: 1, 3: 5})) == ["Bruno"]


def test_people_without_any_case_skill_are_left_out() -> None:
    people = [person(1, "Ana", {"sso": 5, "saml": 5}), person(2, "Bruno", {"pdf": 1})]
    assert names(ranked(people)) == ["Bruno"]


def test_nobody_matches_a_case_without_skills() -> None:
    ranking = ranked([person(1, "Ana", {"billing": 5})], Case(text="something odd happened"))
    assert ranking == Ranking(matches=(), skills=(), uncovered=())


# -- rank: order --------------------------------------------------------------------------------------------------


def test_one_five_outweighs_several_low_levels() -> None:
    expert = person(1, "Expert", {"billing": 5})
    generalist = person(2, "Generalist", {"billing": 3, "pdf": 3})
    ranking = ranked([generalist, expert])
    assert names(ranking) == ["Expert", "Generalist"]
    assert [match.score for match in ranking.matches] == [25.0, 18.0]


def test_the_order_does_not_depend_on_the_input_order() -> None:
    people = [person(i, name, {"billing": 3, "pdf": i % 3 + 1}) for i, name in enumerate("EDCBA", start=1)]
    assert names(ranked(people, limit=5)) == names(ranked(list(reversed(people)), limit=5))


# -- rank: what a match says --------------------------------------------------------------------------------------


def test_reasons_name_levels_availability_and_load() -> None:
    ranking = ranked([person(1, "Ana", {"billing": 5, "pdf": 3, "sso": 4})], load={1: 1})
    (match,) = ranking.matches
    assert match.reasons == ("billing 5/5", "pdf 3/5", "online, 10:14 in Europe/Madrid", "1 active swarm")
    assert match.skills == ("billing", "pdf")
    assert match.score == 34.0


def test_people_without_working_hours_are_online() -> None:
    (match,) = ranked([person(1, "Ana", {"pdf": 2}, timezone="UTC", hours=None)]).matches
    assert match.reasons[1] == "online, 09:14 in UTC"
    assert match.score == 4.0


def test_text_skills_from_the_roster_find_experts_without_hashtags() -> None:
    case = Case(text="ACME pdf export fails")
    people = [person(1, "Chloe", {"pdf": 5, "export": 4}), person(2, "Grace", {"sso": 5})]
    ranking = ranked(people, case)
    assert ranking.skills == ("pdf", "export")
    assert names(ranking) == ["Chloe"]
    assert ranking.uncovered == ()


def test_ranking_is_frozen() -> None:
    ranking = ranked([person(1, "Ana", {"billing": 5})])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ranking.matches = ()  # type: ignore[misc]


# -- learned experience past 5/5 ----------------------------------------------------------------------------------

FIX = WEIGHTS["solution"] + WEIGHTS["resolver"]


def fixes(person_id: int, count: int, *, skill: str = "billing", weight: float = FIX) -> list[Evidence]:
    """`count` swarms on `skill` that the person fixed (or, with another weight, only spoke in), one a day to NOW."""
    return [Evidence(person_id, (skill,), weight, NOW - timedelta(days=day + 1), f"case {day}") for day in range(count)]


def test_experience_keeps_growing_with_fixes_where_the_level_stops_at_5() -> None:
    one, ten, fifty = (infer(fixes(1, n), NOW)[1]["billing"] for n in (1, 10, 50))
    assert one.level == ten.level == fifty.level == 5
    assert (one.fixed, ten.fixed, fifty.fixed) == (1, 10, 50)
    assert 4.8 < one.experience < 5 < ten.experience < fifty.experience
    assert fifty.experience - ten.experience < ten.experience - one.experience  # ever more slowly


def test_speaking_in_swarms_is_never_experience() -> None:
    (learned,) = infer(fixes(1, 40, weight=WEIGHTS["speaker"]), NOW)[1].values()
    assert learned.level == 5 and learned.swarms == 40
    assert learned.fixes == 0 and learned.fixed == 0 and learned.experience == 0


def test_the_go_to_expert_outranks_someone_with_one_fix_though_both_are_5_of_5() -> None:
    people = [person(1, "Ana", {}), person(2, "Bruno", {}), person(3, "Chloe", {"billing": 5})]
    evidence = fixes(1, 1) + fixes(2, 30) + fixes(3, 40, weight=WEIGHTS["speaker"])
    index = MatchIndex.build(people, now=NOW, evidence=evidence)
    case = Case(text="charged twice", tags=("billing",), severity=1)
    ranking = index.rank(case, NOW, requester_id=None, load={}, limit=3)
    assert names(ranking) == ["Bruno"]
    assert [m.person.name for m in ranking.alternates] == ["Ana", "Chloe"]
    (bruno,) = ranking.matches
    assert bruno.reasons[0] == "billing 5/5 (learned from 30 fixes)"
    assert bruno.score == pytest.approx(index.inferred[2]["billing"].experience ** 2)
    assert ranking.alternates[0].reasons[0] == "billing 5/5 (learned from 1 fix)"  # one fix: 5/5, not past it
    assert [m.score for m in ranking.alternates] == [25, 25]  # Chloe: declared 5/5, and 40 swarms only spoken in
    assert index.rank(case, NOW, requester_id=None, load={}, limit=3) == index.rank_exhaustive(
        case, NOW, requester_id=None, load={}, limit=3
    )


def test_a_hidden_skill_has_no_experience_either() -> None:
    people = [person(1, "Ana", {}, hidden_skills=["billing"]), person(2, "Bruno", {"billing": 3})]
    index = MatchIndex.build(people, now=NOW, evidence=fixes(1, 30))
    assert index.weigh(people[0], "billing") == (0, 0.0, "")
    case = Case(text="charged twice", tags=("billing",), severity=1)
    assert names(index.rank(case, NOW, requester_id=None, load={})) == ["Bruno"]


def test_experience_off_hours_can_outweigh_an_online_5_of_5() -> None:
    sydney = person(1, "Expert", {}, timezone="Australia/Sydney")
    madrid = person(2, "Known", {"billing": 5})
    index = MatchIndex.build([sydney, madrid], now=NOW, evidence=fixes(1, 2000))
    assert index.inferred[1]["billing"].experience ** 2 * OFF_HOURS_FACTOR > 25
    case = Case(text="charged twice", tags=("billing",), severity=1)
    assert names(index.rank(case, NOW, requester_id=None, load={}, limit=2)) == ["Expert"]


# -- a team led by the best person; who fixed the most similar past cases -----------------------------------------


def solved(person_id: int, texts: Sequence[str], *, skill: str = "billing") -> list[Evidence]:
    """Swarms the person fixed, one a day to NOW, one per text."""
    return [Evidence(person_id, (skill,), FIX, NOW - timedelta(days=day + 1), text) for day, text in enumerate(texts)]


def test_the_team_is_led_by_the_best_person_even_when_they_cover_no_skill_the_case_names() -> None:
    # The case is tagged #pdf by mistake: Ana fixed ten cases like it (billing), Bruno only declared pdf.
    ana, bruno = person(1, "Ana", {}), person(2, "Bruno", {"pdf": 3})
    evidence = solved(1, [f"charged twice for the annual plan seat {n}" for n in range(10)])
    index = MatchIndex.build([ana, bruno], now=NOW, evidence=evidence)
    case = Case(text="ACME charged twice for the annual plan", tags=("pdf",), severity=2)
    ranking = index.rank(case, NOW, requester_id=None, load={})
    assert names(ranking) == ["Ana", "Bruno"]  # Ana leads; Bruno covers the pdf she does not
    assert ranking.matches[0].skills == () and ranking.uncovered == ()
    assert ranking == index.rank_exhaustive(case, NOW, requester_id=None, load={})
    assert names(index.rank(case, NOW, requester_id=None, load={}, limit=1)) == ["Ana"]


def test_only_the_most_similar_past_fixes_vote_for_their_fixer() -> None:
    people = [person(1, "Ana", {}), person(2, "Bruno", {}), person(3, "Chloe", {})]
    close = solved(1, [f"okta assertion redirect loop {n}" for n in range(SIMILAR_CASES)], skill="sso")
    loose = solved(2, [f"okta dashboard widget {n}" for n in range(40)], skill="sso")
    other = solved(3, [f"export csv columns {n}" for n in range(3000)], skill="export")
    index = MatchIndex.build(people, now=NOW, evidence=close + loose + other)
    votes = index.similar(terms("okta assertion redirect loop"))
    assert set(votes) == {1}  # Bruno's cases share one word: none is among the most similar
    total, count = votes[1]
    assert count == SIMILAR_CASES and total > 0
    dashboard = index.similar(terms("okta dashboard"))  # Bruno's forty first, then ten of Ana's fifty
    assert {person_id: count for person_id, (_, count) in dashboard.items()} == {2: 40, 1: SIMILAR_CASES - 40}
    assert dashboard[2][0] > dashboard[1][0]
    assert index.similar(terms("export csv")) == {}  # words in most past fixes say nothing about the problem


def test_the_vote_is_in_the_score_and_the_reasons() -> None:
    people = [person(1, "Ana", {}), person(2, "Bruno", {})]
    evidence = solved(1, ["okta assertion redirect loop"] * 3) + solved(2, ["csv export columns"] * 3)
    index = MatchIndex.build(people, now=NOW, evidence=evidence)
    case = Case(text="okta redirect loop after login", severity=1)
    ranking = index.rank(case, NOW, requester_id=None, load={}, limit=2)
    (ana,) = ranking.matches
    assert "fixed 3 of the most similar past cases" in ana.reasons
    votes = index.similar(terms(case.text))
    text = index._bm25(terms(case.text))[1]
    assert ana.score == pytest.approx(TEXT_WEIGHT * text + SIMILAR_WEIGHT * votes[1][0])
    assert ranking == index.rank_exhaustive(case, NOW, requester_id=None, load={}, limit=2)
