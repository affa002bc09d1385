"""The matching benchmarks run end to end (quick mode) and their tables are complete and sane.

No timing is asserted here: speed is measured by `bench/matching_speed.py`, never by a timed test. What is asserted
is what does not depend on the machine: every row is there, rates are rates, Gini coefficients are in [0, 1], the
generator is reproducible, and the fast search in `MatchIndex.rank` gives exactly what scoring everyone gives.
"""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import time, timedelta

import pytest

from bench.matching_quality import gini
from bench.synthetic_org import generate
from bot.matching import MatchIndex
from bot.models import WorkingHours
from tests.bench.quick import run_bench

QUALITY_ROWS = (
    "tag equality (Dispatch-style)",
    "declared skills (matching v1)",
    "full matcher",
    "oracle: hidden expertise (ceiling)",
)
FAIRNESS_ROWS = ("declared", "full", "full, no recent-invitation penalty")


def rows(output: str, header: str) -> dict[str, list[str]]:
    """The rows of the Markdown table whose first header cell is `header`: first cell → the other cells."""
    found: dict[str, list[str]] = {}
    inside = False
    for line in output.splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == header:
            inside = True
        elif inside and not cells[0].startswith("-") and not cells[0].startswith(":"):
            found[cells[0]] = cells[1:]
    return found


@pytest.fixture(scope="module")
def quality() -> str:
    return run_bench("matching_quality.py")


@pytest.fixture(scope="module")
def speed() -> str:
    return run_bench("matching_speed.py")


def test_the_quality_table_has_every_method_and_rates_are_rates(quality: str) -> None:
    table = rows(quality, "method")
    assert tuple(table) == QUALITY_ROWS
    for cells in table.values():
        hit1, hit3, hit3_opened = float(cells[0]), float(cells[1]), float(cells[3])
        assert 0 <= hit1 <= hit3 <= 1
        assert 0 <= hit3_opened <= 1
        assert 0 <= float(cells[4]) <= 3  # picks per case


def test_the_fairness_table_has_every_method_and_gini_is_in_0_1(quality: str) -> None:
    table = rows(quality, "simulated month")
    assert tuple(table) == FAIRNESS_ROWS
    for cells in table.values():
        swarms, invitations, coefficient = int(cells[0]), int(cells[1]), float(cells[2])
        assert swarms > 0 and invitations > 0
        assert 0 <= coefficient <= 1
        assert 0 <= float(cells[6]) <= 1 and 0 <= float(cells[7]) <= 1  # hit@3, resolver invited


def test_every_target_is_judged(quality: str) -> None:
    verdicts = re.findall(r"^(MET|NOT MET) +(\w+):", quality, re.MULTILINE)
    assert [area for _, area in verdicts] == ["quality", "quality", "fairness", "fairness"]


def test_the_speed_table_has_every_size_and_the_fast_search_agrees(speed: str) -> None:
    table = rows(speed, "people")
    assert tuple(table) == ("200", "1,000")
    for cells in table.values():
        assert int(cells[0].replace(",", "")) > 0  # swarms
        assert all(float(cell.split()[0]) >= 0 for cell in cells[2:9])  # seconds and milliseconds
        assert cells[-1] == "yes"


def test_gini() -> None:
    assert gini([]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([3, 3, 3, 3]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # one person has everything: (n - 1) / n
    rng = random.Random(5)
    for _ in range(50):
        assert 0 <= gini([rng.randint(0, 9) for _ in range(rng.randint(1, 30))]) <= 1


def test_the_generator_is_reproducible_and_noisy_as_documented() -> None:
    first, again = generate(seed=3, people=60, cases_per_year=400), generate(seed=3, people=60, cases_per_year=400)
    assert [c.case for c in first.history] == [c.case for c in again.history]
    assert [p.skills for p in first.people] == [p.skills for p in again.people]
    assert first.held_out and all(c.at >= first.split for c in first.held_out)
    assert all(c.at < first.split for c in first.history)
    assert any(not p.skills for p in first.people)  # some declared nothing
    tagged = sum(1 for c in first.history if c.case.tags) / len(first.history)
    assert 0.25 <= tagged <= 0.6
    assert all(c.resolver_id != c.requester_id for c in first.history)


def test_the_fast_search_gives_exactly_what_scoring_everyone_gives() -> None:
    org = generate(seed=4, people=80, cases_per_year=900)
    rng = random.Random(4)
    learned = MatchIndex.build(org.people, now=org.split, evidence=org.evidence).inferred
    for person in org.people:  # what a real roster also has: people away, night shifts, hidden and learning skills
        if rng.random() < 0.05:
            person.away_until = org.split + timedelta(days=rng.randint(-3, 40))
        if rng.random() < 0.05:
            person.working_hours = WorkingHours(time(22), time(6))
        if rng.random() < 0.1:
            person.max_active_swarms = 1
        if learned.get(person.id or 0) and rng.random() < 0.1:
            person.hidden_skills = [rng.choice(sorted(learned[person.id or 0]))]
        if rng.random() < 0.1:
            person.learning = rng.sample(["billing", "SSO", "k8s", "pdf", "saml"], 2)
    index = MatchIndex.build(org.people, now=org.split, evidence=org.evidence)
    ids = [p.id for p in org.people if p.id is not None]
    for _ in range(250):
        item = rng.choice(org.held_out)
        case = dataclasses.replace(item.case, severity=rng.randint(1, 4))
        if rng.random() < 0.2:
            case = dataclasses.replace(case, tags=tuple(rng.sample(["billing", "pdf", "saml", "refund", "api"], 2)))
        at = item.at + timedelta(hours=rng.choice([0, 7, 13]))
        invited = {pid: [at - timedelta(days=rng.uniform(0, 20))] for pid in rng.sample(ids, 10)}
        kwargs = {
            "requester_id": item.requester_id,
            "load": {pid: rng.randint(1, 3) for pid in rng.sample(ids, 8)},
            "limit": rng.choice([None, 0, 1, 3, 5]),
            "exclude": rng.sample(ids, rng.randint(0, 3)),
            "invitations": invited if rng.random() < 0.7 else None,
        }
        assert index.rank(case, at, **kwargs) == index.rank_exhaustive(case, at, **kwargs)  # type: ignore[arg-type]
