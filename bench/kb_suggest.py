"""'Maybe known' suggestions (issue 23): how often a new case's card shows its article, and how often it shows an
article to a case the knowledge base does not answer.

    .venv/bin/python bench/kb_suggest.py                       # both case sets, keyword and hybrid, SQLite
    .venv/bin/python bench/kb_suggest.py --data ../shared/kb-dev-data
    .venv/bin/python bench/kb_suggest.py --quick               # smoke run: the built-in set, small
    .venv/bin/python bench/kb_suggest.py --dump /work/data/evidence.jsonl   # and each case's search evidence
    .venv/bin/python bench/kb_suggest.py --sweep /work/data/evidence.jsonl  # the rule's settings, judged offline

A knowledge base is loaded into a fresh database, then new cases are opened against it: *answerable* ones, whose
answer is an article of the knowledge base, and *unanswerable* ones, whose problem no article is about. Each case's
suggestions are those a swarm's card shows at its opening ("Maybe known", `bot.swarms.maybe_known`), and, measured in
the same process on the same database, those the old rule showed: the first 3 search hits, whatever they shared with
the case (`known_issues`). Reported per set and method:
- **right shown**: the share of answerable cases whose article is among the suggestions (goal ≥ 80 %);
- **wrong shown, answerable**: the share of answerable cases shown an article that is not their answer as well;
- **any shown, unanswerable**: the share of unanswerable cases shown an article at all: every one of those is
  unrelated to its answer, since the knowledge base has none (goal ≤ 10 %);
- the mean number of suggestions a card shows.

Case sets:
- `support` (built in, always run): `bench/kb_corpus.py`'s support problems (a thing, a symptom, a trigger). The
  knowledge base has an article for each of `ARTICLES` different problems; an answerable case is a question about
  one of them, in other words (kb_corpus.question); an unanswerable case is a question about a problem whose thing
  and symptom together no article has (its thing, or its symptom, often has articles: hard to tell apart).
- `banking77` (when the data directory holds `banking77_train.csv`, read from there and never copied): customers'
  own questions to an online bank, each labelled with one of 77 intents. The knowledge base has an article for
  `INTENTS` of the intents (its name as the title, `ISSUE_QUESTIONS` questions of it as the issue, `ASKED_QUESTIONS`
  more as the ways it was asked before); the other intents' questions are the unanswerable cases, the remaining
  questions of the article's intents the answerable ones. Neighbouring intents ("card arrival", "card delivery
  estimate") make the unanswerable cases hard too.
Without the semantic extra, the hybrid rows say NOT MEASURED. It exits 0 whatever the figures.

Thresholds are chosen without searching again: `--dump` writes each case's search evidence (its hits with their rank
and `matched`, its nearest articles with their cosine), and `--sweep` runs `likely_answers` on it with each setting
of `SWEEP` (the same sets are made again from the same seed, size and data), listing the settings that show
anything to at most 10 % of the unanswerable cases on every set and method, most right ones first.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_suggest.py` as well as `python -m bench.kb_suggest`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from adapters import semantic as semantic_extra  # noqa: E402
from bench import kb_corpus  # noqa: E402
from bench.kb_search import database  # noqa: E402
from bot.models import Article, ArticleHit, ArticleState  # noqa: E402
from bot.ports import Embedder  # noqa: E402
from bot.semantic import SemanticSearch  # noqa: E402
from bot.suggestions import CANDIDATES, CHOSEN, Thresholds, likely_answers  # noqa: E402
from bot.swarms import SIMILAR_ARTICLES, known_issues, maybe_known  # noqa: E402
from bot.text import parse_case  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from storage.search import forget_term_counts, with_rank_columns  # noqa: E402
from storage.tables import ArticleRow  # noqa: E402

ARTICLES, QUICK_ARTICLES = 300, 60
INTENTS = 40
ISSUE_QUESTIONS = 3
ASKED_QUESTIONS = 5
CASES, QUICK_CASES = 300, 60  # answerable and unanswerable cases, each, per set
DATA = ROOT.parent / "shared" / "kb-dev-data"
BANKING = "banking77_train.csv"
TARGET_RIGHT = 0.8
TARGET_UNRELATED = 0.1
WORKSPACE = "kb-suggest"
# Settings swept (--sweep): the distinctive words in common and their coverage a keyword hit needs (none: its
# rarity-weighted share alone), that share, and by meaning the cosine plus a weight times that share.
SWEEP = [
    Thresholds(shared=shared, coverage=coverage, matched=matched, meaning=meaning, matched_in_meaning=weight)
    for shared, coverage in ((0, 0.0), (2, 0.8), (3, 0.8))
    for matched in (0.0, 0.3, 0.5, 0.7, 0.9)
    for meaning in (0.75, 0.8, 0.85, 0.9, 0.95)
    for weight in (0.0, 0.1, 0.2, 0.3)
]
SWEEP_SHOWN = 12  # best settings listed
CREATED = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    text: str
    answer: int | None  # the number of the article that answers it; None: the knowledge base has none


@dataclass(frozen=True)
class CaseSet:
    name: str
    articles: list[Article]
    cases: list[Case]


@dataclass
class Tally:
    answerable: int = 0
    right: int = 0
    wrong_beside: int = 0
    unanswerable: int = 0
    unrelated: int = 0
    shown: int = 0

    def count(self, case: Case, numbers: Sequence[int]) -> None:
        self.shown += len(numbers)
        if case.answer is None:
            self.unanswerable += 1
            self.unrelated += bool(numbers)
        else:
            self.answerable += 1
            self.right += case.answer in numbers
            self.wrong_beside += any(n != case.answer for n in numbers)


@dataclass
class Result:
    case_set: str
    method: str
    rules: dict[str, Tally] = field(default_factory=lambda: {"old": Tally(), "new": Tally()})
    seconds: float = 0.0
    note: str = ""


def support_set(count: int, cases: int, seed: int) -> CaseSet:
    """kb_corpus problems: `count` with an article, and questions about them and about problems none answers."""
    rng = random.Random(seed)
    everything = kb_corpus.problems(rng, kb_corpus.PROBLEMS, distinct=True)
    known, rest = everything[:count], everything[count:]
    pairs = {(p.thing, p.symptom) for p in known}
    unknown = [p for p in rest if (p.thing, p.symptom) not in pairs]
    slots = [kb_corpus.draw_slots(rng) for _ in known]
    made = [kb_corpus.article(1, n, p, rng, slots[n - 1]) for n, p in enumerate(known, start=1)]
    asking = random.Random(seed + 4)
    answerable = [Case(kb_corpus.question(p, i, asking, slots[i]).text, i + 1) for i, p in enumerate(known[:cases])]
    unanswerable = [
        Case(kb_corpus.question(p, 0, asking, kb_corpus.draw_slots(asking)).text, None) for p in unknown[:cases]
    ]
    return CaseSet("support", made, answerable + unanswerable)


def banking_set(path: Path, cases: int, seed: int) -> CaseSet:
    """Banking77's questions: an article for INTENTS intents, cases from the rest (module docstring)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_intent[row["category"]].append(row["text"].strip())
    rng = random.Random(seed)
    intents = sorted(by_intent)
    rng.shuffle(intents)
    made: list[Article] = []
    answerable: list[Case] = []
    unanswerable: list[Case] = []
    for number, intent in enumerate(intents[:INTENTS], start=1):
        questions = by_intent[intent][:]
        rng.shuffle(questions)
        issue = questions[:ISSUE_QUESTIONS]
        asked = questions[ISSUE_QUESTIONS : ISSUE_QUESTIONS + ASKED_QUESTIONS]
        title = intent.replace("_", " ")
        made.append(
            Article(
                workspace_id=1,
                number=number,
                title=title[0].upper() + title[1:],
                issue=" ".join(issue),
                environment="",
                resolution=f"What to do about {title}.",
                tags=[],
                state=ArticleState.VALIDATED,
                created_at=CREATED,
                updated_at=CREATED,
                asked=asked,
            )
        )
        answerable += [Case(q, number) for q in questions[ISSUE_QUESTIONS + ASKED_QUESTIONS :]]
    for intent in intents[INTENTS:]:
        unanswerable += [Case(q, None) for q in by_intent[intent]]
    return CaseSet(
        "banking77",
        made,
        rng.sample(answerable, min(cases, len(answerable))) + rng.sample(unanswerable, min(cases, len(unanswerable))),
    )


async def measure(url: str, case_set: CaseSet, embedder: Embedder | None, dump: TextIO | None = None) -> Result:
    """The old rule and the new one, case by case, on a fresh database holding the set's knowledge base. With `dump`,
    each case's evidence as a line of JSON too (`evidence`)."""
    result = Result(case_set.name, "keyword" if embedder is None else "hybrid")
    began = time.perf_counter()
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure(WORKSPACE)
                await uow.commit()
            rows = [
                with_rank_columns(
                    {k: v for k, v in vars(a).items() if k != "id"}
                    | {"workspace_id": workspace.id, "state": a.state.value}
                )
                for a in case_set.articles
            ]
            table: Any = ArticleRow.__table__  # type: ignore[attr-defined]
            async with store.engine.begin() as connection:
                await connection.execute(insert(table), rows)
                await connection.execute(text("UPDATE workspace SET article_counter = :n"), {"n": len(rows)})
            forget_term_counts(store.engine)
            semantic = SemanticSearch(store, embedder) if embedder is not None else None
            if semantic is not None:
                await semantic.embed_pending(WORKSPACE)
            async with store.engine.connect() as connection:
                rows_read = (await connection.execute(text("SELECT id, number FROM article"))).all()
                numbers = {int(i): int(n) for i, n in rows_read}
            for case in case_set.cases:
                said = parse_case(case.text).text
                nearest = await semantic.nearest(WORKSPACE, said) if semantic is not None else None
                async with store.unit() as uow:
                    old = await known_issues(uow, workspace.id, said, SIMILAR_ARTICLES, nearest=nearest)
                    new = await maybe_known(uow, workspace.id, said, nearest)
                    if dump is not None:
                        hits = await known_issues(uow, workspace.id, said, CANDIDATES, nearest=nearest)
                        words = hits if nearest is None else await known_issues(uow, workspace.id, said, CANDIDATES)
                        near = [(numbers[i], cosine) for i, cosine in nearest or ()]
                        dump.write(json.dumps(evidence(result, case, hits, words, near)) + "\n")
                result.rules["old"].count(case, [hit.article.number for hit in old])
                result.rules["new"].count(case, [hit.article.number for hit in new])
        finally:
            await store.close()
    result.seconds = time.perf_counter() - began
    return result


def evidence(
    result: Result,
    case: Case,
    hits: Sequence[ArticleHit],
    words: Sequence[ArticleHit],
    nearest: Sequence[tuple[int, float]],
) -> dict[str, Any]:
    """A case's search evidence, by article number, for threshold sweeps: the hits `likely_answers` judges (number,
    rank, matched, matched_known), keyword search's hits (the same with keyword search), the nearest articles in
    meaning (number, cosine)."""
    return {
        "set": result.case_set,
        "method": result.method,
        "answer": case.answer,
        "text": case.text,
        "hits": [[hit.article.number, hit.rank, hit.matched, hit.matched_known] for hit in hits],
        "keyword": [[hit.article.number, hit.rank, hit.matched, hit.matched_known] for hit in words],
        "nearest": [[number, round(cosine, 5)] for number, cosine in nearest],
    }


def sweep(path: Path, sets: Sequence[CaseSet]) -> str:
    """Each SWEEP setting of likely_answers on the evidence `--dump` wrote (module docstring), as a table."""
    articles = {(case_set.name, a.number): a for case_set in sets for a in case_set.articles}
    texts = {case_set.name: {case.text for case in case_set.cases} for case_set in sets}
    judged: dict[tuple[str, str], list[tuple[Case, str, list[ArticleHit], dict[int, float]]]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for line in f:
            seen = json.loads(line)
            if seen["text"] not in texts.get(seen["set"], ()):
                raise SystemExit(f"{path} was dumped from other cases: the same --data, --cases and --seed, please")
            hits = [
                ArticleHit(replace(articles[seen["set"], n], id=n), "", rank, matched=matched, matched_known=known)
                for n, rank, matched, known in seen["hits"]
            ]
            nearest = {n: cosine for n, cosine in seen["nearest"]}
            said = parse_case(seen["text"]).text
            judged[seen["set"], seen["method"]].append((Case(seen["text"], seen["answer"]), said, hits, nearest))
    columns = sorted(judged, key=lambda key: (key[0] != "support", key[1] != "keyword"))
    rows: list[tuple[Thresholds, list[Tally]]] = []
    for setting in dict.fromkeys([CHOSEN, *SWEEP]):
        tallies = []
        for key in columns:
            tally = Tally()
            for case, said, hits, nearest in judged[key]:
                closeness = nearest if key[1] == "hybrid" else None
                shown = likely_answers(said, hits, closeness=closeness, thresholds=setting)
                tally.count(case, [s.hit.article.number for s in shown])
            tallies.append(tally)
        rows.append((setting, tallies))
    kept = [row for row in rows if all(t.unrelated <= TARGET_UNRELATED * t.unanswerable for t in row[1])]
    kept.sort(key=lambda row: -sum(t.right / max(1, t.answerable) for t in row[1]))
    lines = [
        "| words in common | coverage | share of words | cosine + weight × share | weight | "
        + " | ".join(f"{name} {method}" for name, method in columns)
        + " |",
        "| ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in columns) + " |",
    ]
    chosen = next(row for row in rows if row[0] == CHOSEN)
    listed = kept[:SWEEP_SHOWN]
    for family in dict.fromkeys((row[0].shared, row[0].coverage) for row in kept):  # the best of each kind too
        best = next(row for row in kept if (row[0].shared, row[0].coverage) == family)
        listed += [] if best in listed else [best]
    for setting, tallies in [*listed, *([] if chosen in listed else [chosen])]:
        mark = " (chosen)" if setting == CHOSEN else ""
        figures = " | ".join(
            f"{_share(t.right, t.answerable)} / {_share(t.unrelated, t.unanswerable)}" for t in tallies
        )
        lines.append(
            f"| {setting.shared} | {setting.coverage:.0%} | {setting.matched:.1f}{mark} | {setting.meaning:.2f} |"
            f" {setting.matched_in_meaning:.1f} | {figures} |"
        )
    return "\n".join(
        [
            f"{len(kept)} of {len(rows)} settings show anything to ≤ {TARGET_UNRELATED:.0%} of unanswerable cases"
            " on every set and method; right shown / any shown to an unanswerable case:",
            "",
            *lines,
        ]
    )


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def table(results: Sequence[Result]) -> str:
    lines = [
        "| set | search | rule | answerable | right shown | wrong shown beside | unanswerable | any shown |"
        " shown per case |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.note:
            lines.append(f"| {r.case_set} | {r.method} | — | NOT MEASURED ({r.note}) | | | | | |")
            continue
        for rule, t in r.rules.items():
            name = "old: first 3 hits" if rule == "old" else "new: likely answers"
            cases = t.answerable + t.unanswerable
            lines.append(
                f"| {r.case_set} | {r.method} | {name} | {t.answerable} | {_share(t.right, t.answerable)} |"
                f" {_share(t.wrong_beside, t.answerable)} | {t.unanswerable} | {_share(t.unrelated, t.unanswerable)} |"
                f" {t.shown / cases if cases else 0:.2f} |"
            )
    return "\n".join(lines)


def verdicts(results: Sequence[Result]) -> list[str]:
    lines = []
    for r in results:
        if r.note:
            lines.append(f"target: {r.case_set}, {r.method}: NOT MEASURED ({r.note})")
            continue
        t = r.rules["new"]
        right, unrelated = t.right / max(1, t.answerable), t.unrelated / max(1, t.unanswerable)
        lines.append(
            f"target: {r.case_set}, {r.method}, right article shown ≥ {TARGET_RIGHT:.0%}: "
            f"{'MET' if right >= TARGET_RIGHT else 'NOT MET'} ({right:.0%})"
        )
        lines.append(
            f"target: {r.case_set}, {r.method}, a suggestion on ≤ {TARGET_UNRELATED:.0%} of unanswerable cases: "
            f"{'MET' if unrelated <= TARGET_UNRELATED else 'NOT MET'} ({unrelated:.0%})"
        )
    return lines


async def run(url: str, sets: Sequence[CaseSet], hybrid: bool, dump: TextIO | None = None) -> str:
    embedder = semantic_extra.MiniLMEmbedder() if hybrid and semantic_extra.installed() else None
    why_not = "semantic extra not installed" if hybrid else "not asked for (--keyword-only)"
    results = []
    for case_set in sets:
        for model in (None, embedder) if embedder is not None else (None,):
            method = "keyword" if model is None else "hybrid"
            size = f"{len(case_set.articles)} articles, {len(case_set.cases)} cases"
            sys.stderr.write(f"… {case_set.name}: {size}, {method}\n")
            results.append(await measure(url, case_set, model, dump))
        if embedder is None:
            results.append(Result(case_set.name, "hybrid", note=why_not))
    timing = [f"{r.case_set}, {r.method}: {r.seconds:.0f} s" for r in results if not r.note]
    return "\n".join([table(results), "", *verdicts(results), "", "; ".join(timing)])


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--database", default="sqlite", help='"sqlite" (a temporary file) or a PostgreSQL URL')
    options.add_argument("--data", type=Path, default=DATA, help=f"the directory holding {BANKING} (default {DATA})")
    options.add_argument("--cases", type=int, help=f"answerable and unanswerable cases each, per set ({CASES})")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--quick", action="store_true", help="smoke run: the built-in set, small")
    options.add_argument("--keyword-only", action="store_true", help="no hybrid rows, even with the semantic extra")
    options.add_argument("--dump", type=Path, help="write each case's search evidence there, a JSON line a case")
    options.add_argument("--sweep", type=Path, help="judge the rule's settings on evidence --dump wrote; no search")
    args = options.parse_args(argv)
    cases = args.cases or (QUICK_CASES if args.quick else CASES)
    sets = [support_set(QUICK_ARTICLES if args.quick else ARTICLES, cases, args.seed)]
    banking = args.data / BANKING
    if not args.quick and banking.is_file():
        sets.append(banking_set(banking, cases, args.seed))
    elif not args.quick:
        sys.stderr.write(f"… no {banking}: the banking77 set is not measured\n")
    if args.sweep is not None:
        print(sweep(args.sweep, sets))
    elif args.dump is None:
        print(asyncio.run(run(args.database, sets, hybrid=not args.keyword_only)))
    else:
        with args.dump.open("w", encoding="utf-8") as dump:
            print(asyncio.run(run(args.database, sets, hybrid=not args.keyword_only, dump=dump)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
