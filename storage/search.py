"""Full-text search over knowledge articles: SQLite FTS5 or a PostgreSQL tsvector, the same rules on both.

A query is whatever a user typed or a whole case text, so it is never handed to a query parser as is. It is cut into
plain words (letters and digits; quotes, operators, emoji and punctuation are dropped), common English words are
removed, and the rest are OR-ed: an article matching more and rarer words ranks higher, and a long case text still
finds the article that shares a few of its words. The last word is also matched as a prefix, for people who type
"expo" and mean "export". Both backends stem English words the same way (Porter on SQLite, `english` on PostgreSQL).

The schema objects (FTS5 table and triggers, the generated tsvector column and its GIN index) live in the migrations;
is_search_object() picks them out so that schema comparisons leave them alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnClause, column, func, literal_column, table
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
PREFIX_MIN_CHARS = 3
SNIPPET_WORDS = 16
_WORD = re.compile(r"[^\W_]+")

# Plain text, no highlight markers: the snippet goes to Slack, Teams and the console, each with its own markup.
_HEADLINE_OPTIONS = (
    f'StartSel="", StopSel="", MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
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


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression; each term is quoted, so none of it is read as syntax."""
    parts = [f'"{term}"' for term in terms]
    if terms and len(terms[-1]) >= PREFIX_MIN_CHARS:
        parts[-1] += "*"
    return " OR ".join(parts)


def tsquery_text(terms: Sequence[str]) -> str:
    """A to_tsquery expression; each term is quoted, so none of it is read as syntax."""
    parts = [f"'{term}'" for term in terms]
    if terms and len(terms[-1]) >= PREFIX_MIN_CHARS:
        parts[-1] += ":*"
    return " | ".join(parts)


async def search_articles(
    session: AsyncSession,
    dialect: str,
    workspace_id: int,
    query: str,
    limit: int,
    states: Sequence[ArticleState],
) -> list[tuple[ArticleRow, str, float]]:
    """(row, snippet, rank) best first; a higher rank is a better match, comparable within one result only."""
    terms = search_terms(query)
    wanted = [ArticleState(state).value for state in states]
    if not terms or not wanted or limit <= 0:
        return []
    scope = (ArticleRow.workspace_id == workspace_id, col(ArticleRow.state).in_(wanted))
    if dialect == "postgresql":
        rows = (await session.exec(_postgresql(terms, scope).limit(limit))).all()
        return [(row, snippet or "", float(rank)) for row, rank, snippet in rows]
    rows = (await session.exec(_sqlite(terms, scope).limit(limit))).all()
    return [(row, _best_snippet(snippets), float(rank)) for row, rank, *snippets in rows]


# The body columns, in the order a snippet is preferred from; title and tags are shown on their own anyway.
_SNIPPET_COLUMNS = (("issue", 1), ("resolution", 3), ("environment", 2), ("cause", 4))
_HIT_START, _HIT_END = "\x02", "\x03"


def _sqlite(terms: Sequence[str], scope: tuple[Any, ...]) -> Any:
    fts: ColumnClause[Any] = literal_column(FTS_TABLE)
    index = table(FTS_TABLE, column("rowid"))
    bm25 = func.bm25(fts, *_BM25_WEIGHTS)  # lower is better
    # FTS5 can pick the best column itself (-1), but it would pick tags and show their JSON; so take a snippet of
    # each body column, with hits marked, and keep the one with the most hits.
    snippets = [func.snippet(fts, number, _HIT_START, _HIT_END, "…", SNIPPET_WORDS) for _, number in _SNIPPET_COLUMNS]
    return (
        select(ArticleRow, -bm25, *snippets)
        .join_from(index, ArticleRow, index.c.rowid == ArticleRow.id)
        .where(fts.op("MATCH")(fts5_query(terms)), *scope)
        .order_by(bm25, col(ArticleRow.number).desc())
    )


def _best_snippet(snippets: Sequence[str | None]) -> str:
    texts = [text for text in snippets if text]
    if not texts:
        return ""
    best = max(texts, key=lambda text: text.count(_HIT_START))  # the first of equals: issue before resolution …
    return best.replace(_HIT_START, "").replace(_HIT_END, "")


def _postgresql(terms: Sequence[str], scope: tuple[Any, ...]) -> Any:
    config: ColumnClause[Any] = literal_column("'english'::regconfig")
    query = func.to_tsquery(config, tsquery_text(terms))
    vector: ColumnClause[Any] = literal_column(f"article.{TSVECTOR_COLUMN}")
    rank = func.ts_rank(vector, query)
    body = (func.nullif(getattr(ArticleRow, name), "") for name, _ in _SNIPPET_COLUMNS)
    snippet = func.ts_headline(config, func.concat_ws(" ", *body), query, _HEADLINE_OPTIONS)
    return (
        select(ArticleRow, rank, snippet)
        .where(vector.bool_op("@@")(query), *scope)
        .order_by(rank.desc(), col(ArticleRow.number).desc())
    )
