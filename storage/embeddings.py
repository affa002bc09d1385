"""The articles' vectors of meaning for hybrid search (bot/semantic.py), one row per article."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.models import Article, ArticleEmbedding
from storage._sql import Repository
from storage.articles import _to_article
from storage.tables import ArticleEmbeddingRow, ArticleRow


class SqlEmbeddingRepository(Repository):
    async def pending(
        self, workspace_id: int, model: str, limit: int
    ) -> builtins.list[tuple[Article, ArticleEmbedding | None]]:
        vector = ArticleEmbeddingRow
        statement = (
            select(ArticleRow, vector)
            .outerjoin(vector, col(vector.article_id) == col(ArticleRow.id))
            .where(
                ArticleRow.workspace_id == workspace_id,
                or_(
                    col(vector.article_id).is_(None),
                    col(vector.model) != model,
                    col(vector.article_updated_at).is_(None),
                    col(vector.article_updated_at) != col(ArticleRow.updated_at),
                ),
            )
            .order_by(col(ArticleRow.id))
            .limit(limit)
        )
        rows = (await self._session.exec(statement)).all()
        return [(_to_article(article), None if row is None else _to_embedding(row)) for article, row in rows]

    async def save(self, embeddings: Sequence[ArticleEmbedding]) -> None:
        if not embeddings:
            return
        values = [
            {
                "article_id": e.article_id,
                "workspace_id": e.workspace_id,
                "model": e.model,
                "content_hash": e.content_hash,
                "article_updated_at": e.article_updated_at,
                "vector": e.vector,
            }
            for e in embeddings
        ]
        insert = self._insert(ArticleEmbeddingRow).values(values)
        statement = insert.on_conflict_do_update(
            index_elements=["article_id"],
            set_={
                name: getattr(insert.excluded, name)
                for name in ("workspace_id", "model", "content_hash", "article_updated_at", "vector")
            },
        )
        await self._session.exec(statement)

    async def vectors(self, workspace_id: int, model: str) -> builtins.list[tuple[int, bytes]]:
        statement = select(ArticleEmbeddingRow.article_id, ArticleEmbeddingRow.vector).where(
            ArticleEmbeddingRow.workspace_id == workspace_id, ArticleEmbeddingRow.model == model
        )
        return [(article_id, bytes(vector)) for article_id, vector in (await self._session.exec(statement)).all()]


def _to_embedding(row: ArticleEmbeddingRow) -> ArticleEmbedding:
    return ArticleEmbedding(
        article_id=row.article_id,
        workspace_id=row.workspace_id,
        model=row.model,
        content_hash=row.content_hash,
        vector=bytes(row.vector),
        article_updated_at=row.article_updated_at,
    )


async def forget_vectors(engine: AsyncEngine) -> int:
    """Deletes every article's vector, so that the next embedding pass makes them all again (`swarm kb reindex
    --full`: after a change of what an article's vector is made from); how many there were."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(ArticleEmbeddingRow))
    return int(result.rowcount or 0)
