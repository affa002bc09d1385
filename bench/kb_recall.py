"""Knowledge-base retrieval quality (issue 6): recall@1 and recall@5 of paraphrased questions.

    .venv/bin/python bench/kb_recall.py                       # 1,000 articles, a question about each, SQLite
    .venv/bin/python bench/kb_recall.py --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/kb_recall.py --quick               # smoke run: 150 articles

`bench/kb_corpus.py` makes articles about different support problems and, for each, the question an agent would
type about it in other words: each part of the problem said another way with probability 0.7 (often with no word in
common: "bill as a PDF" for "invoice PDF", "spins forever" for "times out"), the trigger left out 30 % of the time, a
few words dropped, a typo in 35 % of the questions, no tags. Each question is searched as `/swarm kb <question>`
searches (bot.search_query.parse_query, then the repository's search, 5 results); recall@k is the share of questions
whose article is among the first k.

Methods:
- `keyword`: Swarm's search as it ships: BM25 over FTS5 (SQLite) or cover density over a tsvector (PostgreSQL),
  English stemming, every word first, then any.
- `hybrid`: keyword and semantic (all-MiniLM-L6-v2) results fused. Not implemented: Swarm has no `semantic` extra
  yet, so this row says so instead of a figure.

As a measure of how much of the paraphrasing any synonym table could undo, the report also gives the share of the
questions' rewordings that keep at least one content word of the article's wording.

It is a measurement: it exits 0 whatever the figures, or 1 with --check when a target is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_recall.py` as well as `python -m bench.kb_recall`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench import kb_corpus  # noqa: E402
from bench.kb_search import database  # noqa: E402
from bot.models import ArticleState  # noqa: E402
from bot.search_query import parse_query  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from storage.search import STOP_WORDS, search_terms  # noqa: E402
from storage.tables import ArticleRow  # noqa: E402

ARTICLES = 1000
QUICK_ARTICLES = 150
TARGET_KEYWORD_R5 = 0.75
TARGET_HYBRID_R5 = 0.9
LIMIT = 5
DEFAULT_STATES = (ArticleState.DRAFT, ArticleState.VALIDATED)


@dataclass(frozen=True)
class Row:
    backend: str
    method: str
    questions: int
    recall1: float | None
    recall5: float | None
    note: str = ""


async def keyword_recall(url: str, count: int, seed: int) -> Row:
    backend = "sqlite" if url == "sqlite" else "postgresql"
    made, asked = kb_corpus.recall_set(count, seed)
    firsts = fives = 0
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure("kb-recall")
                await uow.commit()
            rows = []
            for article in made:
                values = {k: v for k, v in vars(article).items() if k != "id"}
                rows.append(values | {"workspace_id": workspace.id, "state": article.state.value})
            table: Any = ArticleRow.__table__  # type: ignore[attr-defined]
            async with store.engine.begin() as connection:
                await connection.execute(insert(table), rows)
            for question in asked:
                query = parse_query(question.text)
                async with store.unit() as uow:
                    hits = await uow.articles.search(
                        workspace.id,
                        query.terms,
                        limit=LIMIT,
                        states=query.states or DEFAULT_STATES,
                        tags=query.tags,
                        phrases=query.phrases,
                    )
                numbers = [hit.article.number for hit in hits]
                wanted = made[question.article].number
                firsts += bool(numbers[:1] == [wanted])
                fives += wanted in numbers
        finally:
            await store.close()
    return Row(backend, "keyword", len(asked), firsts / len(asked), fives / len(asked))


def overlap_share() -> float:
    """Of every (article wording, other wording) pair of the corpus, the share that share a content word."""
    pairs = shared = 0
    for concept in (*kb_corpus.THINGS, *kb_corpus.SYMPTOMS, *kb_corpus.TRIGGERS):
        first = {w for w in search_terms(concept.forms[0]) if w not in STOP_WORDS and "{" not in w}
        for other in concept.forms[1:]:
            pairs += 1
            shared += bool(first & set(search_terms(other)))
    return shared / pairs


def table(rows: Sequence[Row]) -> str:
    lines = ["| backend | method | questions | recall@1 | recall@5 |", "| --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        r1 = "—" if r.recall1 is None else f"{r.recall1:.3f}"
        r5 = "—" if r.recall5 is None else f"{r.recall5:.3f}"
        lines.append(f"| {r.backend} | {r.method}{f' ({r.note})' if r.note else ''} | {r.questions} | {r1} | {r5} |")
    return "\n".join(lines)


async def run(urls: Sequence[str], count: int, seed: int) -> tuple[str, bool]:
    rows: list[Row] = []
    for url in urls:
        sys.stderr.write(f"… {url.split('?')[0]}: {count} articles and questions\n")
        rows.append(await keyword_recall(url, count, seed))
        rows.append(Row(rows[-1].backend, "hybrid", 0, None, None, "not implemented: no semantic extra"))
    lines = [table(rows), "", f"rewordings that keep a content word of the article's wording: {overlap_share():.0%}"]
    ok = True
    for row in rows:
        if row.method == "keyword" and row.recall5 is not None:
            met = row.recall5 >= TARGET_KEYWORD_R5
            ok = ok and met
            lines.append(
                f"target: keyword recall@5 ≥ {TARGET_KEYWORD_R5} on {row.backend}: {'MET' if met else 'NOT MET'} "
                f"(recall@5 {row.recall5:.3f}, recall@1 {row.recall1:.3f})"
            )
        elif row.method == "hybrid":
            lines.append(
                f"target: hybrid recall@5 ≥ {TARGET_HYBRID_R5} on {row.backend}: NOT MEASURED (hybrid search is not "
                "implemented)"
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
    options.add_argument("--check", action="store_true", help="exit 1 when a measured target is not met")
    args = options.parse_args(argv)
    count = args.articles or (QUICK_ARTICLES if args.quick else ARTICLES)
    report, ok = asyncio.run(run(args.database or ["sqlite"], count, args.seed))
    print(report)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
