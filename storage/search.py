"""Full-text search over knowledge articles: SQLite FTS5 or a PostgreSQL tsvector, the same rules on both.

A query is whatever a user typed or a whole case text, so it is never handed to a query parser as is. It is cut into
plain words (letters and digits; quotes, operators, emoji and punctuation are dropped), common English words are
removed, and the rest are OR-ed: an article matching more and rarer words ranks higher (those with every word come
first), and a long case text still finds the article that shares a few of its words (its commonest words left
out). The last word is also matched as a prefix, for people who type "expo" and mean "export". Both backends stem
English words the same way (Porter on SQLite, `english` on PostgreSQL) and rank by weights per column (FTS5's
`bm25()`; on PostgreSQL the number of words matched, then cover density, `ts_rank_cd`).

Filters narrow the words down: each phrase must occur (its words next to each other, in order: an FTS5 phrase,
PostgreSQL's `phraseto_tsquery`), each tag must be one of the article's JSON tags (`json_each` on SQLite,
`json_array_elements_text` on PostgreSQL, the same comparison on both). Tags without words list the tagged articles,
most reused first.

The schema objects (FTS5 table and triggers, the generated tsvector column and its GIN index) live in the migrations;
is_search_object() picks them out so that schema comparisons leave them alone.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnClause, Integer, column, exists, func, literal, literal_column, table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import ArticleState
from storage.tables import ArticleRow

FTS_TABLE = "article_fts"
TSVECTOR_COLUMN = "search_vector"
TSVECTOR_INDEX = "ix_article_search_vector"
FTS_OBJECTS = frozenset({FTS_TABLE, TSVECTOR_COLUMN, TSVECTOR_INDEX})

# The words every case text has; on their own they would make every article a hit.
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will",
    "with",
})
# fmt: on
MAX_TERMS = 32
MAX_PHRASES = 8
MAX_TAGS = 8
PREFIX_MIN_CHARS = 3
SNIPPET_WORDS = 16
_WORD = re.compile(r"[^\W_]+")
# Plain text, no highlight markers: the snippet goes to Slack, Teams and the console, each with its own markup.
_HEADLINE_OPTIONS = (
    f'StartSel="", StopSel="", MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
EVERY_WORD_MAX_TERMS = 8  # longer texts (a whole case) hardly ever have every word in one article
PRUNE_FROM_TERMS = 4  # queries with more words than this leave out the commonest (see _worth_ranking)
COMMON_SHARE = 0.2
COMMON_MIN_ARTICLES = 100  # a small knowledge base is fast to rank whole: no word is common in it
MAX_RANKED_TERMS = 12
TERM_STATS_SECONDS = 600.0
_OVERFETCH = 4  # candidates ranked in the index alone per article wanted, before the workspace and states filter
EVERY_WORD_BONUS = 1000.0
_RANK_CD_SCALED = 32  # ts_rank_cd normalization: rank / (rank + 1)
_BM25_WEIGHTS = (10.0, 4.0, 2.0, 4.0, 2.0, 6.0)  # title, issue, environment, resolution, cause, tags


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


Found = list[tuple[ArticleRow, str, float]]


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
    """(row, snippet, rank) best first; a higher rank is a better match, comparable within one result only.

    Articles with every word come first, then those with some of them, each group by rank: the order BM25 nearly
    always gives anyway, and it is cheap, since the articles with every word are few and often enough to fill the
    result, so the many with only one common word need not be ranked at all.
    """
    terms = search_terms(query)
    wanted = [ArticleState(state).value for state in states]
    phrase_list = [words for words in (phrase_words(p) for p in phrases[:MAX_PHRASES]) if words]
    tag_list = search_tags(tags)
    if not wanted or limit <= 0 or not (terms or phrase_list or tag_list):
        return []
    tagged = tuple(_has_tag(dialect, tag) for tag in tag_list)
    if not terms and not phrase_list:
        return await _tagged(
            session, (ArticleRow.workspace_id == workspace_id, col(ArticleRow.state).in_(wanted), *tagged), limit
        )
    # Matches are looked up by id: the workspace's index must not be used (SQLite would scan the workspace with
    # it, article by article, rather than fetch a few ids); `+column` is SQLite's way to say so.
    owner = (
        literal_column(f"+{ArticleRow.__tablename__}.workspace_id", Integer)
        if dialect == "sqlite"
        else ArticleRow.workspace_id
    )
    scope = (owner == workspace_id, col(ArticleRow.state).in_(wanted), *tagged)
    found: Found = []
    for every in (True, False) if 1 < len(terms) <= EVERY_WORD_MAX_TERMS else (False,):
        seen = [row.id for row, _, _ in found]
        if not every and len(terms) > PRUNE_FROM_TERMS:
            terms = await _worth_ranking(session, dialect, terms)
        if dialect == "postgresql":
            statement = _postgresql(terms, phrase_list, every, scope, seen).limit(limit - len(found))
            more = [(row, snippet or "", float(rank)) for row, rank, snippet in (await session.exec(statement)).all()]
        else:
            more = await _sqlite(session, fts5_query(terms, phrase_list, every), scope, limit - len(found), seen)
        # Ranks of articles with every word are lifted above all others, so that ranks still say the order.
        found += [(row, snippet, rank + (EVERY_WORD_BONUS if every else 0.0)) for row, snippet, rank in more]
        if len(found) >= limit:
            break
    return found[:limit]


async def pick_articles(
    session: AsyncSession,
    dialect: str,
    workspace_id: int,
    ids: Sequence[int],
    states: Sequence[ArticleState],
    tags: Sequence[str] = (),
    phrases: Sequence[str] = (),
) -> Found:
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
    """How many articles the database has and how many of them have each word, as last counted."""

    articles: int
    counted_at: float
    articles_with: dict[str, int] = field(default_factory=dict)


# Per engine (database), for TERM_STATS_SECONDS: frequencies change slowly, and they only decide which words to
# leave out of a long query, where a stale count costs nothing.
_TERM_STATS: WeakKeyDictionary[Any, _TermStats] = WeakKeyDictionary()


async def _worth_ranking(session: AsyncSession, dialect: str, terms: Sequence[str]) -> list[str]:
    """The words of a long query worth ranking with: not those in more than COMMON_SHARE of the articles (their
    BM25 weight is next to nothing, and ranking every article that has them is what makes a long query slow), at
    most MAX_RANKED_TERMS of the rarest; in their order, the last one (a prefix) always kept."""
    engine = session.get_bind()
    stats = _TERM_STATS.get(engine)
    if stats is None or time.monotonic() - stats.counted_at > TERM_STATS_SECONDS or len(stats.articles_with) > 50_000:
        total = (await session.exec(select(func.count()).select_from(ArticleRow))).one()
        stats = _TERM_STATS[engine] = _TermStats(int(total), time.monotonic())
    common = max(COMMON_MIN_ARTICLES, int(stats.articles * COMMON_SHARE))
    prefix = len(terms[-1]) >= PREFIX_MIN_CHARS
    for i, term in enumerate(terms):
        key = f"{term}*" if prefix and i == len(terms) - 1 else term
        if key not in stats.articles_with:
            stats.articles_with[key] = await _count(session, dialect, [term], prefix and i == len(terms) - 1, common)
    counts = [stats.articles_with[f"{t}*" if prefix and i == len(terms) - 1 else t] for i, t in enumerate(terms)]
    keep = {i for i, n in enumerate(counts) if n <= common} or set(range(len(terms)))
    # Rarest first, but words no article had when counted last: a word is kept if there is room, since an article
    # added since may have it.
    rarest = sorted(keep - {len(terms) - 1}, key=lambda i: (counts[i] == 0, counts[i]))[: MAX_RANKED_TERMS - 1]
    return [term for i, term in enumerate(terms) if i in rarest or i == len(terms) - 1]


async def _count(session: AsyncSession, dialect: str, term: Sequence[str], prefix: bool, cap: int) -> int:
    """How many articles have the word, counted up to cap + 1."""
    if dialect == "postgresql":
        operand = tsquery_terms(term)[0] if prefix else f"'{term[0]}'"
        vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
        match = vector.bool_op("@@")(func.to_tsquery(literal_column("'english'::regconfig"), operand))
        found = select(literal(1)).select_from(ArticleRow).where(match).limit(cap + 1).subquery()
    else:
        fts: ColumnClause[Any] = literal_column(FTS_TABLE)
        expression = f'"{term[0]}"' + ("*" if prefix else "")
        index = table(FTS_TABLE, column("rowid"))
        found = select(index.c.rowid).where(fts.op("MATCH")(expression)).limit(cap + 1).subquery()
    return int((await session.exec(select(func.count()).select_from(found))).one())


def _has_tag(dialect: str, tag: str) -> Any:
    """EXISTS (one of the article's JSON tags is `tag`), the same test on both backends."""
    elements = "json_array_elements_text" if dialect == "postgresql" else "json_each"
    each = getattr(func, elements)(ArticleRow.tags).table_valued("value").alias("article_tag")
    return exists(select(literal(1)).select_from(each).where(func.lower(each.c.value) == tag))


async def _tagged(session: AsyncSession, scope: tuple[Any, ...], limit: int) -> list[tuple[ArticleRow, str, float]]:
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
    for name, _ in _SNIPPET_COLUMNS:
        words = str(getattr(row, name)).split()
        if words:
            return " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    return ""


# The body columns, in the order a snippet is preferred from; title and tags are shown on their own anyway.
_SNIPPET_COLUMNS = (("issue", 1), ("resolution", 3), ("environment", 2), ("cause", 4))
_HIT_START, _HIT_END = "\x02", "\x03"


async def _sqlite(session: AsyncSession, match: str, scope: tuple[Any, ...], limit: int, seen: Sequence[Any]) -> Found:
    fts: ColumnClause[Any] = literal_column(FTS_TABLE)
    index = table(FTS_TABLE, column("rowid"))
    bm25 = func.bm25(fts, *_BM25_WEIGHTS)  # lower is better
    # Rank in the index alone, then keep the candidates of this workspace and states: ranking with the article
    # table joined costs twice as much, and most matches are of the workspace and states asked for. If too few
    # candidates are left while the index had more, rank again with the join, which is always right.
    fetch = (limit + len(seen)) * _OVERFETCH
    candidates = select(index.c.rowid, -bm25).where(fts.op("MATCH")(match)).order_by(bm25, index.c.rowid.desc())
    rows = (await session.exec(candidates.limit(fetch))).all()
    ranked = [(row_id, float(rank)) for row_id, rank in rows if row_id not in seen]
    kept = await _in_scope(session, [row_id for row_id, _ in ranked], scope)
    ranked = [(row_id, rank) for row_id, rank in ranked if row_id in kept]
    if len(ranked) < limit and len(rows) == fetch:
        joined = (
            select(ArticleRow.id, -bm25)
            .join_from(index, ArticleRow, index.c.rowid == ArticleRow.id)
            .where(fts.op("MATCH")(match), *_unseen(seen), *scope)
            .order_by(bm25, col(ArticleRow.id).desc())
            .limit(limit)
        )
        ranked = [(row_id, float(rank)) for row_id, rank in (await session.exec(joined)).all()]
    ranked = ranked[:limit]
    if not ranked:
        return []
    # Snippets last, for the articles returned only: they cost far more than a rank. FTS5 could pick the best
    # column itself (-1), but it would pick tags and show their JSON; so take a snippet of each body column, with
    # hits marked, and keep the one with the most hits.
    snippets = [func.snippet(fts, number, _HIT_START, _HIT_END, "…", SNIPPET_WORDS) for _, number in _SNIPPET_COLUMNS]
    found: Found = []
    for row_id, rank in ranked:
        # One article at a time: FTS5 seeks straight to it, where `rowid IN (…)` would run the whole MATCH.
        details = (
            select(ArticleRow, *snippets)
            .join_from(index, ArticleRow, index.c.rowid == ArticleRow.id)
            .where(fts.op("MATCH")(match), index.c.rowid == row_id)
        )
        results: Sequence[Any] = (await session.exec(details)).all()
        found += [(row, _best_snippet(texts), rank) for row, *texts in results]
    return found


def _unseen(seen: Sequence[Any]) -> tuple[Any, ...]:
    return (col(ArticleRow.id).notin_(seen),) if seen else ()


async def _in_scope(session: AsyncSession, ids: Sequence[int], scope: tuple[Any, ...]) -> set[int]:
    if not ids:
        return set()
    statement = select(ArticleRow.id).where(col(ArticleRow.id).in_(ids), *scope)
    return {row_id for row_id in (await session.exec(statement)).all() if row_id is not None}


def _best_snippet(snippets: Sequence[str | None]) -> str:
    texts = [text for text in snippets if text]
    if not texts:
        return ""
    best = max(texts, key=lambda text: text.count(_HIT_START))  # the first of equals: issue before resolution …
    return best.replace(_HIT_START, "").replace(_HIT_END, "")


def _postgresql(
    terms: Sequence[str], phrases: Sequence[Sequence[str]], every: bool, scope: tuple[Any, ...], seen: Sequence[Any]
) -> Any:
    config: ColumnClause[Any] = literal_column("'english'::regconfig")
    parts = [func.to_tsquery(config, tsquery_text(terms, every))] if terms else []
    # phraseto_tsquery reads its text as plain words: nothing in it is syntax.
    parts += [func.phraseto_tsquery(config, " ".join(words)) for words in phrases]
    query: Any = parts[0]
    for part in parts[1:]:
        query = query.op("&&")(part)
    vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
    rank: Any = func.ts_rank_cd(vector, query, _RANK_CD_SCALED)
    if len(terms) > 1 and not every:
        # ts_rank_cd has no notion of how many of the words an article has: three mentions of one word outrank one
        # each of two. So, as BM25 does on SQLite, more of the words come first, then cover density (in [0, 1)).
        found = [func.cast(vector.bool_op("@@")(func.to_tsquery(config, t)), Integer) for t in tsquery_terms(terms)]
        rank = sum(found[1:], found[0]) + rank
    body = (func.nullif(getattr(ArticleRow, name), "") for name, _ in _SNIPPET_COLUMNS)
    # ts_headline is costly: PostgreSQL computes it after the sort and the limit, for the rows returned only.
    snippet = func.ts_headline(config, func.concat_ws(" ", *body), query, _HEADLINE_OPTIONS)
    return (
        select(ArticleRow, rank, snippet)
        .where(vector.bool_op("@@")(query), *_unseen(seen), *scope)
        .order_by(rank.desc(), col(ArticleRow.id).desc())
    )
