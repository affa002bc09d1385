"""Matching quality and fairness (issue 5), on synthetic organisations whose true expertise is known.

    .venv/bin/python bench/matching_quality.py            # docs/measurements/matching.md's run: 10 orgs of 300
    .venv/bin/python bench/matching_quality.py --quick    # smoke run: one small organisation, about a second
    .venv/bin/python bench/matching_quality.py --seeds 11 12 13 --check

**Quality.** For each organisation (`bench/synthetic_org.py`: hidden expertise, a noisy roster, a year of history),
one `MatchIndex` is built from the year, then every held-out case is ranked at the moment it was opened, with its
requester excluded, nobody away and nobody loaded, by each method:

- `tags`: Dispatch-style rules: a person matches when one of their declared skills equals one of the case's tags.
- `declared`: matching v1: declared levels of the tags and of the skills the text names, availability and load.
  (These two baselines are in `bench/matching_baselines.py`.)
- `full`: the full matcher: learned expertise, BM25 of the case text, synonyms, departments, severity teams, nobody
  paged out of hours below sev1.
- `oracle`: not a method: the hidden strength² × availability the resolvers were drawn with, i.e. the best hit@k
  any method could expect (the resolver is a random draw, so even the oracle misses).

hit@k: the true resolver is among the method's first k picks. The full matcher returns a *team* (the fewest people
who cover the case's skills, often one), not a list, so every method's first 3 picks are taken the same way, the
way Swarm asks for more people: rank, then rank again excluding those already picked, until there are 3 (or
nobody is left). For `tags` and `declared` this is exactly their top 3.

Hours are modelled honestly: a third of the resolvers were outside their working hours when the case was opened
(the go-to expert in another timezone picks it up in their morning). The main figures rank every case **as sev1**,
so no method sets anyone aside for their hours (off hours still lowers a score ×0.25): they measure who knows.
"As opened" ranks each case at its own severity: the full matcher then does not page anyone off hours below sev1,
so a resolver who was off hours is a miss by design, and the oracle is held to the same rule.

**Fairness.** The held-out month is replayed as swarms opened one after another at their own severity. Each swarm
invites the method's own team, as Swarm would (`declared`: the top 3; `full`: its severity team); an invitation
counts towards the person's load for LOAD_HOURS (people at `max_active_swarms` are skipped) and, for `full`, goes
into the `invitations` map its recent-invitation penalty reads. Reported: the Gini coefficient of invitations per
person over the whole roster (0: everyone asked equally; 1: one person asked every time), and hit@3 within the
month (picks as in the quality table, as sev1, but under the month's load and invitations).

It is a measurement: it exits 0 whatever the figures, or 1 with --check when a target is not met.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/matching_quality.py` as well as `python -m bench.matching_quality`
    sys.path.insert(0, str(ROOT))

from bench.matching_baselines import METHODS, Matchers, Method  # noqa: E402
from bench.synthetic_org import (  # noqa: E402
    OFF_HOURS_AVAILABILITY,
    RESOLVER_EXPONENT,
    SEV1_OFF_HOURS_AVAILABILITY,
    HistoricCase,
    Org,
    generate,
    summary,
)
from bot.matching import MatchIndex  # noqa: E402
from bot.roster import is_working  # noqa: E402

NAMES = {
    "tags": "tag equality (Dispatch-style)",
    "declared": "declared skills (matching v1)",
    "full": "full matcher",
    "oracle": "oracle: hidden expertise (ceiling)",
}
PICKS = 3
LOAD_HOURS = 36  # an invitation keeps the person busy for a day and a half
SEEDS = tuple(range(1, 11))  # ten organisations: one is too few to tell a matcher from luck
TARGET_HIT3 = 0.8
TARGET_RATIO = 1.5
KEPT_MARGIN = 0.03  # "hit@3 kept": the month's hit@3 at most this far below the quality table's


@dataclass(frozen=True)
class Outcome:
    """One method on one held-out case."""

    hit1: bool
    hit3: bool
    hit3_opened: bool  # at the case's own severity
    picks: int


@dataclass(frozen=True)
class QualityRow:
    method: str
    cases: int
    hit1: float
    hit3: float
    hit3_opened: float
    picks: float
    per_seed: tuple[float, ...]  # hit@3 of each organisation


@dataclass(frozen=True)
class Month:
    """One method over one organisation's simulated month."""

    method: str
    swarms: int
    invitations: int
    gini: float
    asked: int  # people invited at least once
    top_share: float  # share of all invitations that went to the 10 % most-invited people
    hits: int  # hit@3 under the month's load and invitations
    team_hits: int  # the true resolver was among those actually invited


@dataclass(frozen=True)
class FairnessRow:
    method: str
    swarms: int
    invitations: int
    gini: float  # mean over the organisations
    gini_per_seed: tuple[float, ...]
    asked: float
    top_share: float
    hit3: float
    team_hit: float


@dataclass(frozen=True)
class Report:
    orgs: list[Org]
    quality: list[QualityRow]
    fairness: list[FairnessRow]
    build_seconds: float

    def row(self, method: str) -> QualityRow:
        return next(r for r in self.quality if r.method == method)

    def fair(self, method: str) -> FairnessRow:
        return next(r for r in self.fairness if r.method == method)


def picks(
    matchers: Matchers,
    item: HistoricCase,
    method: Method,
    *,
    load: Mapping[int, int] | None = None,
    invitations: Mapping[int, Sequence[datetime]] | None = None,
    severity: int | None = 1,
    k: int = PICKS,
) -> list[int]:
    """The method's first k picks for the case: rank, then rank again without those already picked.

    `severity` overrides the case's (1 by default: nobody set aside for their hours); None keeps it."""
    case = item.case if severity is None else dataclasses.replace(item.case, severity=severity)
    chosen: list[int] = []
    while len(chosen) < k:
        ranking = matchers.rank(
            case,
            item.at,
            method=method,
            requester_id=item.requester_id,
            load=load or {},
            limit=k - len(chosen),
            exclude=chosen,
            invitations=invitations,
        )
        found = [m.person.id for m in ranking.matches if m.person.id is not None]
        if not found:
            break
        chosen.extend(found)
    return chosen[:k]


def oracle_picks(org: Org, item: HistoricCase, *, as_opened: bool = False, k: int = PICKS) -> list[int]:
    """The k people the hidden truth makes likeliest to have resolved the case (as opened: only people at work,
    below sev1)."""
    severity = item.case.severity
    off = SEV1_OFF_HOURS_AVAILABILITY if severity == 1 else OFF_HOURS_AVAILABILITY
    scored = []
    for person in org.people:
        strength = org.expertise[person.id or 0].get(item.topic, 0.0)
        if person.id == item.requester_id or strength <= 0:
            continue
        online = is_working(person, item.at)
        if as_opened and severity > 1 and not online:
            continue
        scored.append((-(strength**RESOLVER_EXPONENT) * (1.0 if online else off), person.id or 0))
    return [person_id for _, person_id in sorted(scored)[:k]]


def outcomes(org: Org, matchers: Matchers) -> dict[str, list[Outcome]]:
    """method → one outcome per held-out case."""
    found: dict[str, list[Outcome]] = {
        method: [
            _outcome(item, picks(matchers, item, method), picks(matchers, item, method, severity=None))
            for item in org.held_out
        ]
        for method in METHODS
    }
    found["oracle"] = [
        _outcome(item, oracle_picks(org, item), oracle_picks(org, item, as_opened=True)) for item in org.held_out
    ]
    return found


def _outcome(item: HistoricCase, top: Sequence[int], opened: Sequence[int]) -> Outcome:
    truth = item.resolver_id
    return Outcome(truth in top[:1], truth in top, truth in opened, len(top))


def month(org: Org, matchers: Matchers, method: str) -> Month:
    """Replay the held-out month as swarms, one after another; see the module's docstring."""
    ranks: Method = "declared" if method == "declared" else "full"
    penalty = method == "full"
    invited: dict[int, list[datetime]] = {}
    hits = team_hits = total = 0
    for item in org.held_out:
        since = item.at - timedelta(hours=LOAD_HOURS)
        load = {pid: n for pid, times in invited.items() if (n := sum(1 for t in times if since < t <= item.at))}
        recent = invited if penalty else None
        hits += item.resolver_id in picks(matchers, item, ranks, load=load, invitations=recent)
        team = matchers.rank(
            item.case, item.at, method=ranks, requester_id=item.requester_id, load=load, invitations=recent
        )
        for match in team.matches:
            if match.person.id is not None:
                invited.setdefault(match.person.id, []).append(item.at)
                total += 1
        team_hits += any(m.person.id == item.resolver_id for m in team.matches)
    counts = sorted((len(invited.get(p.id or 0, ())) for p in org.people), reverse=True)
    tenth = max(1, len(counts) // 10)
    return Month(
        method=method,
        swarms=len(org.held_out),
        invitations=total,
        gini=gini(counts),
        asked=sum(1 for c in counts if c),
        top_share=sum(counts[:tenth]) / total if total else 0.0,
        hits=hits,
        team_hits=team_hits,
    )


def gini(values: Sequence[float]) -> float:
    """0 when everyone has the same, towards 1 when one has everything (mean absolute difference / 2 × mean)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


FAIRNESS_METHODS = ("declared", "full", "full, no recent-invitation penalty")


def run(seeds: Iterable[int] = SEEDS, people: int = 300, cases_per_year: int = 5000) -> Report:
    orgs: list[Org] = []
    by_method: dict[str, list[list[Outcome]]] = {}
    months: dict[str, list[Month]] = {}
    build_seconds = 0.0
    for seed in seeds:
        org = generate(seed=seed, people=people, cases_per_year=cases_per_year)
        started = time.perf_counter()
        index = MatchIndex.build(org.people, now=org.split, evidence=org.evidence)
        build_seconds += time.perf_counter() - started
        orgs.append(org)
        matchers = Matchers(index)
        for method, rows in outcomes(org, matchers).items():
            by_method.setdefault(method, []).append(rows)
        for method in FAIRNESS_METHODS:
            months.setdefault(method, []).append(month(org, matchers, method))
    quality = []
    for method, per_org in by_method.items():
        pooled = [o for rows in per_org for o in rows]
        quality.append(
            QualityRow(
                method=method,
                cases=len(pooled),
                hit1=_rate(o.hit1 for o in pooled),
                hit3=_rate(o.hit3 for o in pooled),
                hit3_opened=_rate(o.hit3_opened for o in pooled),
                picks=statistics.fmean(o.picks for o in pooled) if pooled else 0.0,
                per_seed=tuple(_rate(o.hit3 for o in rows) for rows in per_org),
            )
        )
    fairness = []
    for method, runs in months.items():
        swarms = sum(m.swarms for m in runs)
        fairness.append(
            FairnessRow(
                method=method,
                swarms=swarms,
                invitations=sum(m.invitations for m in runs),
                gini=statistics.fmean(m.gini for m in runs),
                gini_per_seed=tuple(m.gini for m in runs),
                asked=statistics.fmean(m.asked for m in runs),
                top_share=statistics.fmean(m.top_share for m in runs),
                hit3=sum(m.hits for m in runs) / swarms if swarms else 0.0,
                team_hit=sum(m.team_hits for m in runs) / swarms if swarms else 0.0,
            )
        )
    return Report(orgs, quality, fairness, build_seconds)


def targets(report: Report) -> list[tuple[str, bool]]:
    full, tags = report.row("full"), report.row("tags")
    fair_full, fair_declared = report.fair("full"), report.fair("declared")
    ratio = full.hit3 / tags.hit3 if tags.hit3 else float("inf")
    lower_everywhere = all(f < d for f, d in zip(fair_full.gini_per_seed, fair_declared.gini_per_seed, strict=True))
    return [
        (f"quality: full matcher hit@3 {full.hit3:.3f} ≥ {TARGET_HIT3}", full.hit3 >= TARGET_HIT3),
        (f"quality: full matcher hit@3 ≥ {TARGET_RATIO}× tag rules' ({ratio:.2f}×)", ratio >= TARGET_RATIO),
        (
            f"fairness: Gini full {fair_full.gini:.3f} < declared {fair_declared.gini:.3f} (in every organisation)",
            lower_everywhere,
        ),
        (
            f"fairness: hit@3 kept over the month ({fair_full.hit3:.3f} vs {full.hit3:.3f} without load or "
            f"invitations; at most {KEPT_MARGIN} lower)",
            fair_full.hit3 >= full.hit3 - KEPT_MARGIN,
        ),
    ]


def tables(report: Report) -> list[str]:
    seeds = ", ".join(str(o.seed) for o in report.orgs)
    lines = [
        "| method | hit@1 | hit@3 | hit@3 per organisation | hit@3 as opened | picks per case |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report.quality:
        per_seed = " / ".join(f"{h:.2f}" for h in row.per_seed)
        lines.append(
            f"| {NAMES.get(row.method, row.method)} | {row.hit1:.3f} | {row.hit3:.3f} | {per_seed} | "
            f"{row.hit3_opened:.3f} | {row.picks:.2f} |"
        )
    lines.append(f"\n{report.quality[0].cases} held-out cases from {len(report.orgs)} organisations (seeds {seeds}).\n")
    lines += [
        "| simulated month | swarms | invitations | Gini | Gini per organisation | people asked | "
        "top 10 % share | hit@3 | resolver invited |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for fair in report.fairness:
        per_seed = " / ".join(f"{g:.2f}" for g in fair.gini_per_seed)
        lines.append(
            f"| {fair.method} | {fair.swarms} | {fair.invitations} | {fair.gini:.3f} | {per_seed} | {fair.asked:.0f} | "
            f"{fair.top_share:.0%} | {fair.hit3:.3f} | {fair.team_hit:.3f} |"
        )
    return lines


def _rate(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small organisation: a smoke run of about a second")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help=f"organisations (default {SEEDS})")
    parser.add_argument("--people", type=int, default=None, help="people per organisation (default 300)")
    parser.add_argument("--cases", type=int, default=None, help="cases per year (default 5000)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    args = parser.parse_args(argv)
    seeds = args.seeds or ((1,) if args.quick else SEEDS)
    people = args.people or (60 if args.quick else 300)
    cases = args.cases or (600 if args.quick else 5000)
    started = time.perf_counter()
    report = run(seeds=seeds, people=people, cases_per_year=cases)
    for org in report.orgs:
        print("\n".join(summary(org)))
    print(f"indexes built in {report.build_seconds:.2f} s; whole run {time.perf_counter() - started:.1f} s\n")
    print("\n".join(tables(report)))
    print()
    met = True
    for text, ok in targets(report):
        print(f"{'MET    ' if ok else 'NOT MET'}  {text}")
        met = met and ok
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
