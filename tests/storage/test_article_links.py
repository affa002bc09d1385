"""The swarms an article was linked to, and articles counted by state (the web pages and /metrics read them)."""

from __future__ import annotations

from bot.models import Article, ArticleState, Case, Swarm, Workspace
from storage.database import SqlStore
from tests.storage.conftest import AddPerson


async def test_links_come_back_oldest_first_and_counts_go_by_state(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, add_person: AddPerson
) -> None:
    owner = await add_person("Ana")
    async with store.unit() as uow:
        first = await uow.swarms.add(Swarm(workspace.id, 1, Case("export fails"), owner.id or 0, "C1"))
        second = await uow.swarms.add(Swarm(workspace.id, 2, Case("export fails again"), owner.id or 0, "C1"))
        article = await uow.articles.add(Article(workspace.id, "Export fails", "issue", "env", "fix"))
        await uow.articles.add(Article(workspace.id, "Old", "issue", "env", "fix", state=ArticleState.ARCHIVED))
        await uow.articles.add(Article(workspace.id, "Also", "issue", "env", "fix"))
        await uow.articles.add(Article(other_workspace.id, "Theirs", "issue", "env", "fix"))
        assert article.id is not None and first.id is not None and second.id is not None
        await uow.articles.link(first.id, article.id, "created")
        await uow.articles.link(second.id, article.id, "reused")
        await uow.articles.link(second.id, article.id, "reused")  # idempotent
        await uow.commit()
    async with store.unit() as uow:
        links = await uow.articles.links(article.id)
        counts = await uow.articles.count_by_state(workspace.id)
    assert [(link.swarm_id, link.kind) for link in links] == [(first.id, "created"), (second.id, "reused")]
    assert counts == {ArticleState.DRAFT: 2, ArticleState.ARCHIVED: 1}
