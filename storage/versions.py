"""Article versions: every change kept, with who and when."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import col, select

from bot.models import Article, ArticleState, ArticleVersion
from storage._sql import Repository, require_id
from storage.tables import ArticleVersionRow, utcnow

FIELDS = ("title", "issue", "environment", "resolution", "cause")


class SqlArticleVersionRepository(Repository):
    # The Protocol names a method `list`, which hides the builtin inside this class: hence builtins.list below.

    async def add(self, article: Article, person_id: int | None, note: str) -> ArticleVersion:
        article_id = require_id(article.id, "article")
        latest = select(func.max(ArticleVersionRow.version)).where(ArticleVersionRow.article_id == article_id)
        version = ((await self._session.exec(latest)).first() or 0) + 1
        content = {name: getattr(article, name) for name in FIELDS} | {"state": article.state.value}
        row = ArticleVersionRow(
            workspace_id=article.workspace_id,
            article_id=article_id,
            version=version,
            at=article.updated_at or utcnow(),
            person_id=person_id,
            note=note,
            content=content,
        )
        self._session.add(row)
        await self._session.flush()
        return _to_version(row)

    async def rewrite(self, article_id: int, change: Callable[[str], str]) -> None:
        statement = select(ArticleVersionRow).where(ArticleVersionRow.article_id == article_id)
        for row in (await self._session.exec(statement)).all():
            content = {
                name: change(value) if name in FIELDS and isinstance(value, str) else value
                for name, value in row.content.items()
            }
            if content != row.content:
                row.content = content  # a new dict: the JSON column is saved only when it is assigned
                self._session.add(row)
        await self._session.flush()

    async def list(self, article_id: int) -> builtins.list[ArticleVersion]:
        statement = (
            select(ArticleVersionRow)
            .where(ArticleVersionRow.article_id == article_id)
            .order_by(col(ArticleVersionRow.version))
        )
        return [_to_version(row) for row in (await self._session.exec(statement)).all()]


def _to_version(row: ArticleVersionRow) -> ArticleVersion:
    content = row.content
    return ArticleVersion(
        article_id=row.article_id,
        version=row.version,
        at=row.at,
        person_id=row.person_id,
        note=row.note,
        title=str(content.get("title", "")),
        issue=str(content.get("issue", "")),
        environment=str(content.get("environment", "")),
        resolution=str(content.get("resolution", "")),
        cause=str(content.get("cause", "")),
        state=ArticleState(content.get("state", ArticleState.DRAFT.value)),
    )
