"""Knowledge-base search latency (issue 6): p50 / p99 of `uow.articles.search(...)` at 1k, 10k and 100k articles.

    .venv/bin/python bench/kb_search.py                                   # SQLite (a temporary file)
    .venv/bin/python bench/kb_search.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/kb_search.py --database sqlite --database postgresql://…   # both, one table
    .venv/bin/python bench/kb_search.py --quick                           # smoke run: 1k articles, 60 queries

The articles are `bench/kb_corpus.py`'s synthetic support articles, inserted in bulk straight through the storage
engine (the FTS5 triggers and the generated tsvector column index them as any insert would), into a fresh migrated
database: a temporary SQLite file, or a schema of its own on PostgreSQL, dropped at the end. The database grows
from one size to the next; PostgreSQL is ANALYZEd after each load, as autovacuum would.

The queries are what Swarm sends, parsed by `bot.search_query.parse_query` as `/swarm kb` does:
- `words`: 1-3 words of an article's problem, the last often cut short ("csv exp"), as people type in `/swarm kb`;
- `question`: a paraphrased question about an article (other words, a typo; bench/kb_corpus.py);
- `filtered`: words with a `#tag`, a `"phrase"` or `state:validated`;
- `case`: a whole case text of 20-40 words, as the similar-articles lookup sends when a swarm opens.

Each query runs once to warm the caches, then once timed, in a unit of work of its own (only the search call is
timed). Times are wall-clock on this machine, in-process, one query at a time. It is a measurement: it exits 0
whatever the figures, or 1 with --check when a target is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_search.py` as well as `python -m bench.kb_search`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench import kb_corpus  # noqa: E402
from bench.common import markdown_table, percentile, progress, scratch_database, spread, verdicts  # noqa: E402
from bot.models import Article, ArticleState  # noqa: E402
from bot.search_query import SearchQuery, parse_query  # noqa: E402
from storage.database import SqlStore, upgrade  # noqa: E402
from storage.search import forget_term_counts, with_rank_columns  # noqa: E402
from storage.tables import ArticleRow  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000,)
QUERIES = 400
QUICK_QUERIES = 60
KINDS = ("words", "question", "filtered", "case")
TARGET_SIZE = 100_000
TARGET_P50_MS = 10.0
BATCH = 2_000
LIMIT = 5
DEFAULT_STATES = (ArticleState.DRAFT, ArticleState.VALIDATED)


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


@dataclass(frozen=True)
class Row:
    backend: str
    articles: int
    queries: int
    p50: float  # milliseconds
    p99: float
    worst: float
    by_kind: dict[str, float]  # p50 per kind
    hit_share: float  # queries that found at least one article
    load_seconds: float


def make_queries(count: int, seed: int = 5) -> list[Query]:
    """`count` queries, the four kinds in turn, about problems of the corpus."""
    rng = random.Random(seed)
    found: list[Query] = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        problem = kb_corpus.problems(rng, 1, distinct=False)[0]
        thing = kb_corpus.THINGS[problem.thing]
        symptom = kb_corpus.SYMPTOMS[problem.symptom]
        if kind == "words":
            words = f"{rng.choice(thing.forms)} {rng.choice(symptom.forms)}".lower().split()
            picked = rng.sample(words, min(len(words), rng.randint(1, 3)))
            if rng.random() < 0.5 and len(picked[-1]) > 4:
                picked[-1] = picked[-1][: rng.randint(3, len(picked[-1]) - 1)]
            found.append(Query(kind, " ".join(picked)))
        elif kind == "question":
            found.append(Query(kind, kb_corpus.question(problem, i, rng, kb_corpus.draw_slots(rng)).text))
        elif kind == "filtered":
            start = " ".join(thing.forms[0].lower().split()[:2])
            how = rng.randrange(3)
            if how == 0:
                found.append(Query(kind, f"{start} #{rng.choice(thing.tags)}"))
            elif how == 1:
                found.append(Query(kind, f'"{symptom.forms[0]}" {start}'))
            else:
                found.append(Query(kind, f"{start} state:validated"))
        else:
            made = kb_corpus.article(1, 0, problem, rng)
            found.append(Query(kind, f"{made.issue} {made.environment}. Customer needs it today, sev2."))
    return found


def rows_of(workspace_id: int, start: int, count: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of article rows numbered start+1 …, ready for a bulk INSERT."""
    batch: list[dict[str, Any]] = []
    for made in kb_corpus.articles(workspace_id, count, seed=seed):
        made.number += start
        batch.append(_row(made))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _row(made: Article) -> dict[str, Any]:
    values = dataclasses.asdict(made)
    values.pop("id")
    values["state"] = made.state.value
    return with_rank_columns(values)


@asynccontextmanager
async def database(url: str) -> AsyncIterator[str]:
    """A fresh, migrated database: a temporary SQLite file for "sqlite", else a new schema on that PostgreSQL."""
    async with scratch_database(None if url == "sqlite" else url, "kb_bench") as path:
        await upgrade(path)
        yield path


async def load(store: SqlStore, workspace_id: int, start: int, count: int, seed: int) -> float:
    began = time.perf_counter()
    table: Any = ArticleRow.__table__  # type: ignore[attr-defined]
    for batch in rows_of(workspace_id, start, count, seed):
        async with store.engine.begin() as connection:
            await connection.execute(insert(table), batch)
    async with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE article"))
        await connection.execute(text("UPDATE workspace SET article_counter = :n"), {"n": start + count})
    # Search counts its words per database for 10 minutes; a knowledge base does not grow tenfold in that time.
    forget_term_counts(store.engine)
    return time.perf_counter() - began


async def search(store: SqlStore, workspace_id: int, query: SearchQuery) -> tuple[float, int]:
    """(seconds, hits) of one search call, in a unit of work of its own."""
    async with store.unit() as uow:
        began = time.perf_counter()
        hits = await uow.articles.search(
            workspace_id,
            query.terms,
            limit=LIMIT,
            states=query.states or DEFAULT_STATES,
            tags=query.tags,
            phrases=query.phrases,
        )
        return time.perf_counter() - began, len(hits)


async def measure(url: str, sizes: Sequence[int], queries: Sequence[Query], seed: int) -> list[Row]:
    backend = "sqlite" if url == "sqlite" else "postgresql"
    parsed = [(q, parse_query(q.text)) for q in queries]
    rows: list[Row] = []
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure("kb-bench")
                await uow.commit()
            loaded = 0
            for size in sizes:
                progress(f"{backend}: loading {size - loaded:,} articles")
                seconds = await load(store, workspace.id, loaded, size - loaded, seed + loaded)
                loaded = size
                progress(f"{backend}: {size:,} articles, timing {len(parsed)} queries")
                for _, query in parsed:  # warm-up
                    await search(store, workspace.id, query)
                timed = [(q.kind, *await search(store, workspace.id, query)) for q, query in parsed]
                times = [seconds * 1000 for _, seconds, _ in timed]
                p50, p99, worst = spread(times)
                by_kind = {k: percentile([s * 1000 for kind, s, _ in timed if kind == k], 0.5) for k in KINDS}
                hit_share = sum(1 for *_, hits in timed if hits) / len(timed)
                rows.append(Row(backend, size, len(times), p50, p99, worst, by_kind, hit_share, seconds))
        finally:
            await store.close()
    return rows


def table(rows: Sequence[Row]) -> str:
    header = ["backend", "articles", "queries", "p50 ms", "p99 ms", "max ms", *(f"p50 {k}" for k in KINDS)]
    cells = [
        [r.backend, f"{r.articles:,}", r.queries, f"{r.p50:.2f}", f"{r.p99:.2f}", f"{r.worst:.2f}"]
        + [f"{r.by_kind[k]:.2f}" for k in KINDS]
        + [f"{r.hit_share:.0%}", f"{r.load_seconds:.1f}"]
        for r in rows
    ]
    return markdown_table([*header, "found ≥ 1", "load s"], cells)


def targets(rows: Sequence[Row], backends: Sequence[str]) -> list[tuple[str, bool | None, str]]:
    """(what, met — None when not measured, figure) per backend."""
    found: list[tuple[str, bool | None, str]] = []
    for backend in backends:
        what = f"search p50 ≤ {TARGET_P50_MS:g} ms at {TARGET_SIZE:,} articles on {backend}"
        row = next((r for r in rows if r.backend == backend and r.articles == TARGET_SIZE), None)
        if row is None:
            found.append((what, None, f"not measured: largest size {max(r.articles for r in rows):,}"))
        else:
            found.append((what, row.p50 <= TARGET_P50_MS, f"p50 {row.p50:.2f} ms, p99 {row.p99:.2f} ms"))
    return found


async def run(urls: Sequence[str], sizes: Sequence[int], count: int, seed: int) -> tuple[str, bool]:
    queries = make_queries(count)
    rows: list[Row] = []
    for url in urls:
        rows += await measure(url, sizes, queries, seed)
    backends = list(dict.fromkeys(r.backend for r in rows))
    found, ok = verdicts(targets(rows, backends))
    return "\n".join([table(rows), "", *found]), ok


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument(
        "--database",
        action="append",
        help='"sqlite" (a temporary file, the default) or a PostgreSQL URL; repeat it for several',
    )
    options.add_argument("--sizes", type=int, nargs="+", help=f"article counts (default {' '.join(map(str, SIZES))})")
    options.add_argument("--queries", type=int, help=f"queries per size (default {QUERIES})")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--quick", action="store_true", help="smoke run: 1k articles, 60 queries")
    options.add_argument("--check", action="store_true", help="exit 1 when a measured target is not met")
    args = options.parse_args(argv)
    sizes = sorted(set(args.sizes or (QUICK_SIZES if args.quick else SIZES)))
    count = args.queries or (QUICK_QUERIES if args.quick else QUERIES)
    report, ok = asyncio.run(run(args.database or ["sqlite"], sizes, count, args.seed))
    print(report)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
