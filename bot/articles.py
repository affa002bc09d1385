"""The knowledge base as people read it: search and show articles; export it to Markdown files and import them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.context import Clock, utcnow
from bot.errors import UserError
from bot.kb_files import ArticleFile, article_to_markdown, filename, markdown_to_article
from bot.models import Article, ArticleHit, ArticleState
from bot.ports import Store, UnitOfWork
from bot.search_query import parse_query
from bot.semantic import SemanticSearch
from bot.swarms import KNOWN_STATES, known_issues

SEARCH_RESULTS = 5


class KnowledgeBase:
    def __init__(self, store: Store, clock: Clock = utcnow, semantic: SemanticSearch | None = None) -> None:
        self.store = store
        self.clock = clock
        self.semantic = semantic  # hybrid search when the semantic extra is wired; keyword search without

    async def search(self, workspace: str, query: str, limit: int = SEARCH_RESULTS) -> list[ArticleHit]:
        """Words, "phrases", #tags and state: filters (bot.search_query); any text is a valid query. Hybrid search
        (bot/semantic.py) when an embedder is wired and the query has words or phrases."""
        parsed = parse_query(query)
        if parsed.empty:
            raise UserError("kb_what")
        meaning = " ".join([parsed.terms, *parsed.phrases]).strip()
        nearest = await self.semantic.nearest(workspace, meaning) if self.semantic and meaning else None
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            hits = await known_issues(
                uow,
                ws.id,
                parsed.terms,
                limit,
                states=parsed.states or KNOWN_STATES,
                tags=parsed.tags,
                phrases=parsed.phrases,
                nearest=nearest,
            )
            await uow.commit()
            return hits

    async def export(self, workspace: str) -> list[tuple[str, str]]:
        """(file name, Markdown) for every article of the workspace, in any state, by number (bot.kb_files)."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            files = []
            for article in await uow.articles.list(ws.id):
                swarm = await uow.swarms.by_id(article.swarm_id) if article.swarm_id else None
                files.append((filename(article), article_to_markdown(article, swarm.number if swarm else None)))
            await uow.commit()
        return files

    async def import_(self, workspace: str, files: Sequence[tuple[str, str]]) -> KbImportReport:
        """Adds or updates the articles of (file name, Markdown) files, as `export` writes them.

        An article whose number and title are both known updates that article (nothing at all when it is the same);
        a number that is free is kept; a number taken by an article with another title gets the next free number, and
        the report says so, unless an article with the file's title is known: then it is that one (as after such a
        file was imported once). So importing the same files again changes nothing. A file that cannot be read is
        rejected whole, and the others are imported all the same. One unit of work: a failure of the database
        imports nothing.
        """
        report = KbImportReport()
        parsed: list[tuple[str, ArticleFile]] = []
        for name, text in files:
            try:
                parsed.append((name, markdown_to_article(text)))
            except UserError as err:
                report.rejected.append((name, err))
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            known = _Known(await uow.articles.list(ws.id))
            for name, item in parsed:
                await self._import_one(uow, ws.id, name, item, known, report)
            await uow.commit()
        return report

    async def _import_one(
        self, uow: UnitOfWork, workspace_id: int, name: str, item: ArticleFile, articles: _Known, report: KbImportReport
    ) -> None:
        swarm = await uow.swarms.get(workspace_id, item.swarm) if item.swarm else None
        incoming = Article(
            workspace_id=workspace_id,
            title=item.title,
            issue=item.issue,
            environment=item.environment,
            resolution=item.resolution,
            cause=item.cause,
            tags=list(item.tags),
            contributors=list(item.contributors),
            state=item.state,
            swarm_id=swarm.id if swarm else None,
            reuse_count=item.reuse_count,
            number=item.number,
            created_at=item.created_at,
            updated_at=item.updated_at or item.created_at,
            asked=list(item.asked or ()),
        )
        known = articles.by_number.get(item.number) if item.number else None
        taken = known is not None and not _same_title(known.title, item.title)
        if known is None and item.number:
            pass  # a free number: the file's article is new here, whatever its title
        elif known is None or taken:
            known = articles.by_title.get(_title_key(item.title))
        if known is not None:
            if swarm is None:  # a swarm this workspace does not have (or none named) leaves the link as it is
                incoming.swarm_id = known.swarm_id
            if item.asked is None:  # likewise a file that does not say how the article was asked
                incoming.asked = list(known.asked)
            if _content(known) == _content(incoming):
                report.unchanged.append(known.number)
                return
            updated = replace(incoming, id=known.id, number=known.number, created_at=known.created_at)
            await uow.articles.save(updated)
            await uow.versions.add(updated, None, f"imported from {name}")
            articles.remember(updated)
            report.updated.append(known.number)
            return
        if taken:
            incoming.number = await _free_number(uow, workspace_id)
            report.renumbered.append((name, item.number, incoming.number))
        added = await uow.articles.add(incoming)
        await uow.versions.add(added, None, f"imported from {name}")
        articles.remember(added)
        report.added.append(added.number)

    async def show(self, workspace: str, number: int) -> Article:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            article = await uow.articles.get(ws.id, number)
            await uow.commit()
        if article is None:
            raise UserError("unknown_article", number=number)
        return article


@dataclass
class KbImportReport:
    added: list[int] = field(default_factory=list)  # article numbers
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    renumbered: list[tuple[str, int, int]] = field(default_factory=list)  # (file, number in it, number given)
    rejected: list[tuple[str, UserError]] = field(default_factory=list)  # (file, why)


class _Known:
    """The workspace's articles by number and by title, as an import goes."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.by_number: dict[int, Article] = {}
        self.by_title: dict[str, Article] = {}
        for article in articles:
            self.remember(article)

    def remember(self, article: Article) -> None:
        self.by_number[article.number] = article
        self.by_title.setdefault(_title_key(article.title), article)


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _same_title(a: str, b: str) -> bool:
    return _title_key(a) == _title_key(b)


def _content(article: Article) -> tuple[object, ...]:
    """What an import can change; timestamps follow the content, they are not content."""
    return (
        article.title,
        article.issue,
        article.environment,
        article.resolution,
        article.cause,
        list(article.tags),
        list(article.contributors),
        ArticleState(article.state),
        article.swarm_id,
        article.reuse_count,
        list(article.asked),
    )


async def _free_number(uow: UnitOfWork, workspace_id: int) -> int:
    number = await uow.workspaces.next_article_number(workspace_id)
    while await uow.articles.get(workspace_id, number) is not None:  # numbers given by an earlier import
        number = await uow.workspaces.next_article_number(workspace_id)
    return number
