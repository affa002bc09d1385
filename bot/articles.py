"""The knowledge base as people read it: search and show articles."""

from __future__ import annotations

from bot.context import Clock, utcnow
from bot.errors import UserError
from bot.models import Article, ArticleHit
from bot.ports import Store
from bot.swarms import known_issues

SEARCH_RESULTS = 5


class KnowledgeBase:
    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def search(self, workspace: str, query: str, limit: int = SEARCH_RESULTS) -> list[ArticleHit]:
        if not query.strip():
            raise UserError("kb_what")
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            hits = await known_issues(uow, ws.id, query, limit)
            await uow.commit()
            return hits

    async def show(self, workspace: str, number: int) -> Article:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            article = await uow.articles.get(ws.id, number)
            await uow.commit()
        if article is None:
            raise UserError("unknown_article", number=number)
        return article
