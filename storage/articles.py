"""Knowledge articles, their links to swarms, and search over them."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, update
from sqlmodel import col, func, select

from bot.models import Article, ArticleHit, ArticleLink, ArticleState
from storage._sql import Repository, require_id
from storage.search import pick_articles, search_articles, with_rank_columns
from storage.tables import ArticleLinkRow, ArticleRow, WorkspaceRow, utcnow
from storage.workspaces import SqlWorkspaceRepository

IDS_PER_QUERY = 500  # well under SQLite's and asyncpg's bound-parameter limits

LINK_KINDS = ("created", "reused")


class SqlArticleRepository(Repository):
    async def add(self, article: Article) -> Article:
        """Inserts the article; a number of 0 means "the next one", and missing timestamps mean now."""
        if not article.number:
            article.number = await SqlWorkspaceRepository(self._session, self._dialect).next_article_number(
                article.workspace_id
            )
        else:
            # A number given (an imported article) moves the counter past it, so that it is never handed out again.
            counter = col(WorkspaceRow.article_counter)
            bump = case((counter < article.number, article.number), else_=counter)
            await self._session.exec(
                update(WorkspaceRow)
                .where(col(WorkspaceRow.id) == article.workspace_id)
                .values({counter: bump})
                .execution_options(synchronize_session=False)
            )
        article.created_at = article.created_at or utcnow()
        article.updated_at = article.updated_at or article.created_at
        row = ArticleRow(workspace_id=article.workspace_id, **_columns(article))
        self._session.add(row)
        await self._session.flush()
        article.id = require_id(row.id, "article")
        return article

    async def save(self, article: Article) -> None:
        """Writes every field and stamps updated_at with now."""
        row = await self._session.get(ArticleRow, require_id(article.id, "article"))
        if row is None:
            raise LookupError(f"no article with id {article.id}")
        article.created_at = article.created_at or row.created_at
        article.updated_at = utcnow()
        for name, value in _columns(article).items():
            setattr(row, name, value)
        await self._session.flush()

    async def get(self, workspace_id: int, number: int) -> Article | None:
        statement = select(ArticleRow).where(ArticleRow.workspace_id == workspace_id, ArticleRow.number == number)
        row = (await self._session.exec(statement)).first()
        return None if row is None else _to_article(row)

    async def by_swarm(self, swarm_id: int) -> Article | None:
        statement = (
            select(ArticleRow).where(ArticleRow.swarm_id == swarm_id).order_by(col(ArticleRow.id).desc()).limit(1)
        )
        row = (await self._session.exec(statement)).first()
        return None if row is None else _to_article(row)

    async def list(self, workspace_id: int) -> builtins.list[Article]:
        statement = select(ArticleRow).where(ArticleRow.workspace_id == workspace_id).order_by(col(ArticleRow.number))
        return [_to_article(row) for row in (await self._session.exec(statement)).all()]

    async def related(
        self,
        workspace_id: int,
        swarm_ids: Iterable[int],
        numbers: Iterable[int],
        created_between: tuple[datetime, datetime],
    ) -> builtins.list[Article]:
        earliest, latest = created_between
        mine = ArticleRow.workspace_id == workspace_id
        loose = select(ArticleRow).where(
            mine,
            col(ArticleRow.swarm_id).is_(None),
            col(ArticleRow.created_at) >= earliest,
            col(ArticleRow.created_at) < latest,
        )
        statements = [loose]
        for column, values in (
            (ArticleRow.swarm_id, sorted(set(swarm_ids))),
            (ArticleRow.number, sorted(set(numbers))),
        ):
            for start in range(0, len(values), IDS_PER_QUERY):
                chunk = values[start : start + IDS_PER_QUERY]
                statements.append(select(ArticleRow).where(mine, col(column).in_(chunk)))
        rows: dict[int, ArticleRow] = {}
        for statement in statements:
            for row in (await self._session.exec(statement)).all():
                rows[require_id(row.id, "article")] = row
        return [_to_article(row) for row in sorted(rows.values(), key=lambda row: row.number)]

    async def search(
        self,
        workspace_id: int,
        query: str,
        limit: int = 5,
        states: Sequence[ArticleState] = (ArticleState.DRAFT, ArticleState.VALIDATED),
        *,
        tags: Sequence[str] = (),
        phrases: Sequence[str] = (),
    ) -> builtins.list[ArticleHit]:
        found = await search_articles(
            self._session, self._dialect, workspace_id, query, limit, states, tags=tags, phrases=phrases
        )
        return [
            ArticleHit(article=_to_article(row), snippet=snippet, rank=rank, matched=share, matched_known=known)
            for row, snippet, rank, share, known in found
        ]

    async def pick(
        self,
        workspace_id: int,
        ids: Sequence[int],
        states: Sequence[ArticleState],
        *,
        tags: Sequence[str] = (),
        phrases: Sequence[str] = (),
    ) -> builtins.list[ArticleHit]:
        found = await pick_articles(self._session, self._dialect, workspace_id, ids, states, tags=tags, phrases=phrases)
        return [ArticleHit(article=_to_article(row), snippet=snippet, rank=rank) for row, snippet, rank in found]

    async def link(self, swarm_id: int, article_id: int, kind: str) -> None:
        """Idempotent; does not touch Article.reuse_count, which the core keeps."""
        if kind not in LINK_KINDS:
            raise ValueError(f"link kind must be one of {LINK_KINDS}, not {kind!r}")
        workspace_id = select(ArticleRow.workspace_id).where(ArticleRow.id == article_id).scalar_subquery()
        statement = (
            self._insert(ArticleLinkRow)
            .values(workspace_id=workspace_id, swarm_id=swarm_id, article_id=article_id, kind=kind, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["swarm_id", "article_id", "kind"])
        )
        await self._session.exec(statement)

    async def links(self, article_id: int) -> builtins.list[ArticleLink]:
        statement = (
            select(ArticleLinkRow)
            .where(ArticleLinkRow.article_id == article_id)
            .order_by(col(ArticleLinkRow.created_at), col(ArticleLinkRow.id))
        )
        rows = (await self._session.exec(statement)).all()
        return [ArticleLink(swarm_id=row.swarm_id, kind=row.kind, at=row.created_at) for row in rows]

    async def count_by_state(self, workspace_id: int) -> dict[ArticleState, int]:
        statement = (
            select(ArticleRow.state, func.count())
            .where(ArticleRow.workspace_id == workspace_id)
            .group_by(col(ArticleRow.state))
        )
        return {ArticleState(state): count for state, count in (await self._session.exec(statement)).all()}


def _columns(article: Article) -> dict[str, Any]:
    values = {
        "number": article.number,
        "title": article.title,
        "issue": article.issue,
        "environment": article.environment,
        "resolution": article.resolution,
        "cause": article.cause,
        "tags": list(article.tags),
        "contributors": list(article.contributors),
        "state": ArticleState(article.state).value,
        "swarm_id": article.swarm_id,
        "reuse_count": article.reuse_count,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "asked": list(article.asked),
    }
    return with_rank_columns(values)


def _to_article(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        workspace_id=row.workspace_id,
        number=row.number,
        title=row.title,
        issue=row.issue,
        environment=row.environment,
        resolution=row.resolution,
        cause=row.cause,
        tags=list(row.tags),
        contributors=list(row.contributors),
        state=ArticleState(row.state),
        swarm_id=row.swarm_id,
        reuse_count=row.reuse_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        asked=list(row.asked),
    )
