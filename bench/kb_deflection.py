"""Deflection in a simulated month (issue 6): the share of new cases that a validated article answers at open.

    .venv/bin/python bench/kb_deflection.py                     # 4 weeks, 20 cases a working day, SQLite
    .venv/bin/python bench/kb_deflection.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/kb_deflection.py --quick             # smoke run: 1 week, 8 cases a day

A support team starts using Swarm with an empty knowledge base and works a month through Swarm's core, on a real
database, with the clock moved along the month:
- **Cases.** Every working day `CASES_PER_DAY` cases come in, spread over the day, opened in turn by five agents. A
  case is one of `POOL` support problems of `bench/kb_corpus.py`, drawn by popularity (weight 1 / rank^`ZIPF`: a few
  problems come back every week, most are rare — support's long tail), and typed as an agent types it: other words,
  the trigger sometimes left out, a typo now and then, no tags, its own version and customer.
- **Known issue first.** `/swarm <case>` shows the 3 articles most like the case (`Opened.similar`). When one is a
  *validated* article about the case's problem, the agent presses "This solved it" (`SwarmService.reuse`,
  solved): the swarm is resolved by reuse, nobody is paged — a deflection. A draft about the problem in those 3 is
  counted apart ("a draft was shown"): by the issue's definition only a validated article deflects.
- **Otherwise the room swarms** and the owner resolves it with the fix and its cause (`SwarmService.resolve`), which
  turns the swarm's work-in-progress article into a draft, in the requester's words (KCS). When the problem already
  had an article that search did not show, the new one is a duplicate (counted).
- **Validation.** At the end of each day the support lead, a publisher in the roster, validates each draft waiting
  with probability `VALIDATE` (`Curation.validate`); the others wait for a later day.

The report gives, per week, the cases, the deflections and their share, and the knowledge base at the week's end;
then the month's deflection rate as `swarm stats` / `/dashboard` report it (`Analytics.report`), which must agree
with the count. With the semantic extra installed the month is run twice, with keyword and with hybrid search.
It is a measurement: no target is set; it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_deflection.py` as well as `python -m bench.kb_deflection`
    sys.path.insert(0, str(ROOT))

from bench import kb_corpus  # noqa: E402
from bench.common import swarm_embedder  # noqa: E402
from bench.kb_search import database  # noqa: E402
from bot.context import Actor  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.models import ArticleState  # noqa: E402
from bot.ports import Embedder  # noqa: E402
from bot.swarms import Policy  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from tests.harness import Clock  # noqa: E402

WEEKS, QUICK_WEEKS = 4, 1
CASES_PER_DAY, QUICK_CASES_PER_DAY = 20, 8
POOL = 150  # the support problems the month's cases are drawn from
ZIPF = 1.0
VALIDATE = 0.8
SHOWN = 3
WORKSPACE = "kb-deflection"
CHANNEL = "C-SUPPORT"
MONDAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
AGENTS = ("ana", "bo", "cy", "dee", "eve")
LEAD = "lee"
# The experts cases are matched to: each covers some of the corpus's tags, so every case has someone to ask.
EXPERTS = {
    "ivan": {"billing": 5, "pdf": 4, "export": 3, "csv": 3},
    "jo": {"sso": 5, "auth": 4, "email": 3},
    "kim": {"api": 5, "webhooks": 4, "integrations": 3},
    "lu": {"mobile": 5, "notifications": 4, "ios": 3, "android": 3},
    "max": {"reports": 4, "search": 4, "performance": 4, "imports": 3},
    "ned": {"payments": 5, "billing": 3, "tax": 4},
}


@dataclass
class Week:
    cases: int = 0
    deflected: int = 0
    draft_shown: int = 0
    duplicates: int = 0
    validated_at_end: int = 0
    drafts_at_end: int = 0

    @property
    def share(self) -> float:
        return self.deflected / self.cases if self.cases else 0.0


@dataclass
class Month:
    backend: str
    method: str
    weeks: list[Week] = field(default_factory=list)
    reported_deflected: int = 0
    reported_rate: float | None = None
    resolved: int = 0
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return sum(w.cases for w in self.weeks)

    @property
    def deflected(self) -> int:
        return sum(w.deflected for w in self.weeks)


def roster() -> list[tuple[int, dict[str, object]]]:
    everyone: list[dict[str, object]] = [
        {"name": name.title(), "email": f"{name}@example.com", "skills": {"support": 3}, "working_hours": "00:00-23:59"}
        for name in AGENTS
    ]
    everyone.append(
        {
            "name": "Lee Lead",
            "email": f"{LEAD}@example.com",
            "skills": {"support": 5},
            "publisher": "yes",
            "working_hours": "00:00-23:59",
        }
    )
    for name, skills in EXPERTS.items():
        everyone.append({"name": name.title(), "email": f"{name}@example.com", "skills": skills})
    return list(enumerate(everyone, start=1))


def actor(name: str) -> Actor:
    return Actor(WORKSPACE, "console", f"{name}@example.com", name.title())


def popularity(rng: random.Random) -> tuple[list[kb_corpus.Problem], list[float]]:
    pool = kb_corpus.problems(rng, POOL, distinct=True)
    return pool, [1 / (rank**ZIPF) for rank in range(1, len(pool) + 1)]


async def simulate(url: str, weeks: int, per_day: int, seed: int, embedder: Embedder | None) -> Month:
    backend = "sqlite" if url == "sqlite" else "postgresql"
    month = Month(backend, "keyword" if embedder is None else "hybrid")
    rng = random.Random(seed)
    pool, weights = popularity(rng)
    clock = Clock(MONDAY)  # the core reads it, the month moves it
    began = time.perf_counter()
    async with database(url) as path:
        store = SqlStore(path)
        try:
            # No cap on openings per agent: a busy support day is the point here, not a runaway script.
            core = Core.build(store, Policy(open_limit=None), clock, embedder=embedder)
            await core.people.import_roster(WORKSPACE, roster())
            problem_of: dict[int, kb_corpus.Problem] = {}  # article number → the problem it is about
            written: Counter[kb_corpus.Problem] = Counter()
            drafts: list[int] = []
            turn = 0
            for week_number in range(weeks):
                week = Week()
                for day in range(5):
                    start = MONDAY + timedelta(weeks=week_number, days=day)
                    for case in range(per_day):
                        clock.now = start + timedelta(minutes=case * (9 * 60) // per_day)
                        problem = rng.choices(pool, weights)[0]
                        slots = kb_corpus.draw_slots(rng)
                        asked = kb_corpus.question(problem, 0, rng, slots).text
                        agent = actor(AGENTS[turn % len(AGENTS)])
                        turn += 1
                        week.cases += 1
                        opened = await core.swarms.open(agent, asked, CHANNEL)
                        number = opened.crew.swarm.number
                        about = [
                            h.article for h in opened.similar[:SHOWN] if problem_of.get(h.article.number) == problem
                        ]
                        known = next((a for a in about if a.state is ArticleState.VALIDATED), None)
                        clock.now += timedelta(minutes=5)
                        if known is not None:
                            await core.swarms.reuse(agent, CHANNEL, known.number, number=number, solved=True)
                            week.deflected += 1
                            continue
                        week.draft_shown += any(a.state is ArticleState.DRAFT for a in about)
                        clock.now += timedelta(minutes=rng.randint(20, 120))
                        fix, cause = rng.choice(kb_corpus.FIXES[problem.symptom])
                        resolution = fix.format(thing=kb_corpus.THINGS[problem.thing].forms[0], **slots)
                        resolved = await core.swarms.resolve(agent, CHANNEL, f"{resolution} cause: {cause}", number)
                        problem_of[resolved.article.number] = problem
                        week.duplicates += written[problem] > 0
                        written[problem] += 1
                        drafts.append(resolved.article.number)
                    clock.now = start + timedelta(hours=10)
                    waiting = []
                    for article_number in drafts:
                        if rng.random() < VALIDATE:
                            await core.curation.validate(actor(LEAD), article_number)
                        else:
                            waiting.append(article_number)
                    drafts = waiting
                week.validated_at_end = len(problem_of) - len(drafts)
                week.drafts_at_end = len(drafts)
                month.weeks.append(week)
            report = await core.analytics.report(WORKSPACE, MONDAY, MONDAY + timedelta(weeks=weeks))
            month.reported_deflected, month.reported_rate = report.deflected, report.deflection_rate
            month.resolved = report.resolved
        finally:
            await store.close()
    month.seconds = time.perf_counter() - began
    return month


def table(months: Sequence[Month]) -> str:
    lines = [
        "| backend | search | week | cases | deflected | share | a draft was shown | duplicates | validated at end |"
        " drafts at end |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in months:
        for n, w in enumerate(m.weeks, start=1):
            lines.append(
                f"| {m.backend} | {m.method} | {n} | {w.cases} | {w.deflected} | {w.share:.0%} | {w.draft_shown} |"
                f" {w.duplicates} | {w.validated_at_end} | {w.drafts_at_end} |"
            )
        share = m.deflected / m.cases if m.cases else 0.0
        lines.append(
            f"| {m.backend} | {m.method} | **month** | {m.cases} | {m.deflected} | **{share:.0%}** |"
            f" {sum(w.draft_shown for w in m.weeks)} | {sum(w.duplicates for w in m.weeks)} | | |"
        )
    return "\n".join(lines)


async def run(urls: Sequence[str], weeks: int, per_day: int, seed: int, hybrid: bool) -> str:
    embedder = swarm_embedder() if hybrid else None
    months = []
    for url in urls:
        for model in (None, embedder) if embedder is not None else (None,):
            method = "keyword" if model is None else "hybrid"
            sys.stderr.write(f"… {url.split('?')[0]}: {weeks} week(s), {per_day} cases a day, {method}\n")
            months.append(await simulate(url, weeks, per_day, seed, model))
    lines = [table(months), ""]
    for m in months:
        agrees = "agrees" if m.reported_deflected == m.deflected else "DISAGREES"
        rate = "—" if m.reported_rate is None else f"{m.reported_rate:.0%}"
        lines.append(
            f"{m.backend}, {m.method}: the month's report (Analytics.report) counts {m.reported_deflected} deflections"
            f" of {m.resolved} resolved swarms, deflection rate {rate} — {agrees} with the simulation"
            f" ({m.deflected}); {m.seconds:.0f} s"
        )
    if embedder is None:
        lines.append("hybrid: NOT MEASURED (semantic extra not installed)" if hybrid else "hybrid: not asked for")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument(
        "--database", action="append", help='"sqlite" (a temporary file, the default) or a PostgreSQL URL; repeatable'
    )
    options.add_argument("--weeks", type=int, help=f"weeks simulated (default {WEEKS})")
    options.add_argument("--cases", type=int, help=f"cases a working day (default {CASES_PER_DAY})")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--quick", action="store_true", help="smoke run: 1 week, 8 cases a day")
    options.add_argument("--keyword-only", action="store_true", help="keyword search only, even with the extra")
    args = options.parse_args(argv)
    weeks = args.weeks or (QUICK_WEEKS if args.quick else WEEKS)
    per_day = args.cases or (QUICK_CASES_PER_DAY if args.quick else CASES_PER_DAY)
    print(asyncio.run(run(args.database or ["sqlite"], weeks, per_day, args.seed, hybrid=not args.keyword_only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
