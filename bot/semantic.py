"""Hybrid knowledge-base search: the keyword (BM25) hits and the articles nearest a query in meaning, fused.

Only when an Embedder is wired (the `semantic` extra, adapters/semantic.py); without one, search is keyword search
and nothing here runs. The core knows no model: it hands texts to `Embedder.embed` and gets unit-length vectors.

- **What an article's vector says** (`embedding_text`): its problem, as the title and the first sentence of the issue
  state it, and its tags. Details (error codes, versions, the environment) and the fix are left to keyword search,
  which matches them exactly; in a small model they would drown the problem (docs/knowledge.md).
  Then one more vector for each way a case it solved was asked (`Article.asked`, `embedding_texts`): reuse teaches
  the meaning search as it teaches the keyword search, and an article is as near a query as its nearest vector.
- **Kept in the database** (`uow.embeddings`, an article's vectors packed one after another in its row), with the
  hash of those texts and the article's last change, so that a restart embeds nothing again and a change that leaves
  the texts alone (a reuse counted) embeds nothing either.
- **Brought up to date lazily**: a search first embeds the workspace's articles that are new or changed since it last
  looked (every `RECHECK_SECONDS` at most), in batches, for at most `EMBED_BUDGET_SECONDS`; the rest at the next
  searches. Never inside a unit of work (SQLite holds its write lock for a unit's whole length), never on a chat
  platform's acknowledgement path: a search runs after the ack, and a swarm's similar articles with its opening.
- **Typos**: a query with a word the model does not know whole, one edit from one it does ("passwword"), is embedded
  twice, as typed and corrected (`Speller`, against the model's own vocabulary); an article's cosine is its best with
  either. The keyword search gets the query as typed.
- **Warmed up in the background**: a server calls `warm_up` at start, which loads the model in a worker thread (the
  first embedding loads it). Until it is ready, `nearest` answers None at once and search is keyword search (said at
  DEBUG), so the first `/swarm` after a start never waits seconds for a model; then hybrid. Without a warm-up (the
  command line), the first search loads the model itself, as before.
- **Sped up after the warm-up**: an embedder may offer `speed_up()` (the bundled model's export to ONNX Runtime,
  adapters/semantic.py): the warm-up calls it in a worker thread once the model is ready, as a task of its own
  (`speeding_up`), so searches are hybrid meanwhile, on the slower runtime until it is done.
- **Queries' vectors are cached** (`QueryCache`, the last `QUERY_CACHE` texts, keyed by the text with its white space
  collapsed, which is also what is embedded): a question asked again (the same case opened twice, a page reloaded,
  a script) costs no model call.
- **Held in memory** per workspace, as one matrix (`VectorIndex`): the nearest neighbours of a query are a dot product
  away. Reloaded from the database every `RELOAD_SECONDS`, which picks up what other replicas embedded.
- **Fused** (`fuse`) by weighted Reciprocal Rank Fusion, k = 60: an article scores weight / (60 + rank) in each list.
  A neighbour weighs by its cosine (`closeness`): nothing under `MIN_SIMILARITY` (not about the same thing), then
  rising evenly to 1. A keyword hit weighs the share of the query's words it has, each word weighing its rarity as
  BM25 weighs it (`ArticleHit.matched`, from storage's word counts), squared, times KEYWORD_WEIGHT: a hit with
  every word (an error code, a customer's name) counts fully, one that shares only common words ("is missing",
  "slow") of a question next to nothing, however many of them. So a paraphrase is found by meaning, an identifier
  by its words, and neither list's noise (the many articles that share common words, the nearest of unrelated
  articles) outranks the other's finds. A neighbour weighs MEANING_WEIGHT times its closeness, and when the model is
  sure (`confident`: its nearest article at least CONFIDENT_SIMILARITY close and CONFIDENT_LEAD ahead of the next),
  that article is first whatever the keyword hits: common shared words pushed it down before (issue 26; hybrid was
  below the model alone at rank 1 on real questions). Filters (#tags, "phrases", state:) apply to both lists.

numpy does the arithmetic: it comes with the extra, and is imported only when vectors are.
"""

from __future__ import annotations

import array
import asyncio
import hashlib
import logging
import math
import re
import struct
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.knowledge import ASKED_KEPT
from bot.models import Article, ArticleEmbedding, ArticleHit, ArticleState
from bot.ports import Embedder, Store, UnitOfWork
from bot.text import WORD

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)

RRF_K = 60
NEIGHBOURS = 30  # nearest articles taken from the vector index per query
KEYWORD_CANDIDATES = 20  # keyword hits fused with them (more if more results are asked for)
MIN_SIMILARITY = 0.3  # cosine under which all-MiniLM-L6-v2's neighbours are seldom about the same thing
COVERAGE_POWER = 2
KEYWORD_WEIGHT = 1.0  # a keyword hit's weight in the fusion: its share of the query (matched) squared, times this
# Chosen on bench/kb_real.py (Banking77 and StackFAQ) and bench/kb_recall.py (docs/measurements/knowledge.md): a
# neighbour's weight is its closeness times MEANING_WEIGHT; the nearest one stays first when it is
# CONFIDENT_SIMILARITY close and CONFIDENT_LEAD closer than the next.
MEANING_WEIGHT = 1.5
CONFIDENT_SIMILARITY = 0.5
CONFIDENT_LEAD = 0.035
MIN_SPELL_CHARS = 4  # shorter words are left as typed by the spelling correction
_SUFFIXES = ("s", "es", "ed", "ing", "ly")
EMBED_BATCH = 32
EMBED_BUDGET_SECONDS = 2.0
RECHECK_SECONDS = 5.0
RELOAD_SECONDS = 600.0
GONE = -1  # a VectorIndex row whose article has other vectors now
QUERY_CACHE = 1000  # query texts whose vectors are kept (float32: 1.5 KB each with all-MiniLM-L6-v2)
WARM_UP_TEXT = "warm up"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def embedding_text(article: Article) -> str:
    """The text an article's vector is made from: title, the issue's first sentence, tags."""
    title = " ".join(article.title.split())
    first = _SENTENCE_END.split(" ".join(article.issue.split()), maxsplit=1)[0]
    parts = [first] if first.casefold().startswith(title.casefold()) else [title, first]
    tags = " ".join(f"#{tag}" for tag in article.tags)
    return " ".join(part for part in (*parts, tags) if part)


def embedding_texts(article: Article) -> list[str]:
    """What an article's vectors are made from: `embedding_text`, then each way a case it answered was asked
    (`Article.asked`, newest first), so that a question worded like an earlier one finds the article by meaning too."""
    main = embedding_text(article)
    seen = {main.casefold()}
    texts = [main]
    for wording in article.asked[:ASKED_KEPT]:
        if wording.strip() and wording.casefold() not in seen:
            seen.add(wording.casefold())
            texts.append(wording)
    return texts


def content_hash(text: str | Sequence[str]) -> str:
    """The hash of what a vector is made from; of one text the same as before articles kept their askings."""
    joined = text if isinstance(text, str) else "\n".join(text)
    return hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()


def pack(*vectors: Sequence[float]) -> bytes:
    """float32, little-endian, one vector after another: 4 bytes a dimension (1.5 KB for all-MiniLM-L6-v2's 384)."""
    return b"".join(struct.pack(f"<{len(vector)}f", *vector) for vector in vectors)


def unpack(data: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(data) // 4}f", data))


def fuse(*rankings: Sequence[tuple[int, float]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted Reciprocal Rank Fusion of rankings of (article id, weight), each best first: every ranking adds
    weight / (k + rank) to an article, rank 1 first. Best first; equal scores keep the order first seen (the first
    ranking's, then the next)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (article_id, weight) in enumerate(ranking, start=1):
            scores[article_id] = scores.get(article_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])  # stable: ties in the order first seen


def closeness(similarity: float) -> float:
    """A neighbour's weight in the fusion: 0 at MIN_SIMILARITY, rising evenly to 1 for the same meaning."""
    return max(0.0, (similarity - MIN_SIMILARITY) / (1.0 - MIN_SIMILARITY))


async def hybrid_search(
    uow: UnitOfWork,
    workspace_id: int,
    query: str,
    limit: int,
    nearest: Sequence[tuple[int, float]],
    *,
    states: Sequence[ArticleState],
    tags: Sequence[str] = (),
    phrases: Sequence[str] = (),
) -> list[ArticleHit]:
    """Keyword hits and the query's nearest neighbours (`SemanticSearch.nearest`, found before this unit of work),
    fused, best first; rank is the fused score. Both pass the same filters."""
    found = await uow.articles.search(
        workspace_id, query, limit=max(limit, KEYWORD_CANDIDATES), states=states, tags=tags, phrases=phrases
    )
    hits = {hit.article.id: hit for hit in found if hit.article.id is not None}
    ranked = list(hits)  # keyword search's order
    close = [(article_id, similarity) for article_id, similarity in nearest if similarity >= MIN_SIMILARITY]
    others = [article_id for article_id, _ in close if article_id not in hits]
    if others:
        picked = await uow.articles.pick(workspace_id, others, states, tags=tags, phrases=phrases)
        hits.update((hit.article.id, hit) for hit in picked if hit.article.id is not None)
    keyword = [(article_id, KEYWORD_WEIGHT * hits[article_id].matched ** COVERAGE_POWER) for article_id in ranked]
    meaning = [(article_id, MEANING_WEIGHT * closeness(similarity)) for article_id, similarity in close]
    fused = fuse(keyword, [(article_id, weight) for article_id, weight in meaning if article_id in hits])
    leader = confident(nearest)
    if leader is not None and leader in hits and fused[0][0] != leader:
        # The model is sure: no keyword hit pushes its answer down. It goes first, its rank just above the first's.
        fused = [(leader, fused[0][1] + 1e-9), *(item for item in fused if item[0] != leader)]
    return [replace(hits[article_id], rank=score) for article_id, score in fused[:limit]]


def confident(nearest: Sequence[tuple[int, float]]) -> int | None:
    """The nearest article when the model is sure of it: at least CONFIDENT_SIMILARITY close, and CONFIDENT_LEAD
    closer than the next one; else None."""
    if not nearest or nearest[0][1] < CONFIDENT_SIMILARITY:
        return None
    if len(nearest) > 1 and nearest[0][1] - nearest[1][1] < CONFIDENT_LEAD:
        return None
    return nearest[0][0]


def edits(word: str) -> set[str]:
    """The words one edit from `word`: a letter left out, two neighbours swapped, a letter changed or added."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in cuts if b}
        | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
        | {a + c + b[1:] for a, b in cuts if b for c in letters}
        | {a + c + b for a, b in cuts for c in letters}
    )


class Speller:
    """Corrects the typos of a query against the model's vocabulary, for the query's second vector: a word of at least
    MIN_SPELL_CHARS letters that the model does not know whole (nor without a plural or -ed, -ing, -ly ending) is
    replaced by the known word one edit away that comes first in the vocabulary (the model's vocabularies list
    common words first); no such word, it stays as typed. "passwword" becomes "password", "swicth" "switch"."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self._order: dict[str, int] = {}
        for word in vocabulary:
            if word.isalpha() and word.islower():
                self._order.setdefault(word, len(self._order))

    def known(self, word: str) -> bool:
        return word in self._order or any(
            word.endswith(end) and word[: -len(end)] in self._order for end in _SUFFIXES if len(word) > len(end) + 2
        )

    def word(self, word: str) -> str:
        lower = word.casefold()
        if len(lower) < MIN_SPELL_CHARS or not lower.isalpha() or not lower.isascii() or self.known(lower):
            return word
        found = [(self._order[c], c) for c in edits(lower) if c in self._order and len(c) >= MIN_SPELL_CHARS - 1]
        return min(found)[1] if found else word

    def correct(self, text: str) -> str:
        return WORD.sub(lambda match: self.word(match.group(0)), text)


def query_key(text: str) -> str:
    """A query as it is cached and embedded: its words, white space collapsed to one space."""
    return " ".join(text.split())


class QueryCache:
    """The vectors of the last `size` query texts, least recently used out first (float32, by `query_key`)."""

    def __init__(self, size: int = QUERY_CACHE) -> None:
        self.size = size
        self._vectors: OrderedDict[str, array.array[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        self._vectors.clear()

    def get(self, key: str) -> array.array[float] | None:
        vector = self._vectors.get(key)
        if vector is not None:
            self._vectors.move_to_end(key)
        return vector

    def put(self, key: str, vector: Sequence[float]) -> None:
        if self.size <= 0:
            return
        self._vectors[key] = array.array("f", vector)
        self._vectors.move_to_end(key)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


class VectorIndex:
    """A workspace's vectors as one float32 matrix, a row a vector (an article has one, plus one per way it was asked):
    the nearest neighbours of a query are one matrix product away (vectors are unit length, so the products are
    cosines), an article as near as its nearest vector."""

    def __init__(self, dimensions: int) -> None:
        import numpy as np

        self.dimensions = dimensions
        self._ids: list[int] = []  # the article of each row; GONE for a row replaced since
        self._rows: dict[int, list[int]] = {}
        self._widest = 1  # the most rows an article has
        self._gone = 0
        self._matrix: numpy.ndarray[Any, Any] = np.zeros((0, dimensions), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._rows)

    def update(self, vectors: Sequence[tuple[int, bytes]]) -> None:
        """Adds or replaces the vectors of these articles (each article's packed one after another); data that is no
        whole number of vectors is ignored."""
        import numpy as np

        width = 4 * self.dimensions
        latest = {article_id: data for article_id, data in vectors if data and len(data) % width == 0}
        new: list[numpy.ndarray[Any, Any]] = []
        for article_id, data in latest.items():
            block = np.frombuffer(data, dtype="<f4").reshape(-1, self.dimensions)
            rows = self._rows.get(article_id)
            if rows is not None and len(rows) == len(block):
                self._matrix[rows] = block
                continue
            if rows is not None:
                # Another number of vectors: the old rows stay, empty and nobody's, until the next reload.
                self._matrix[rows] = 0.0
                for row in rows:
                    self._ids[row] = GONE
                self._gone += len(rows)
            self._widest = max(self._widest, len(block))
            first = len(self._ids)
            self._rows[article_id] = list(range(first, first + len(block)))
            self._ids += [article_id] * len(block)
            new.append(block)
        if new:
            self._matrix = np.vstack([self._matrix, *new]).astype(np.float32, copy=False)

    def nearest(self, query: Sequence[float], n: int, *more: Sequence[float]) -> list[tuple[int, float]]:
        """The n articles nearest the query, (article id, cosine) best first; with more vectors of the query (as typed
        and with its typos corrected), an article's cosine is its best with any of them."""
        import numpy as np

        if not self._rows or n <= 0:
            return []
        scores = self._matrix @ np.asarray(query, dtype=np.float32)
        for other in more:
            scores = np.maximum(scores, self._matrix @ np.asarray(other, dtype=np.float32))
        # No article has more than `_widest` rows, so the best rows of the n best articles are among the n × _widest
        # best rows, and the rows gone besides.
        wanted = n * self._widest + self._gone
        if wanted < len(scores):
            top = np.argpartition(-scores, wanted)[:wanted]
            top = top[np.argsort(-scores[top], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        found: dict[int, float] = {}
        for i in top:
            article_id = self._ids[int(i)]
            if article_id != GONE and article_id not in found:
                found[article_id] = float(scores[i])
                if len(found) == n:
                    break
        return list(found.items())


@dataclass
class _Workspace:
    workspace_id: int
    index: VectorIndex
    loaded_at: float
    checked_at: float


class SemanticSearch:
    """The articles nearest a query in meaning, per workspace, with the vectors kept up to date (module docstring)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        reload_seconds: float = RELOAD_SECONDS,
        batch: int = EMBED_BATCH,
        budget_seconds: float = EMBED_BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        query_cache: int = QUERY_CACHE,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.recheck_seconds = recheck_seconds
        self.reload_seconds = reload_seconds
        self.batch = batch
        self.budget_seconds = budget_seconds
        self.clock = clock
        self.failure: str | None = None  # why the model is not used any more (it failed to load or to embed)
        self._workspaces: dict[str, _Workspace] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._spelling: Speller | None = None
        self.queries = QueryCache(query_cache)
        self._warming: asyncio.Task[None] | None = None
        self._speeding_up: asyncio.Task[None] | None = None

    @property
    def model(self) -> str:
        return self.embedder.name

    @property
    def warming(self) -> asyncio.Task[None] | None:
        """The warm-up's task, once `warm_up` started it."""
        return self._warming

    @property
    def speeding_up(self) -> asyncio.Task[None] | None:
        """The task that makes the loaded model faster (`speed_up`), once the warm-up started it."""
        return self._speeding_up

    @property
    def ready(self) -> bool:
        """False while a warm-up is loading the model (search is keyword search until then); True after, or when no
        warm-up was started (the first search loads the model itself)."""
        return self._warming is None or self._warming.done()

    @property
    def usable(self) -> bool:
        """True when a search now is hybrid: the model is loaded (or will load at the search) and has not failed."""
        return self.ready and self.failure is None

    def warm_up(self) -> asyncio.Task[None]:
        """Starts loading the model in a worker thread (one embedding loads it) and returns at once; searches until it
        is done are keyword searches. Started once: a second call returns the same task."""
        if self._warming is None:
            self._warming = asyncio.get_running_loop().create_task(self._warm(), name="semantic warm-up")
        return self._warming

    async def _warm(self) -> None:
        started = time.perf_counter()
        try:
            await self._embed([WARM_UP_TEXT])
            self._speller()  # reads the model's vocabulary, a file of the package: once, here too
        except _EmbedderFailed:
            return  # logged by _embed; keyword search from now on
        except Exception as error:  # the vocabulary could not be read: the model works, typos stay as typed
            log.warning("semantic search: the model's vocabulary could not be read (%s)", type(error).__name__)
            self._spelling = Speller(())
        log.info("semantic search ready: %s loaded in %.1f s", self.model, time.perf_counter() - started)
        speed_up = getattr(self.embedder, "speed_up", None)
        if callable(speed_up):
            self._speeding_up = asyncio.get_running_loop().create_task(
                self._speed_up(speed_up), name="semantic speed-up"
            )

    async def _speed_up(self, speed_up: Callable[[], object]) -> None:
        try:
            await asyncio.to_thread(speed_up)
        except Exception:  # the embedder's own business: it keeps its slower runtime, searches go on
            log.exception("semantic search: %s could not be sped up", self.model)

    async def nearest(self, workspace: str, query: str, n: int = NEIGHBOURS) -> list[tuple[int, float]] | None:
        """The n articles of the workspace nearest the query in meaning, (article id, cosine) best first; None when
        there is no answer (no words, or the model failed: keyword search alone then). Call it outside any unit of
        work: it may embed articles changed since it last looked, and it embeds the query."""
        if self.failure is not None or not query.strip():
            return None
        if not self.ready:
            log.debug("knowledge search: keyword only, %s is still loading", self.model)
            return None
        typed = query_key(query)
        corrected = self._speller().correct(typed)
        try:
            index = await self._index(workspace)
            vectors = await self._queries([typed] if corrected == typed else [typed, corrected])
        except _EmbedderFailed:
            return None
        return index.nearest(vectors[0], n, *vectors[1:])

    async def _queries(self, texts: Sequence[str]) -> list[Sequence[float]]:
        """The vectors of query texts (`query_key`ed), from the cache or embedded (those missing, in one call)."""
        found: dict[str, Sequence[float]] = {}
        for text in texts:
            cached = self.queries.get(text)
            if cached is not None:
                found[text] = cached
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            for text, vector in zip(missing, await self._embed(missing), strict=True):
                self.queries.put(text, vector)
                found[text] = vector
        return [found[text] for text in texts]

    def _speller(self) -> Speller:
        """The model's vocabulary as a Speller (an embedder without a `vocabulary()` corrects nothing)."""
        if self._spelling is None:
            vocabulary = getattr(self.embedder, "vocabulary", None)
            self._spelling = Speller(vocabulary() if callable(vocabulary) else ())
        return self._spelling

    async def embed_pending(self, workspace: str) -> int:
        """Embeds every article of the workspace whose vector is missing or stale, however long it takes (a first
        import, a benchmark, `swarm kb reindex`); how many articles were embedded. Searches do the same a batch at a
        time. When the model fails, `failure` says why, and what was embedded before is kept."""
        if self.failure is not None:
            return 0
        async with self._lock(workspace):
            workspace_id = await self._workspace_id(workspace)
            try:
                made, _ = await self._refresh(workspace_id, budget=None)
            except _EmbedderFailed:
                return 0
            known = self._workspaces.get(workspace)
            if known is not None:
                known.index.update(made)
            return len(made)

    def invalidate(self, workspace: str | None = None) -> None:
        """Forgets the vectors held in memory (all workspaces', or one's): the next search reloads them."""
        if workspace is None:
            self._workspaces.clear()
        else:
            self._workspaces.pop(workspace, None)

    def _lock(self, workspace: str) -> asyncio.Lock:
        return self._locks.setdefault(workspace, asyncio.Lock())

    async def _index(self, workspace: str) -> VectorIndex:
        async with self._lock(workspace):
            known = self._workspaces.get(workspace)
            now = self.clock()
            if known is not None and now - known.checked_at < self.recheck_seconds:
                return known.index
            workspace_id = known.workspace_id if known else await self._workspace_id(workspace)
            made, done = await self._refresh(workspace_id, budget=self.budget_seconds)
            if known is None or now - known.loaded_at >= self.reload_seconds:
                async with self.store.unit() as uow:
                    vectors = await uow.embeddings.vectors(workspace_id, self.model)
                index = VectorIndex(self.embedder.dimensions)
                index.update(vectors)
                known = self._workspaces[workspace] = _Workspace(workspace_id, index, now, now)
            else:
                known.index.update(made)
            # Articles left to embed (the budget ran out): the next search goes on with them.
            known.checked_at = self.clock() if done else -math.inf
            return known.index

    async def _workspace_id(self, workspace: str) -> int:
        async with self.store.unit() as uow:
            found = await uow.workspaces.ensure(workspace)
            await uow.commit()
        return found.id

    async def _refresh(self, workspace_id: int, budget: float | None) -> tuple[list[tuple[int, bytes]], bool]:
        """Embeds the workspace's articles that have no current vector, a batch per unit of work, until none is left
        (True) or the budget is spent (False); the vectors made."""
        started = self.clock()
        made: list[tuple[int, bytes]] = []
        seen: set[int] = set()
        while True:
            async with self.store.unit() as uow:
                pending = await uow.embeddings.pending(workspace_id, self.model, self.batch)
            pending = [(article, known) for article, known in pending if article.id not in seen]
            if not pending:
                return made, True
            kept: list[ArticleEmbedding] = []
            todo: list[tuple[Article, list[str], str]] = []
            for article, known in pending:
                assert article.id is not None
                seen.add(article.id)
                texts = embedding_texts(article)
                digest = content_hash(texts)
                if known is not None and known.model == self.model and known.content_hash == digest:
                    kept.append(replace(known, article_updated_at=article.updated_at))  # only the article's stamp
                else:
                    todo.append((article, texts, digest))
            vectors = await self._embed([text for _, texts, _ in todo for text in texts]) if todo else []
            fresh: list[ArticleEmbedding] = []
            start = 0
            for article, texts, digest in todo:
                own, start = vectors[start : start + len(texts)], start + len(texts)
                if article.id is not None:
                    fresh.append(
                        ArticleEmbedding(
                            article_id=article.id,
                            workspace_id=article.workspace_id,
                            model=self.model,
                            content_hash=digest,
                            vector=pack(*own),
                            article_updated_at=article.updated_at,
                        )
                    )
            async with self.store.unit() as uow:
                await uow.embeddings.save([*kept, *fresh])
                await uow.commit()
            made += [(embedding.article_id, embedding.vector) for embedding in (*kept, *fresh)]
            if fresh:
                log.debug("embedded %d articles of workspace %d with %s", len(fresh), workspace_id, self.model)
            if budget is not None and self.clock() - started >= budget:
                return made, False

    async def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        try:
            vectors = await asyncio.to_thread(self.embedder.embed, list(texts))
        except Exception as error:
            self.failure = f"{type(error).__name__}: {error}"
            log.exception("semantic search is off from now on, keyword search only: %s failed", self.model)
            raise _EmbedderFailed from error
        if len(vectors) != len(texts) or any(len(vector) != self.embedder.dimensions for vector in vectors):
            self.failure = "the model gave vectors of the wrong number or size"
            log.error("semantic search is off from now on, keyword search only: %s", self.failure)
            raise _EmbedderFailed
        return vectors


class _EmbedderFailed(Exception):
    pass
