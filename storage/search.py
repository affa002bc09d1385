"""Full-text search over knowledge articles: SQLite FTS5 or a PostgreSQL tsvector, the same rules on both.

A query is whatever a user typed or a whole case text, so it is never handed to a query parser as is. It is cut into
plain words (letters and digits; quotes, operators, emoji and punctuation are dropped), common English words are
removed, and the rest are OR-ed: an article matching more and rarer words ranks higher (those with every word come
first), and a long case text still finds the article that shares a few of its words (its commonest words left
out). The last word is also matched as a prefix, for people who type "expo" and mean "export". Both backends stem
English words the same way (Porter on SQLite, `english` on PostgreSQL) and pick candidates by their own ranks (FTS5's
`bm25()`; on PostgreSQL the rarity of the words matched, then `ts_rank_cd` or `ts_rank`); the database then orders
the candidates by BM25 computed from each one's word counts (_Bm25: the `search_terms` and `search_length` columns
that rank_columns fills at every write, migration 0017_search_rank), the same on both backends, the rarity of the
words they have breaking ties (issue 26: ordering by that rarity first favoured long articles). FTS5's own `bm25()`
is not the final order: its idf is zero for a word in half the articles or more, which cost 0.02-0.03 of recall@1
on Banking77 (docs/measurements/knowledge.md).

Filters narrow the words down: each phrase must occur (its words next to each other, in order: an FTS5 phrase,
PostgreSQL's `phraseto_tsquery`), each tag must be one of the article's JSON tags (`json_each` on SQLite,
`json_array_elements_text` on PostgreSQL, the same comparison on both). Tags without words list the tagged articles,
most reused first.

The schema objects (FTS5 table and triggers, the generated tsvector column and its GIN index) live in the migrations;
is_search_object() picks them out so that schema comparisons leave them alone.
"""

from __future__ import annotations

import functools
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnClause,
    Float,
    Integer,
    String,
    bindparam,
    column,
    exists,
    func,
    literal,
    literal_column,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.knowledge import beyond_title
from bot.models import ArticleState
from bot.text import STEM_CHARS, stem
from storage.tables import ArticleRow

FTS_TABLE = "article_fts"
TSVECTOR_COLUMN = "search_vector"
TSVECTOR_INDEX = "ix_article_search_vector"
# No pending list (migration 0013): every search would read it whole, besides the index.
POSTGRESQL_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {TSVECTOR_INDEX} ON article USING gin ({TSVECTOR_COLUMN}) WITH (fastupdate = off)"
)
FTS_OBJECTS = frozenset({FTS_TABLE, TSVECTOR_COLUMN, TSVECTOR_INDEX})

# The words every case text has; on their own they would make every article a hit. PostgreSQL's `english`
# configuration leaves out its own list (tsearch_data/english.stop), so it is part of this one: the same words count
# on both backends, SQLite's FTS5 (which has no list) included.
# fmt: off
STOP_WORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "did", "do", "does",
    "doing", "don", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he",
    "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she", "should", "so",
    "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself",
    "yourselves",
})
# fmt: on
MAX_TERMS = 32
MAX_PHRASES = 8
MAX_TAGS = 8
PREFIX_MIN_CHARS = 3
SNIPPET_WORDS = 16
_WORD = re.compile(r"[^\W_]+")
EVERY_WORD_MAX_TERMS = 8  # longer texts (a whole case) hardly ever have every word in one article
PRUNE_FROM_TERMS = 4  # queries with more words than this leave out the commonest (see _ranked_terms)
COMMON_SHARE = 0.2
COMMON_MIN_ARTICLES = 100  # a small knowledge base is fast to rank whole: no word is common in it
MAX_RANKED_TERMS = 12
TERM_STATS_SECONDS = 600.0
RANK_ROWS = 1000  # articles ranked at most per match; more are cut to the most recent (SQLite) or a sample (PostgreSQL)
MATCH_ROWS = 6 * RANK_ROWS  # an any-word match takes its rarest words while they have no more articles than this
_OVERFETCH = 4  # candidates per article wanted: before the workspace and states filter (SQLite), to be ordered again
FIELD_WEIGHTS = (3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
BM25_K1 = 1.2
BM25_B = 0.75
AVERAGE_SAMPLE = 200
RECOUNT_BATCH = 500
_RANK_CD_SCALED = 32  # ts_rank_cd normalization: rank / (rank + 1)
_RANK_BY_LENGTH = 1 | 32  # ts_rank normalization: divided by 1 + log(the article's length), then rank / (rank + 1)
_BM25_WEIGHTS = FIELD_WEIGHTS  # FTS5 orders the candidates much as _Bm25 will
RANK_TEXT_COLUMNS = ("title", "issue", "environment", "resolution", "cause", "tags", "asked")  # FIELD_WEIGHTS' order


def is_search_object(name: str | None) -> bool:
    """True for the full-text search objects, which SQLModel.metadata does not describe (FTS5 adds shadow tables)."""
    return name is not None and (name in FTS_OBJECTS or name.startswith(f"{FTS_TABLE}_"))


def search_terms(query: str) -> list[str]:
    """The distinct words of a query, lower-case, in order, without stop words."""
    terms: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", query).lower()):
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
            if len(terms) == MAX_TERMS:
                break
    return terms


def phrase_words(phrase: str) -> list[str]:
    """The words of a phrase, lower-case, in order, stop words kept (they hold the others apart); none if only those."""
    words = _WORD.findall(unicodedata.normalize("NFKC", phrase).lower())[:MAX_TERMS]
    return words if any(word not in STOP_WORDS for word in words) else []


def search_tags(tags: Sequence[str]) -> list[str]:
    """The distinct tags to filter on, lower-case, as they are stored."""
    found: list[str] = []
    for tag in tags:
        # Never a character a database refuses to take: lone surrogates, NUL and other controls.
        tag = tag.encode("utf-8", "ignore").decode("utf-8")
        tag = "".join(c for c in unicodedata.normalize("NFKC", tag) if c.isprintable()).strip().lower()
        if tag and tag not in found:
            found.append(tag)
    return found[:MAX_TAGS]


def fts5_query(terms: Sequence[str], phrases: Sequence[Sequence[str]] = (), every: bool = False) -> str:
    """An FTS5 MATCH expression; each term and phrase is quoted, so none of it is read as syntax.

    Terms are OR-ed (AND-ed with every=True); each phrase is AND-ed to them. Every word comes from search_terms() or
    phrase_words(), so it holds letters and digits only and cannot close its quotes.
    """
    parts = [f'"{term}"' for term in terms]
    if terms and len(terms[-1]) >= PREFIX_MIN_CHARS:
        parts[-1] += "*"
    required = [f'"{" ".join(words)}"' for words in phrases]
    if every:
        return " AND ".join([*parts, *required])
    if parts and required:
        return " AND ".join([f"({' OR '.join(parts)})", *required])
    return " AND ".join(required) if required else " OR ".join(parts)


def tsquery_text(terms: Sequence[str], every: bool = False) -> str:
    """A to_tsquery expression; each term is quoted, so none of it is read as syntax."""
    return (" & " if every else " | ").join(tsquery_terms(terms))


def tsquery_terms(terms: Sequence[str]) -> list[str]:
    """Each term as a to_tsquery operand, the last one also as a prefix.

    PostgreSQL's parser reads a code such as `ERR-4821` as the word `err` and the signed number `-4821`, so a number
    is looked for both ways: `4821` finds the article that says `ERR-4821` as it does on SQLite."""
    parts = []
    for i, term in enumerate(terms):
        prefix = ":*" if i == len(terms) - 1 and len(term) >= PREFIX_MIN_CHARS else ""
        parts.append(f"('{term}'{prefix} | '-{term}'{prefix})" if term.isdigit() else f"'{term}'{prefix}")
    return parts


Ranked = list[tuple[ArticleRow, str, float]]  # (row, snippet, rank), best first
# (row, snippet, rank, share, known share): the share of the query's words the article has, each weighing its rarity
# (_rarity), then the same of the words some article has; 1.0 for a query of no words (a phrase or tags only), 0.0
# for none.
Found = list[tuple[ArticleRow, str, float, float, float]]


async def rebuild_index(engine: AsyncEngine) -> int:
    """Builds the full-text index again from the article rows (`swarm kb reindex`); how many articles it holds.

    SQLite: FTS5's `rebuild` reads every article again (an index that lost rows, or was made by an older tokenizer).
    PostgreSQL: the tsvector column is computed by the database itself, so its GIN index is rebuilt (made again if it
    was dropped) and the table analyzed. Both: each article's word counts (rank_columns) are counted again, and those
    that search keeps in memory are forgotten."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text(POSTGRESQL_INDEX))
            await connection.execute(text(f"ALTER INDEX {TSVECTOR_INDEX} SET (fastupdate = off)"))
            await connection.execute(text(f"REINDEX INDEX {TSVECTOR_INDEX}"))
            await connection.execute(text(f"ANALYZE {ArticleRow.__tablename__}"))
        else:
            await connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
        total = (await connection.execute(select(func.count()).select_from(ArticleRow))).scalar_one()
    await _count_words_again(engine)
    forget_term_counts(engine)
    return int(total)


async def _count_words_again(engine: AsyncEngine) -> None:
    """Each article's rank columns counted again from its text (rank_columns), a batch of rows per transaction."""
    article: Any = ArticleRow.__table__  # type: ignore[attr-defined]
    texts = [article.c.id, *(article.c[name] for name in RANK_TEXT_COLUMNS)]
    last = 0
    while True:
        async with engine.begin() as connection:
            statement = select(*texts).where(article.c.id > last).order_by(article.c.id).limit(RECOUNT_BATCH)
            rows = (await connection.execute(statement)).mappings().all()
            for row in rows:
                terms, length = rank_columns(dict(row))
                values = {"search_terms": terms, "search_length": length}
                await connection.execute(article.update().where(article.c.id == row["id"]).values(values))
        if len(rows) < RECOUNT_BATCH:
            return
        last = rows[-1]["id"]


async def search_articles(
    session: AsyncSession,
    dialect: str,
    workspace_id: int,
    query: str,
    limit: int,
    states: Sequence[ArticleState],
    tags: Sequence[str] = (),
    phrases: Sequence[str] = (),
) -> Found:
    """(row, snippet, rank, share, share of the known words) best first; a higher rank is a better match, comparable
    within one result only.

    Articles with every word come first, then those with some of them: the order BM25 nearly always gives anyway, and
    it is cheap, since the articles with every word are few and often enough to fill the result. Neither group ranks
    every article that has a common word (see _ranked_terms and RANK_ROWS), and the second orders its candidates by
    how rare the words they have are (_rarity), then by the index's rank.

    Each hit's share of the query's words weighs each word by its rarity: an error code or a product's name weighs
    more than "missing" or "slow", which many articles have. Hybrid search weighs keyword hits by it. The last share
    is of the words some article has (suggestions judge by it: a customer's name no article has is no evidence
    against an article).
    """
    terms = search_terms(query)
    wanted = [ArticleState(state).value for state in states]
    phrase_list = [words for words in (phrase_words(p) for p in phrases[:MAX_PHRASES]) if words]
    tag_list = search_tags(tags)
    if not wanted or limit <= 0 or not (terms or phrase_list or tag_list):
        return []
    # PostgreSQL's match binds its tags itself (_postgresql_statement): these are for tags alone and for SQLite.
    tagged = [_has_tag(dialect, tag) for tag in tag_list] if dialect == "sqlite" or not (terms or phrase_list) else []
    if not terms and not phrase_list:
        listed = (ArticleRow.workspace_id == workspace_id, col(ArticleRow.state).in_(wanted), *tagged)
        return [(row, snippet, rank, 1.0, 1.0) for row, snippet, rank in await _tagged(session, listed, limit)]
    scope: tuple[Any, ...] = ()
    if dialect == "sqlite":
        # Matches are looked up by id: the workspace's index must not be used (SQLite would scan the workspace with
        # it, article by article, rather than fetch a few ids); `+column` is SQLite's way to say so.
        owner = literal_column(f"+{ArticleRow.__tablename__}.workspace_id", Integer)
        scope = (owner == workspace_id, col(ArticleRow.state).in_(wanted), *tagged)
    stats = await _term_stats(session, dialect, terms)
    weights, finder = _rarity(terms, stats), _Finder(terms)
    total = sum(weights)
    # The words some article has: one no article has (a new customer's name, "since Monday") is no evidence against
    # any article, and weighs the most, being the rarest.
    known = sum(weight for i, weight in enumerate(weights) if stats.count(terms, i)) or total
    bm25 = _Bm25(dialect, terms, weights, stats.average)
    found: Found = []
    has: dict[int, float] = {}
    for every in (True, False) if 1 < len(terms) <= EVERY_WORD_MAX_TERMS else (False,):
        seen = [row.id for row, *_ in found]
        used = list(terms) if every or len(terms) < 2 else _ranked_terms(terms, stats)
        wide = stats.wide(used, every) or (not terms and bool(phrase_list))
        sought = _Match(workspace_id, wanted, tag_list, used, phrase_list, every, _rarity(used, stats))
        # The index's candidates with their BM25, computed by the database from each one's word counts (_Bm25) in
        # the same statement.
        if dialect == "postgresql":
            candidates = await _postgresql(session, sought, limit - len(found), seen, wide, bm25 if terms else None)
        else:
            match = fts5_query(used, phrase_list, every)
            candidates = await _sqlite(
                session, match, sought, scope, limit - len(found), seen, wide, bm25 if terms else None
            )
        if terms:
            # BM25's order; equals, the one with rarer words first.
            has.update((article_id, matched) for article_id, _, matched in candidates if matched)
            candidates.sort(key=lambda hit: (-hit[1], -hit[2]))
        more = [(article_id, score) for article_id, score, _ in candidates[: limit - len(found)]]
        rows = await _rows(session, [article_id for article_id, _ in more], ())
        shown = finder if terms else _Finder([word for words in phrase_list for word in words])
        found += [
            (
                rows[i],
                _snippet(rows[i], shown),
                rank,
                min(1.0, has.get(i, 0.0) / total) if terms else 1.0,
                min(1.0, has.get(i, 0.0) / known) if terms else 1.0,
            )
            for i, rank in more
            if i in rows
        ]
        if len(found) >= limit:
            break
    if terms:
        # Articles with every word that did not fill the result, with those that have some: one order, BM25's.
        found.sort(key=lambda hit: (-hit[2], -hit[3]))
    return found[:limit]


async def pick_articles(
    session: AsyncSession,
    dialect: str,
    workspace_id: int,
    ids: Sequence[int],
    states: Sequence[ArticleState],
    tags: Sequence[str] = (),
    phrases: Sequence[str] = (),
) -> Ranked:
    """(row, opening, 0.0) for the articles with these ids that pass search_articles' filters, in the order of ids."""
    wanted = [ArticleState(state).value for state in states]
    if not ids or not wanted:
        return []
    phrase_list = [words for words in (phrase_words(p) for p in phrases[:MAX_PHRASES]) if words]
    scope = [
        col(ArticleRow.id).in_(list(ids)),
        ArticleRow.workspace_id == workspace_id,
        col(ArticleRow.state).in_(wanted),
        *(_has_tag(dialect, tag) for tag in search_tags(tags)),
    ]
    if phrase_list and dialect == "postgresql":
        config: ColumnClause[Any] = literal_column("'english'::regconfig")
        vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
        scope += [vector.bool_op("@@")(func.phraseto_tsquery(config, " ".join(words))) for words in phrase_list]
    elif phrase_list:
        fts: ColumnClause[Any] = literal_column(FTS_TABLE)
        index = table(FTS_TABLE, column("rowid"))
        matching = select(index.c.rowid).where(fts.op("MATCH")(fts5_query([], phrase_list)))
        scope.append(col(ArticleRow.id).in_(matching.where(index.c.rowid.in_(list(ids)))))
    rows = {row.id: row for row in (await session.exec(select(ArticleRow).where(*scope))).all()}
    return [(rows[i], _opening(rows[i]), 0.0) for i in dict.fromkeys(ids) if i in rows]


@dataclass
class _TermStats:
    """How many articles the database has and how many of them have each word, as last counted (up to a cap)."""

    articles: int
    counted_at: float
    average: float = 0.0  # an article's length in words, each field's words weighing FIELD_WEIGHTS, on average
    articles_with: dict[str, int] = field(default_factory=dict)
    # PostgreSQL: the commonest words of the index and the share of the articles that have each, as the last ANALYZE
    # estimated them (pg_stats' most_common_elems of the tsvector), as `_COMMON_CTE` binds them; empty before one.
    common: dict[str, list[Any]] = field(default_factory=dict)

    def count(self, terms: Sequence[str], i: int) -> int:
        return self.articles_with.get(_key(terms, i), 0)

    def wide(self, terms: Sequence[str], every: bool) -> bool:
        """Whether the match may have more than RANK_ROWS articles (then only RANK_ROWS of them are ranked)."""
        if not terms:
            return False
        counts = [self.count(terms, i) for i in range(len(terms))]
        return (min(counts) if every else sum(counts)) > RANK_ROWS


# Per engine (database), for TERM_STATS_SECONDS: frequencies change slowly, and they only decide which words a query
# ranks with and how much each weighs, where a stale count costs little.
_TERM_STATS: WeakKeyDictionary[Any, _TermStats] = WeakKeyDictionary()


def _key(terms: Sequence[str], i: int) -> str:
    """The word as counted: the last one is also a prefix."""
    return f"{terms[i]}*" if i == len(terms) - 1 and len(terms[i]) >= PREFIX_MIN_CHARS else terms[i]


async def _term_stats(session: AsyncSession, dialect: str, terms: Sequence[str]) -> _TermStats:
    """The counts of the query's words, those not known yet counted now (in one statement), up to a cap."""
    engine = session.get_bind()
    stats = _TERM_STATS.get(engine)
    if stats is None or time.monotonic() - stats.counted_at > TERM_STATS_SECONDS or len(stats.articles_with) > 50_000:
        total = (await session.exec(select(func.count()).select_from(ArticleRow))).one()
        latest = select(ArticleRow.search_length).order_by(col(ArticleRow.id).desc()).limit(AVERAGE_SAMPLE)
        lengths = [float(length) for length in (await session.exec(latest)).all()]
        average = sum(lengths) / len(lengths) if lengths else 1.0
        stats = _TERM_STATS[engine] = _TermStats(int(total), time.monotonic(), max(average, 1.0))
        if dialect == "postgresql" and stats.articles >= COMMON_MIN_ARTICLES:  # a small one is counted at once
            common = (await (await session.connection()).execute(_COMMON_WORDS)).first()
            if common is not None and common[0]:
                words, shares = list(common[0]), [float(share) for share in common[1][: len(common[0])]]
                stats.common = {"common_words": words, "common_shares": shares}
        if stats.articles < COMMON_MIN_ARTICLES:
            # A small knowledge base changes fast, relative to its size: its counts are kept for one search only.
            stats.counted_at = -math.inf
    unknown = {_key(terms, i): i for i in range(len(terms)) if _key(terms, i) not in stats.articles_with}
    if unknown:
        cap = max(RANK_ROWS, int(stats.articles * COMMON_SHARE))
        estimated = stats.articles if stats.common else None
        counts = [_count(dialect, terms[i], key.endswith("*"), cap, estimated) for key, i in unknown.items()]
        found: Any = (await session.exec(select(*counts), params=stats.common)).one()
        numbers = [found] if len(counts) == 1 else list(found)  # one column comes back as a scalar
        stats.articles_with.update(zip(unknown, (int(n) for n in numbers), strict=True))
    return stats


def forget_term_counts(engine: AsyncEngine) -> None:
    """Forgets the word counts kept for this database (counted again at the next search), as after a bulk load."""
    _TERM_STATS.pop(engine.sync_engine, None)


def _ranked_terms(terms: Sequence[str], stats: _TermStats) -> list[str]:
    """The words an any-word match ranks with: the rarest, as many as have at most MATCH_ROWS articles together (at
    least one, which is found in its most recent RANK_ROWS articles if it alone has more); of a long query (more than
    PRUNE_FROM_TERMS words) none that more than COMMON_SHARE of the articles have unless there is nothing else, at
    most MAX_RANKED_TERMS; in their order. The
    words left out still order the candidates (_rarity). Words no article had when counted last cost nothing to
    match and are kept: an article added since may have them."""
    common = max(COMMON_MIN_ARTICLES, int(stats.articles * COMMON_SHARE))
    counts = [stats.count(terms, i) for i in range(len(terms))]
    last = len(terms) - 1  # perhaps cut short as it was typed ("expo"): always kept
    order = sorted(range(last), key=lambda i: counts[i])
    kept = [last]
    total = counts[last]
    ranking = 1  # words kept that some article has: words no article has cost nothing and take no place
    for i in order:
        if counts[i] == 0:
            kept.append(i)
            continue
        too_common = counts[i] > common and len(terms) > PRUNE_FROM_TERMS
        if ranking > 1 and (total + counts[i] > MATCH_ROWS or too_common or ranking == MAX_RANKED_TERMS):
            break
        kept.append(i)
        ranking += 1
        total += counts[i]
    return [terms[i] for i in sorted(kept)]


def _rarity(terms: Sequence[str], stats: _TermStats) -> list[float]:
    """Each word's weight: its inverse document frequency, as BM25 has it (never below a small positive)."""
    n = max(stats.articles, 1)
    found = [min(stats.count(terms, i), n) for i in range(len(terms))]
    return [math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for df in found]


class _Finder:
    """The query's words as _snippet finds them in a text, by their stem (bot.text) at the start of a word, as
    rank_columns counts them.

    A stem cut to STEM_CHARS letters starts every word of that stem; a shorter one is the word itself, with a plural,
    past or -ing ending or none; the last query word also starts a word as typed (its first STEM_CHARS letters). A
    text is read a word at a time, each looked up in two tables: one regular expression per query word read the
    whole text once each: 3-4 ms for the 20 candidates of a case text, against under 1 ms."""

    def __init__(self, terms: Sequence[str]) -> None:
        self._whole: dict[str, set[int]] = {}
        self._start: dict[str, set[int]] = {}
        for i, term in enumerate(terms):
            root = stem(term)
            if len(root) == STEM_CHARS:
                self._start.setdefault(root, set()).add(i)
            else:
                for ending in ("", "ing", "ed", "es", "s"):
                    self._whole.setdefault(root + ending, set()).add(i)
            if i == len(terms) - 1 and len(term) >= PREFIX_MIN_CHARS:
                self._start.setdefault(term[:STEM_CHARS], set()).add(i)
        # A word can be one of the query's only if it starts as one of them: most words of a text are passed over by
        # this one look-up.
        self._heads = {key[:PREFIX_MIN_CHARS] for key in (*self._whole, *self._start)}

    def words(self, word: str) -> set[int]:
        """The indexes of the query words that this (lower-case) word is."""
        if word[:PREFIX_MIN_CHARS] not in self._heads:
            return set()
        found = set(self._whole.get(word, ()))
        for length in range(PREFIX_MIN_CHARS, STEM_CHARS + 1):
            found.update(self._start.get(word[:length], ()))
        return found

    def present(self, text: str) -> set[int]:
        """The indexes of the query words that the (lower-case) text has."""
        heads = self._heads
        words = {word for word in _WORD.findall(text) if word[:PREFIX_MIN_CHARS] in heads}
        starts = {word[:length] for word in words for length in range(PREFIX_MIN_CHARS, STEM_CHARS + 1)}
        found: set[int] = set()
        for key in self._whole.keys() & words:
            found |= self._whole[key]
        for key in self._start.keys() & starts:
            found |= self._start[key]
        return found

    def first(self, text: str) -> dict[int, int]:
        """Where in the (lower-case) text each query word it has is first found: {index of the word: offset}."""
        found: dict[int, int] = {}
        heads = self._heads
        for match in _WORD.finditer(text):
            word = match.group()
            if word[:PREFIX_MIN_CHARS] in heads:
                for i in self.words(word):
                    found.setdefault(i, match.start())
        return found


def _words_in(text: str) -> Counter[str]:
    """How often the (lower-case) text has each word, stop words left out."""
    found = Counter(_WORD.findall(text))
    for word in STOP_WORDS & found.keys():
        del found[word]
    return found


def rank_columns(values: Mapping[str, Any]) -> tuple[dict[str, float], float]:
    """What an article's rank is computed from (its `search_terms` and `search_length` columns): each word's stem
    (bot.text.stem, as _Finder finds a query's words) with how often the article says it, each field's words counting
    FIELD_WEIGHTS (BM25F: a title word counts 3), and the article's length so counted; stop words left out."""
    counts: dict[str, float] = {}
    length = 0.0
    for weight, name in zip(FIELD_WEIGHTS, RANK_TEXT_COLUMNS, strict=True):
        value = values.get(name) or ""
        text = " ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        if not text:
            continue
        for word, n in _words_in(unicodedata.normalize("NFKC", text).lower()).items():
            key = stem(word)
            counts[key] = counts.get(key, 0.0) + weight * n
            length += weight * n
    return counts, length


def with_rank_columns(values: dict[str, Any]) -> dict[str, Any]:
    """An article row's values with its rank columns: for code that inserts rows in bulk (the benches)."""
    terms, length = rank_columns(values)
    return values | {"search_terms": terms, "search_length": length}


class _Bm25:
    """BM25 of candidates, computed by the database from their word counts (rank_columns): the same on both backends,
    whatever ranked the candidates.

    A query word is found by its stem (bot.text.stem) among the article's, the last one also as the start of one (as
    typed: "expo" for "export"); each weighs its rarity (_rarity, BM25's idf); an article's length is against the
    knowledge base's average. Computed in the statement that finds the candidates (_sqlite_statement,
    _postgresql_statement: one round trip, not two), whatever their number: each word is one key looked up in the
    article's counts (`json_extract`, jsonb's `->>`), the last one a scan of its keys; `scores` for candidates found
    otherwise."""

    def __init__(self, dialect: str, terms: Sequence[str], weights: Sequence[float], average: float) -> None:
        self.dialect = dialect
        self.keys = [stem(term) for term in terms]
        last = terms[-1] if terms else ""
        self.prefix = last[:STEM_CHARS] if len(last) >= PREFIX_MIN_CHARS else ""
        self.weights = weights
        self.average = average

    def values(self, ids: Sequence[int] = ()) -> dict[str, Any]:
        """The statement's bound values (_bm25_sql's names), and the candidates' ids if it reads them by id."""
        found: dict[str, Any] = {"bm25_k1": BM25_K1, "bm25_b": BM25_B, "bm25_average": self.average}
        if ids:
            found["ids"] = list(ids)
        for i, (key, weight) in enumerate(zip(self.keys, self.weights, strict=True)):
            found[f"bm25_key_{i}"] = f'$."{key}"' if self.dialect == "sqlite" else key
            found[f"bm25_weight_{i}"] = weight
        if self.prefix:
            found |= {"bm25_exact": self.keys[-1], "bm25_prefix": self.prefix, "bm25_prefix_chars": len(self.prefix)}
        return found

    async def scores(self, session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[float, float]]:
        """{article id: (BM25, the weights of the query's words it has)} for those of the ids that have any."""
        if not ids or not self.keys:
            return {}
        statement = _bm25_statement(self.dialect, len(self.keys), bool(self.prefix))
        rows = (await session.exec(statement, params=self.values(ids))).all()
        return {int(row_id): (float(score), float(matched)) for row_id, score, matched in rows if matched}


def _bm25_sql(dialect: str, terms: int, prefix: bool) -> tuple[list[str], str, str]:
    """BM25 as SQL text: each query word's count in `article` (tf_0 …, for a SELECT list), and the score and the
    weights of the words present, computed from those counts and `length` one level up; values bound as _Bm25 has."""
    counts = "article.search_terms"
    found = []
    for i in range(terms):
        if i == terms - 1 and prefix:
            if dialect == "sqlite":
                each = f"json_each({counts})"
                test, value = "substr(key, 1, :bm25_prefix_chars) = :bm25_prefix", "value"
            else:
                each = f"jsonb_each_text({counts})"
                test = "left(key, CAST(:bm25_prefix_chars AS integer)) = CAST(:bm25_prefix AS text)"
                value = "CAST(value AS double precision)"
            exact = "key = :bm25_exact" if dialect == "sqlite" else "key = CAST(:bm25_exact AS text)"
            found.append(f"(SELECT sum({value}) FROM {each} WHERE {exact} OR {test})")
        elif dialect == "sqlite":
            found.append(f"json_extract({counts}, :bm25_key_{i})")
        else:
            found.append(f"CAST({counts} ->> CAST(:bm25_key_{i} AS text) AS double precision)")
    real = "real" if dialect == "sqlite" else "double precision"
    k1, b = f"CAST(:bm25_k1 AS {real})", f"CAST(:bm25_b AS {real})"
    tfs = [f"coalesce({count}, 0) AS tf_{i}" for i, count in enumerate(found)]
    norm = f"({k1} * (1 - {b} + {b} * length / CAST(:bm25_average AS {real})))"
    score = " + ".join(
        f"CAST(:bm25_weight_{i} AS {real}) * tf_{i} * ({k1} + 1) / (tf_{i} + {norm})" for i in range(terms)
    )
    matched = " + ".join(f"CASE WHEN tf_{i} > 0 THEN CAST(:bm25_weight_{i} AS {real}) ELSE 0 END" for i in range(terms))
    return tfs, score or "0", matched or "0"


@functools.lru_cache(maxsize=128)
def _bm25_statement(dialect: str, terms: int, prefix: bool) -> Any:
    """SELECT id, BM25, the weights of the words present FROM the articles with those ids: built once per shape."""
    tfs, score, matched = _bm25_sql(dialect, terms, prefix)
    sql = (
        f"SELECT id, {score} AS score, {matched} AS matched FROM ("
        f"SELECT article.id AS id, article.search_length AS length, {', '.join(tfs)} FROM article"
        " WHERE article.id IN :ids) AS counted"
    )
    return text(sql).bindparams(bindparam("ids", expanding=True)).columns(id=Integer, score=Float, matched=Float)


def _count(dialect: str, term: str, prefix: bool, cap: int, articles: int | None) -> Any:
    """How many articles have the word, counted up to cap + 1: a scalar subquery. On PostgreSQL, given the number of
    `articles`, a word among the commonest that ANALYZE found (_TermStats.common, bound as `common_words` and
    `common_shares`) is not counted: its share of the articles, times `articles`; a prefix, the share of the commonest
    word it starts (fewer articles than all of those have: a lower bound)."""
    if dialect == "postgresql":
        config: ColumnClause[Any] = literal_column("'english'::regconfig")
        operand = tsquery_terms([term])[0] if prefix else f"'{term}'"
        vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
        match = vector.bool_op("@@")(_once(func.to_tsquery(config, operand)))
        found = select(literal(1).label("hit")).select_from(ArticleRow).where(match).limit(cap + 1).subquery()
        counted = select(func.count()).select_from(found).scalar_subquery()
        if articles is None:
            return counted
        # Counting a word that a fifth of 100,000 articles have reads 20,000 rows (5 ms) at every new word of a
        # search; ANALYZE has already estimated the commonest ones. COALESCE evaluates the count only without one.
        common = _COMMON_CTE
        lexeme = func.btrim(func.replace(func.cast(func.to_tsquery(config, operand), String), ":*", ""), "'")
        same = func.left(common.c.word, func.length(lexeme)) == lexeme if prefix else common.c.word == lexeme
        share = select(func.round(func.max(common.c.share) * articles)).where(same)
        return select(func.coalesce(share.scalar_subquery(), counted)).scalar_subquery()
    fts: ColumnClause[Any] = literal_column(FTS_TABLE)
    expression = f'"{term}"' + ("*" if prefix else "")
    index = table(FTS_TABLE, column("rowid"))
    found = select(index.c.rowid).where(fts.op("MATCH")(expression)).limit(cap + 1).subquery()
    return select(func.count()).select_from(found).scalar_subquery()


# What ANALYZE (autovacuum's, or an explicit one) estimated of the tsvector from its sample, read with the other
# statistics every TERM_STATS_SECONDS; not joined into each count: planning a statement over the pg_stats view took
# 2.4 ms, five times running it.
_COMMON_WORDS = text(
    "SELECT CAST(CAST(most_common_elems AS text) AS text[]), most_common_elem_freqs FROM pg_stats"
    f" WHERE schemaname = current_schema() AND tablename = 'article' AND attname = '{TSVECTOR_COLUMN}'"
)
# The same, bound as two arrays: one CTE however many words a statement counts.
_COMMON_CTE = select(
    func.unnest(bindparam("common_words", type_=ARRAY(String))).label("word"),
    func.unnest(bindparam("common_shares", type_=ARRAY(Float))).label("share"),
).cte("common_words")


def _has_tag(dialect: str, tag: str | BindParameter[str]) -> Any:
    """EXISTS (one of the article's JSON tags is `tag`), the same test on both backends."""
    elements = "json_array_elements_text" if dialect == "postgresql" else "json_each"
    each = getattr(func, elements)(ArticleRow.tags).table_valued("value").alias("article_tag")
    return exists(select(literal(1)).select_from(each).where(func.lower(each.c.value) == tag))


async def _tagged(session: AsyncSession, scope: tuple[Any, ...], limit: int) -> Ranked:
    """Tags alone, no words: the tagged articles, the most reused and then the newest first."""
    statement = (
        select(ArticleRow)
        .where(*scope)
        .order_by(col(ArticleRow.reuse_count).desc(), col(ArticleRow.updated_at).desc(), col(ArticleRow.number).desc())
        .limit(limit)
    )
    rows = (await session.exec(statement)).all()
    return [(row, _opening(row), 0.0) for row in rows]


def _opening(row: ArticleRow) -> str:
    words = next(iter(_bodies(row)), "").split()
    return " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")


# The body columns, in the order a snippet is preferred from; title and tags are shown on their own anyway.
_SNIPPET_COLUMNS = ("issue", "resolution", "environment", "cause")


def _bodies(row: ArticleRow) -> list[str]:
    """The texts a snippet may come from, in that order: none that is empty or only says the title again."""
    return beyond_title(row.title, (str(getattr(row, name)) for name in _SNIPPET_COLUMNS))


def _snippet(row: ArticleRow, finder: _Finder) -> str:
    """Plain text: SNIPPET_WORDS words of the body column with the most of the query's words (the first column of
    equals: issue before resolution …), from just before the first of them; an ellipsis where the text was cut."""
    best: tuple[int, str, int] | None = None
    # Last, the ways it was asked before: shown when they hold more of the query's words than the article's text.
    for body in (*_bodies(row), " / ".join(row.asked)):
        if not body.strip():
            continue
        hits = finder.first(body.lower())
        if best is None or len(hits) > best[0]:
            best = (len(hits), body, min(hits.values(), default=0))
    if best is None:
        return ""
    _, text, at = best
    before = len(text[:at].split())
    words = text.split()
    start = max(0, min(before - 2, len(words) - SNIPPET_WORDS))
    shown = " ".join(words[start : start + SNIPPET_WORDS])
    return ("… " if start else "") + shown + (" …" if start + SNIPPET_WORDS < len(words) else "")


async def _sqlite(
    session: AsyncSession,
    match: str,
    sought: _Match,
    scope: tuple[Any, ...],
    limit: int,
    seen: Sequence[Any],
    wide: bool,
    bm25: _Bm25 | None,
) -> list[tuple[int, float, float]]:
    """(article id, BM25 — FTS5's rank for a query without words —, the weights of the query's words it has) of the
    best candidates in scope, in FTS5's order: its best by its bm25(), scored in the same statement (_sqlite_statement).
    """
    fetch = limit * _OVERFETCH
    shape = (len(bm25.keys), bool(bm25.prefix)) if bm25 else (0, False)
    statement = _sqlite_statement(*shape, wide, bool(seen), len(sought.tags))
    values: dict[str, Any] = {"match": match, "fetch": fetch, "workspace_id": sought.workspace_id}
    values |= {"states": list(sought.states), **{f"tag_{i}": tag for i, tag in enumerate(sought.tags)}}
    values |= {"seen": list(seen)} if seen else {}
    rows = (await session.exec(statement, params=values | (bm25.values() if bm25 else {}))).all()
    rows = sorted(rows, key=lambda row: (-row[1], -row[0]))
    kept = [(int(i), float(score), float(matched)) for i, _, in_scope, score, matched in rows if in_scope]
    if len(kept) >= limit or len(rows) < fetch:
        return kept
    # Too few of the best were in scope while the index had more: rank again with the article table joined, which
    # costs twice as much and is always right.
    fts: ColumnClause[Any] = literal_column(FTS_TABLE)
    index = table(FTS_TABLE, column("rowid"))
    rank = func.bm25(fts, *_BM25_WEIGHTS)  # lower is better
    where = [fts.op("MATCH")(match)]
    if wide:
        newest = select(index.c.rowid).where(*where).order_by(index.c.rowid.desc()).offset(RANK_ROWS - 1).limit(1)
        cut = (await session.exec(newest)).first()
        if cut is not None:
            where.append(index.c.rowid >= cut)
    joined = (
        select(ArticleRow.id, -rank)
        .join_from(index, ArticleRow, index.c.rowid == ArticleRow.id)
        .where(*where, *_unseen(seen), *scope)
        .order_by(rank, col(ArticleRow.id).desc())
        .limit(fetch)
    )
    ranked = [(int(i), float(r)) for i, r in (await session.exec(joined)).all() if i is not None]
    if not bm25:
        return [(i, r, 0.0) for i, r in ranked]
    scored = await bm25.scores(session, [i for i, _ in ranked])
    return [(i, *scored.get(i, (0.0, 0.0))) for i, _ in ranked]


@functools.lru_cache(maxsize=256)
def _sqlite_statement(terms: int, prefix: bool, wide: bool, seen: bool, tags: int) -> Any:
    """FTS5's best `fetch` matches by its bm25(), with whether each is in scope (workspace, states, tags) and its
    BM25 from its word counts (_bm25_sql): one statement, built once per shape.

    They are ranked in the index alone, and the scope told apart after: ranking with the article table joined costs
    twice as much, and most matches are of the workspace and states asked for. A wide match ranks only the most
    recent RANK_ROWS of its articles (FTS5 reads a rowid range straight from its index, where ranking costs a few
    microseconds an article)."""
    rank = f"bm25({FTS_TABLE}, {', '.join(str(weight) for weight in _BM25_WEIGHTS)})"
    where = f"{FTS_TABLE} MATCH :match"
    if wide:
        newest = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match ORDER BY rowid DESC"
        where += f" AND rowid >= coalesce(({newest} LIMIT 1 OFFSET {RANK_ROWS - 1}), 0)"
    if seen:
        where += " AND rowid NOT IN :seen"
    best = (
        f"SELECT rowid AS id, -{rank} AS rank FROM {FTS_TABLE} WHERE {where} ORDER BY {rank}, rowid DESC LIMIT :fetch"
    )
    tagged = "".join(
        f" AND EXISTS (SELECT 1 FROM json_each(article.tags) WHERE lower(value) = :tag_{i})" for i in range(tags)
    )
    in_scope = f"(article.workspace_id = :workspace_id AND article.state IN :states{tagged})"
    tfs, score, matched = _bm25_sql("sqlite", terms, prefix)
    counted = ", ".join(["candidate.id AS id", "candidate.rank AS rank", f"{in_scope} AS in_scope"])
    counted += ", article.search_length AS length" + "".join(f", {tf}" for tf in tfs)
    sql = (
        f"SELECT id, rank, in_scope, {score if terms else 'rank'} AS score, {matched} AS matched FROM ("
        f"SELECT {counted} FROM ({best}) AS candidate JOIN article ON article.id = candidate.id) AS counted"
    )
    binds: list[BindParameter[Any]] = [bindparam("states", expanding=True)] + (
        [bindparam("seen", expanding=True)] if seen else []
    )
    return text(sql).bindparams(*binds).columns(id=Integer, rank=Float, in_scope=Integer, score=Float, matched=Float)


def _unseen(seen: Sequence[Any]) -> tuple[Any, ...]:
    return (col(ArticleRow.id).notin_(seen),) if seen else ()


async def _rows(session: AsyncSession, ids: Sequence[int], scope: tuple[Any, ...]) -> dict[int, ArticleRow]:
    """The articles with these ids that are in scope, by id."""
    if not ids:
        return {}
    # Not their word counts, which were read for their rank already: parsing them cost as much as the statement.
    counts: Any = ArticleRow.search_terms  # an instrumented attribute, which SQLModel types as its value
    statement = select(ArticleRow).options(defer(counts)).where(col(ArticleRow.id).in_(ids), *scope)
    return {row.id: row for row in (await session.exec(statement)).all() if row.id is not None}


@dataclass(frozen=True)
class _Match:
    """What a PostgreSQL match looks for: the statement's shape and, apart, the values it binds."""

    workspace_id: int
    states: Sequence[str]
    tags: Sequence[str]
    terms: Sequence[str]
    phrases: Sequence[Sequence[str]]
    every: bool
    weights: Sequence[float]

    @property
    def by_rarity(self) -> bool:
        return len(self.terms) > 1 and not self.every

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {"workspace_id": self.workspace_id, "states": list(self.states)}
        found.update((f"tag_{i}", tag) for i, tag in enumerate(self.tags))
        found.update((f"phrase_{i}", " ".join(words)) for i, words in enumerate(self.phrases))
        if self.terms:
            found["terms"] = tsquery_text(self.terms, self.every)
        if self.by_rarity:
            found.update((f"term_{i}", term) for i, term in enumerate(tsquery_terms(self.terms)))
            found.update((f"weight_{i}", round(weight, 4)) for i, weight in enumerate(self.weights))
        return found


async def _postgresql(
    session: AsyncSession, match: _Match, limit: int, seen: Sequence[Any], wide: bool, bm25: _Bm25 | None
) -> list[tuple[int, float, float]]:
    """(article id, BM25 — the match's rank for a query without words —, the weights of the query's words it has) of
    the best candidates, in the match's order: one statement (_postgresql_statement)."""
    statement = _postgresql_statement(
        len(match.terms) if match.by_rarity else int(bool(match.terms)),
        match.by_rarity,
        len(match.phrases),
        len(match.tags),
        wide,
        bool(seen),
        len(bm25.keys) if bm25 else 0,
        bool(bm25 and bm25.prefix),
    )
    # Candidates that BM25 orders again, by all the query's words (the commonest left out of the match too), come a
    # few per article wanted; the others are in their final order already.
    fetch = limit * _OVERFETCH if match.by_rarity or bool(match.terms) else limit
    values = match.values() | {"rank_rows": RANK_ROWS, "fetch": fetch} | (bm25.values() if bm25 else {})
    if seen:
        values["seen"] = list(seen)
    # Through the connection: the ORM would look for the statement's textual columns among its entities.
    connection = await session.connection()
    rows = sorted((await connection.execute(statement, values)).all(), key=lambda row: (-row[1], -row[0]))
    return [(int(row_id), float(score), float(matched)) for row_id, _, score, matched in rows]


@functools.lru_cache(maxsize=512)
def _postgresql_statement(
    terms: int, by_rarity: bool, phrases: int, tags: int, wide: bool, seen: bool, scored: int, prefix: bool
) -> Any:
    """The ranked match of that shape, its best `fetch` with their BM25 from their word counts (_bm25_sql, for a query
    of `scored` words), every value a bound parameter (_Match.values, _Bm25.values): built once per shape, since
    building a statement of a case text's dozen words took more than a millisecond, a tenth of the search."""
    config: ColumnClause[Any] = literal_column("'english'::regconfig")
    parts = [func.to_tsquery(config, bindparam("terms", type_=String))] if terms else []
    # phraseto_tsquery reads its text as plain words: nothing in it is syntax.
    parts += [func.phraseto_tsquery(config, bindparam(f"phrase_{i}", type_=String)) for i in range(phrases)]
    combined: Any = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    query = _once(combined)
    vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
    rank: Any = func.ts_rank_cd(vector, query, _RANK_CD_SCALED)
    if by_rarity:
        # PostgreSQL's ranks have no notion of how rare the words are: three mentions of a common word outrank one of
        # a rare one. So, as BM25 does on SQLite, the rarity of the words it has (each word's weight, _rarity) comes
        # first, then how often it has them for its length, as BM25 weighs them too (ts_rank, in [0, 1)). Not cover
        # density: with a case text's dozen words ts_rank_cd costs 5 µs an article, eight times ts_rank, to order
        # articles that have the same words.
        found = [
            func.cast(
                vector.bool_op("@@")(_once(func.to_tsquery(config, bindparam(f"term_{i}", type_=String)))), Integer
            )
            * bindparam(f"weight_{i}", type_=Float)
            for i in range(terms)
        ]
        rank = sum(found, func.ts_rank(vector, query, _RANK_BY_LENGTH))
    scope = [
        ArticleRow.workspace_id == bindparam("workspace_id", type_=Integer),
        col(ArticleRow.state).in_(bindparam("states", expanding=True)),
        *(_has_tag("postgresql", bindparam(f"tag_{i}", type_=String)) for i in range(tags)),
    ]
    if seen:
        scope.append(col(ArticleRow.id).not_in(bindparam("seen", expanding=True)))
    # Ranked where they are matched, and only the best `fetch` read whole: joining every match back to its row (by
    # the primary key, a thousand times for a wide match) cost as much as the ranking itself.
    ranked = select(ArticleRow.id, rank.label("rank")).where(vector.bool_op("@@")(query), *scope)
    # Materialized: a CTE is read lazily, so with a LIMIT on it the bitmap scan of the GIN index stops after that
    # many rows; a LIMIT on the match itself makes the planner read the table from the start until it has enough
    # (tens of thousands of rows at 100k articles) instead of the index.
    matches = ranked.cte("matches").prefix_with("MATERIALIZED")
    sample = select(matches.c.id, matches.c.rank)
    if wide:
        # More matches than are worth ranking (each needs its tsvector read from the table): RANK_ROWS of them, as
        # the GIN index gives them.
        sample = sample.limit(bindparam("rank_rows", type_=Integer))
    pool = sample.subquery("sample")
    order = (pool.c.rank.desc(), pool.c.id.desc())
    best = select(pool.c.id, pool.c.rank).order_by(*order).limit(bindparam("fetch", type_=Integer)).subquery("best")
    # The best ones' BM25 in the same statement: one round trip, not two.
    tfs, score, matched = _bm25_sql("postgresql", scored, prefix)
    counted = (
        select(best.c.id, best.c.rank, col(ArticleRow.search_length).label("length"), *(text(tf) for tf in tfs))
        .join_from(best, ArticleRow, col(ArticleRow.id) == best.c.id)
        .subquery("counted")
    )
    scores = text(f"counted.id, counted.rank, {score if scored else 'counted.rank'} AS score, {matched} AS matched")
    return select(scores).select_from(counted)


def _once(expression: Any) -> Any:
    """The expression as a scalar subquery, which PostgreSQL evaluates once per statement (an InitPlan).

    Asyncpg prepares each statement, and after five runs PostgreSQL may keep a generic plan, where a to_tsquery of a
    parameter is evaluated again for every row it is compared with: 2-3 times the cost of a ranked match."""
    return select(expression).scalar_subquery()
