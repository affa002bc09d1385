"""The knowledge base as people read it: search and show articles."""

from __future__ import annotations

from dataclasses import replace

from bot.context import Clock, utcnow
from bot.errors import UserError
from bot.models import Article, ArticleHit, ArticleState
from bot.ports import Store, UnitOfWork
from bot.search_query import SearchQuery, parse_query
from bot.swarms import known_issues

SEARCH_RESULTS = 5
# What a search sees unless the query says state:…: as swarms.known_issues, work in progress included.
DEFAULT_STATES = (ArticleState.DRAFT, ArticleState.VALIDATED, ArticleState.WIP)


class KnowledgeBase:
    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def search(self, workspace: str, query: str, limit: int = SEARCH_RESULTS) -> list[ArticleHit]:
        """Words, "phrases", #tags and state: filters (bot.search_query); any text is a valid query."""
        parsed = parse_query(query)
        if parsed.empty:
            raise UserError("kb_what")
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            if parsed.filtered:
                hits = await _filtered(uow, ws.id, parsed, limit)
            else:
                hits = await known_issues(uow, ws.id, parsed.terms, limit)
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


async def _filtered(uow: UnitOfWork, workspace_id: int, query: SearchQuery, limit: int) -> list[ArticleHit]:
    """A query with filters; a wip article is shown with the open swarm working on it, as known_issues does."""
    found = await uow.articles.search(
        workspace_id,
        query.terms,
        limit=limit,
        states=query.states or DEFAULT_STATES,
        tags=query.tags,
        phrases=query.phrases,
    )
    hits = []
    for hit in found:
        swarm = await uow.swarms.by_id(hit.article.swarm_id) if hit.article.swarm_id else None
        if hit.article.state is ArticleState.WIP and (swarm is None or not swarm.status.is_active):
            continue
        hits.append(replace(hit, swarm_number=swarm.number if swarm else None))
    return hits
