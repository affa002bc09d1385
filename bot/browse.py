"""What the web pages read: the knowledge base to browse, one article with its history and the swarms that used it,
one swarm with its timeline, and the figures `/metrics` exports. Read-only and without an actor: nobody is added
to a roster by looking; the web session names the workspace, and every lookup is scoped to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.context import Clock, utcnow
from bot.errors import UserError
from bot.knowledge import beyond_title
from bot.models import (
    Article,
    ArticleHit,
    ArticleState,
    ArticleVersion,
    Person,
    Swarm,
    SwarmStatus,
    TimelineEntry,
)
from bot.ports import Store, UnitOfWork
from bot.search_query import parse_query
from bot.swarms import KNOWN_STATES, Crew, known_issues, load_crew
from bot.timezones import as_utc

PAGE_SIZE = 50
SNIPPET_CHARS = 240
ACTIVE = (SwarmStatus.OPENING, SwarmStatus.OPEN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LinkedSwarm:
    """A swarm that wrote the article ("created") or used it ("reused")."""

    number: int
    case: str
    status: SwarmStatus
    kind: str
    at: datetime


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    versions: tuple[tuple[ArticleVersion, Person | None], ...]
    origin: int | None  # the number of the swarm the article came from
    links: tuple[LinkedSwarm, ...]


@dataclass(frozen=True)
class SwarmPage:
    crew: Crew
    timeline: tuple[TimelineEntry, ...]
    people: Mapping[int, Person]  # everyone the timeline names
    article: Article | None  # the article the swarm wrote


@dataclass(frozen=True)
class Figures:
    """One workspace's gauges: open swarms and articles by state."""

    workspace: str
    open_swarms: int
    articles: Mapping[ArticleState, int]


class Browse:
    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def articles(
        self,
        workspace: str,
        text: str = "",
        state: ArticleState | None = None,
        tag: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[ArticleHit]:
        """Search (the query language of bot.search_query, narrowed by a state and a tag), or with no words the
        articles themselves, most recently changed first. The default states are those search shows: draft,
        validated, and work in progress that a swarm is on."""
        parsed = parse_query(text)
        tags = tuple(dict.fromkeys((*parsed.tags, *([tag] if tag else []))))
        states: Sequence[ArticleState] = (state,) if state else (parsed.states or KNOWN_STATES)
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            if parsed.terms.strip() or parsed.phrases or tags:
                hits = await known_issues(
                    uow, ws.id, parsed.terms, limit, states=states, tags=tags, phrases=parsed.phrases
                )
            else:
                hits = await _recent(uow, ws.id, states, limit)
            await uow.commit()
            return hits

    async def article(self, workspace: str, number: int) -> ArticlePage:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            article = await uow.articles.get(ws.id, number)
            if article is None or article.id is None:
                raise UserError("unknown_article", number=number)
            versions = await uow.versions.list(article.id)
            people = await uow.people.many({v.person_id for v in versions if v.person_id is not None})
            origin = await uow.swarms.by_id(article.swarm_id) if article.swarm_id else None
            links = []
            for link in await uow.articles.links(article.id):
                swarm = await uow.swarms.by_id(link.swarm_id)
                if swarm is not None and swarm.workspace_id == ws.id:
                    links.append(LinkedSwarm(swarm.number, swarm.case.text, swarm.status, link.kind, link.at))
            await uow.commit()
        return ArticlePage(
            article=article,
            versions=tuple((v, people.get(v.person_id) if v.person_id else None) for v in versions),
            origin=origin.number if origin is not None and origin.workspace_id == ws.id else None,
            links=tuple(links),
        )

    async def swarm(self, workspace: str, number: int) -> SwarmPage:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            swarm = await uow.swarms.get(ws.id, number)
            if swarm is None or swarm.id is None:
                raise UserError("unknown_swarm", number=number)
            crew = await load_crew(uow, swarm)
            timeline = await uow.swarms.timeline(swarm.id)
            known = {p.id: p for _, p in crew.members if p.id is not None}
            if crew.owner.id is not None:
                known[crew.owner.id] = crew.owner
            missing = {e.person_id for e in timeline if e.person_id is not None and e.person_id not in known}
            known.update(await uow.people.many(missing) if missing else {})
            article = await uow.articles.by_swarm(swarm.id)
            await uow.commit()
        return SwarmPage(crew=crew, timeline=tuple(timeline), people=known, article=article)

    async def open_swarms(self, workspace: str, limit: int | None = None) -> tuple[list[Swarm], int]:
        """The open swarms, newest first (at most `limit`), and how many are open in all."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            swarms = await uow.swarms.list(ws.id, statuses=ACTIVE, limit=limit)
            count = len(swarms) if limit is None else await uow.swarms.count(ws.id, ACTIVE)
            await uow.commit()
            return swarms, count

    async def swarms(self, workspace: str) -> list[Swarm]:
        """Every swarm of the workspace, newest first."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            swarms = await uow.swarms.list(ws.id)
            await uow.commit()
            return swarms

    async def figures(self) -> list[Figures]:
        """Every workspace's open swarms and articles by state, for the gauges of `/metrics`."""
        async with self.store.unit() as uow:
            found = []
            for key in await uow.workspaces.keys():
                ws = await uow.workspaces.get(key)
                if ws is None:
                    continue
                open_swarms = await uow.swarms.count(ws.id, ACTIVE)
                found.append(Figures(key, open_swarms, await uow.articles.count_by_state(ws.id)))
            return found

    async def workspaces(self) -> list[str]:
        async with self.store.unit() as uow:
            return await uow.workspaces.keys()


async def _recent(uow: UnitOfWork, workspace_id: int, states: Sequence[ArticleState], limit: int) -> list[ArticleHit]:
    """The workspace's articles in these states, most recently changed first; a wip article only while its swarm is
    open (as search shows them), with that swarm's number."""
    articles = [a for a in await uow.articles.list(workspace_id) if a.state in states]
    articles.sort(key=lambda a: (as_utc(a.updated_at or a.created_at or _EPOCH), a.number), reverse=True)
    hits: list[ArticleHit] = []
    for article in articles:
        if len(hits) >= limit:
            break
        swarm = await uow.swarms.by_id(article.swarm_id) if article.swarm_id else None
        if article.state is ArticleState.WIP and (swarm is None or not swarm.status.is_active):
            continue
        hit = ArticleHit(article=article, snippet=_snippet(article), rank=0.0)
        hits.append(replace(hit, swarm_number=swarm.number if swarm else None))
    return hits


def _snippet(article: Article) -> str:
    text = " ".join(next(iter(beyond_title(article.title, (article.issue, article.resolution))), "").split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"
