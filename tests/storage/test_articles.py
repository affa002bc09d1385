"""Knowledge articles, links and full-text search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.models import Article, ArticleState, Case, Person, Swarm, Workspace
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]
T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)

HOSTILE_QUERIES = [
    "",
    "   ",
    '"',
    '"unbalanced quote',
    "'single' quotes''",
    "*",
    "expo*",
    "-",
    "-export",
    "export -timeout",
    "AND",
    "OR",
    "NOT",
    "export AND OR NOT",
    "NEAR(export timeout, 2)",
    "(",
    "((export) OR (timeout",
    ")",
    "title:export",
    "{title issue}: export",
    "^export",
    "export:*",
    "export & timeout | !sso <-> x",
    "🙋🔥😱",
    "export 😱 fails",
    "\x00",
    "export\x00timeout",
    "\ud800",
    "%_%",
    "'; DROP TABLE article; --",
    "\\",
    "a" * 5000,
    "über-straße façade",
    "the and of",
    "the",
    "...?!",
    "C++ node.js 4.2",
]


def _article(workspace: Workspace, title: str, **fields: object) -> Article:
    values: dict[str, object] = {"issue": "", "environment": "", "resolution": ""} | fields
    return Article(workspace_id=workspace.id, title=title, **values)  # type: ignore[arg-type]


async def _add(store: SqlStore, *articles: Article) -> list[Article]:
    async with store.unit() as uow:
        added = [await uow.articles.add(article) for article in articles]
        await uow.commit()
    return added


async def _search(store: SqlStore, workspace: Workspace, query: str, **options: object) -> list[str]:
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, query, **options)  # type: ignore[arg-type]
    return [hit.article.title for hit in hits]


@pytest.fixture
async def swarm(store: SqlStore, workspace: Workspace, add_person: AddPerson) -> Swarm:
    ana = await add_person("Ana")
    async with store.unit() as uow:
        added = await uow.swarms.add(Swarm(workspace.id, 1, Case("export fails"), ana.id or 0, "C01"))
        await uow.commit()
    return added


async def test_an_article_comes_back_as_added(store: SqlStore, workspace: Workspace, swarm: Swarm) -> None:
    article = Article(
        workspace_id=workspace.id,
        title="CSV export times out",
        issue="Export of large ledgers fails after 30 s",
        environment="Ledger 4.2, PostgreSQL 15",
        resolution="Raise export_timeout to 300",
        cause="Default timeout too low",
        tags=["export", "façade"],
        contributors=["U01ANA", "U02BO"],
        state=ArticleState.VALIDATED,
        swarm_id=swarm.id,
        reuse_count=2,
        created_at=T0,
        updated_at=T0,
    )
    [added] = await _add(store, article)
    assert added is article and article.id is not None and article.number == 1
    async with store.unit() as uow:
        assert await uow.articles.get(workspace.id, 1) == article
        assert await uow.articles.by_swarm(swarm.id or 0) == article
        assert await uow.articles.get(workspace.id, 2) is None
        assert await uow.articles.by_swarm((swarm.id or 0) + 1000) is None


async def test_related_reads_only_what_a_report_over_a_period_needs(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, swarm: Swarm
) -> None:
    day = timedelta(days=1)
    await _add(
        store,
        _article(workspace, "the swarm's own", swarm_id=swarm.id, created_at=T0 - 30 * day),  # 1
        _article(workspace, "linked by number", created_at=T0 - 30 * day),  # 2
        _article(workspace, "loose, written in the period", created_at=T0 + day),  # 3
        _article(workspace, "loose, written before", created_at=T0 - day),  # 4
        _article(workspace, "loose, written at its end", created_at=T0 + 7 * day),  # 5: the end is not in it
    )
    await _add(store, _article(other_workspace, "another workspace's", created_at=T0 + day))
    period = (T0, T0 + 7 * day)
    async with store.unit() as uow:
        found = await uow.articles.related(workspace.id, [swarm.id or 0, 999], [2, 2, 77], period)
        assert [a.title for a in found] == ["the swarm's own", "linked by number", "loose, written in the period"]
        assert await uow.articles.related(workspace.id, [], [], (T0 - 60 * day, T0 - 50 * day)) == []


async def test_numbers_and_timestamps_are_filled_in(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    first, second = await _add(store, _article(workspace, "one"), _article(workspace, "two"))
    [elsewhere] = await _add(store, _article(other_workspace, "three"))
    [chosen] = await _add(store, _article(workspace, "chosen", number=10))
    assert (first.number, second.number, elsewhere.number, chosen.number) == (1, 2, 1, 10)
    assert first.created_at is not None and first.updated_at == first.created_at
    assert first.state is ArticleState.DRAFT


async def test_save_writes_every_field_and_stamps_the_update(store: SqlStore, workspace: Workspace) -> None:
    [article] = await _add(store, _article(workspace, "Export fails", issue="old words", created_at=T0, updated_at=T0))
    article.title = "CSV export times out"
    article.issue = "large ledgers"
    article.state = ArticleState.VALIDATED
    article.tags = ["export"]
    article.contributors = ["U01ANA"]
    article.reuse_count = 3
    async with store.unit() as uow:
        await uow.articles.save(article)
        await uow.commit()
    assert article.updated_at is not None and article.updated_at > T0 and article.created_at == T0
    async with store.unit() as uow:
        assert await uow.articles.get(workspace.id, article.number) == article
    # The search index followed the edit.
    assert await _search(store, workspace, "ledgers") == ["CSV export times out"]
    assert await _search(store, workspace, "old words") == []


async def test_save_needs_an_added_article(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        with pytest.raises(ValueError):
            await uow.articles.save(_article(workspace, "never added"))
        with pytest.raises(LookupError):
            await uow.articles.save(_article(workspace, "gone", id=404))


async def test_link_records_each_kind_once(store: SqlStore, workspace: Workspace, swarm: Swarm) -> None:
    [article] = await _add(store, _article(workspace, "Export fails"))
    async with store.unit() as uow:
        for kind in ("created", "reused", "reused"):
            await uow.articles.link(swarm.id or 0, article.id or 0, kind)
        await uow.commit()
        with pytest.raises(ValueError):
            await uow.articles.link(swarm.id or 0, article.id or 0, "liked")
    async with store.engine.connect() as connection:
        rows = await connection.execute(text("SELECT workspace_id, kind FROM article_link ORDER BY kind"))
        assert [tuple(row) for row in rows] == [(workspace.id, "created"), (workspace.id, "reused")]


@pytest.fixture
async def knowledge(store: SqlStore, workspace: Workspace, other_workspace: Workspace) -> list[Article]:
    return await _add(
        store,
        _article(
            workspace,
            "CSV export times out",
            issue="Exporting a large ledger to CSV fails with a timeout after 30 seconds.",
            environment="Ledger 4.2 on PostgreSQL 15",
            resolution="Raise export_timeout to 300 in settings.",
            cause="The default timeout is too low for big ledgers.",
            tags=["export", "csv"],
            state=ArticleState.VALIDATED,
        ),
        _article(
            workspace,
            "SSO login loops back to the sign-in page",
            issue="Users are redirected to the login page again after signing in with Okta.",
            environment="SAML SSO with Okta",
            resolution="Fix the clock skew on the identity provider.",
            cause="Assertion considered expired because of a timeout in clock sync.",
            tags=["sso"],
            state=ArticleState.DRAFT,
        ),
        _article(
            workspace,
            "Invoices show the wrong currency",
            issue="PDF invoices print USD for customers billed in EUR.",
            environment="Billing façade 2.0",
            resolution="Set the customer's billing currency and re-render.",
            tags=["billing", "façade"],
            state=ArticleState.WIP,
        ),
        _article(
            workspace,
            "Old export bug",
            issue="Export fails on ledger 1.0.",
            resolution="Upgrade.",
            state=ArticleState.ARCHIVED,
        ),
        _article(
            other_workspace,
            "Globex export secret",
            issue="Export fails at Globex.",
            resolution="Globex only.",
            state=ArticleState.VALIDATED,
        ),
    )


@pytest.mark.usefixtures("knowledge")
async def test_search_finds_the_matching_article_with_a_snippet(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        [hit] = await uow.articles.search(workspace.id, "ledger settings")
    assert hit.article.title == "CSV export times out"
    assert hit.article.number == 1 and hit.article.state is ArticleState.VALIDATED
    assert hit.rank > 0
    assert "ledger" in hit.snippet.lower()
    assert "<b>" not in hit.snippet


@pytest.mark.usefixtures("knowledge")
async def test_search_stems_prefixes_and_ignores_case(store: SqlStore, workspace: Workspace) -> None:
    assert await _search(store, workspace, "EXPORTED") == ["CSV export times out"]
    assert await _search(store, workspace, "ledgers") == ["CSV export times out"]
    assert await _search(store, workspace, "okt") == ["SSO login loops back to the sign-in page"]
    assert await _search(store, workspace, "#sso") == ["SSO login loops back to the sign-in page"]


@pytest.mark.usefixtures("knowledge")
async def test_search_ranks_more_and_better_placed_words_first(store: SqlStore, workspace: Workspace) -> None:
    # "timeout" is in both; the export article has it in its title, issue and cause.
    assert await _search(store, workspace, "timeout") == [
        "CSV export times out",
        "SSO login loops back to the sign-in page",
    ]
    assert await _search(store, workspace, "okta timeout") == [
        "SSO login loops back to the sign-in page",
        "CSV export times out",
    ]


@pytest.mark.usefixtures("knowledge")
async def test_a_whole_case_text_finds_related_articles(store: SqlStore, workspace: Workspace) -> None:
    case_text = (
        "Customer Acme says their nightly CSV export has been failing since Monday, "
        "the job stops with an error after about half a minute. Sev2, they need it for month-end close!"
    )
    assert (await _search(store, workspace, case_text))[0] == "CSV export times out"


@pytest.mark.usefixtures("knowledge")
async def test_search_sees_only_the_given_states(store: SqlStore, workspace: Workspace) -> None:
    assert await _search(store, workspace, "currency") == []
    assert await _search(store, workspace, "currency", states=[ArticleState.WIP]) == [
        "Invoices show the wrong currency"
    ]
    assert await _search(store, workspace, "upgrade") == []
    assert await _search(store, workspace, "upgrade", states=list(ArticleState)) == ["Old export bug"]
    assert await _search(store, workspace, "export", states=[]) == []


@pytest.mark.usefixtures("knowledge")
async def test_search_sees_only_its_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    assert await _search(store, workspace, "globex") == []
    assert await _search(store, other_workspace, "export") == ["Globex export secret"]
    assert await _search(store, other_workspace, "okta") == []


@pytest.mark.usefixtures("knowledge")
async def test_search_respects_the_limit(store: SqlStore, workspace: Workspace) -> None:
    assert len(await _search(store, workspace, "timeout", limit=1)) == 1
    assert await _search(store, workspace, "timeout", limit=0) == []


@pytest.mark.usefixtures("knowledge")
async def test_search_folds_accents_and_reads_unicode_tags(store: SqlStore, workspace: Workspace) -> None:
    wip = [ArticleState.WIP]
    assert await _search(store, workspace, "FAÇADE", states=wip) == ["Invoices show the wrong currency"]


@pytest.mark.usefixtures("knowledge")
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_any_text_is_a_valid_query(store: SqlStore, workspace: Workspace, query: str) -> None:
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, query)
        # The transaction survived: on PostgreSQL an error would have aborted it.
        assert await uow.workspaces.next_article_number(workspace.id) > 0
    assert isinstance(hits, list)


@pytest.mark.usefixtures("knowledge")
@pytest.mark.parametrize("query", ["", "   ", "?!", "🙋🔥", "*", "-", "()", '""', "the of and", "\x00"])
async def test_a_query_without_words_finds_nothing(store: SqlStore, workspace: Workspace, query: str) -> None:
    assert await _search(store, workspace, query) == []


@pytest.mark.usefixtures("knowledge")
@pytest.mark.parametrize(
    "query",
    ['"export"', "export*", "-export", "export AND NOT", "(export)", "export:*", "title:export", "export 😱"],
)
async def test_operators_are_read_as_plain_words(store: SqlStore, workspace: Workspace, query: str) -> None:
    assert await _search(store, workspace, query) == ["CSV export times out"]


async def test_a_snippet_never_repeats_the_title(store: SqlStore, workspace: Workspace) -> None:
    # A swarm resolved at once keeps its case text as title and issue both.
    [added] = await _add(
        store,
        _article(
            workspace,
            "Globex invoices print blank",
            issue="Globex invoices print  blank.",
            resolution="Cleared the template cache.",
            state=ArticleState.DRAFT,
        ),
    )
    async with store.unit() as uow:
        [searched] = await uow.articles.search(workspace.id, "globex blank")
        [picked] = await uow.articles.pick(workspace.id, [added.id or 0], [ArticleState.DRAFT])
    assert searched.snippet == picked.snippet == "Cleared the template cache."


@pytest.mark.usefixtures("knowledge")
async def test_a_snippet_is_plain_text_from_the_body(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        [by_tag] = await uow.articles.search(workspace.id, "csv")
        [by_resolution] = await uow.articles.search(workspace.id, "okta clock skew")
    assert by_tag.snippet.startswith("Exporting a large ledger")
    assert "skew" in by_resolution.snippet
    for snippet in (by_tag.snippet, by_resolution.snippet):
        assert not any(mark in snippet for mark in ("[", '"', "<b>", "\x02", "\x03"))


async def test_every_kept_version_of_an_article_can_have_words_taken_out(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        article = await uow.articles.add(_article(workspace, "Export fails", resolution="- a pasted secret"))
        other = await uow.articles.add(_article(workspace, "Login fails", resolution="- a pasted secret"))
        for kept in (article, other):
            await uow.versions.add(kept, None, "drafted")
        article.resolution = "- clear the cache\n- a pasted secret"
        await uow.versions.add(article, None, "edited")
        await uow.commit()
    async with store.unit() as uow:
        await uow.versions.rewrite(article.id or 0, lambda text: text.replace("a pasted secret", "(deleted)"))
        await uow.commit()
    async with store.unit() as uow:
        versions = [(v.version, v.resolution, v.title) for v in await uow.versions.list(article.id or 0)]
        untouched = [v.resolution for v in await uow.versions.list(other.id or 0)]
    assert versions == [(1, "- (deleted)", "Export fails"), (2, "- clear the cache\n- (deleted)", "Export fails")]
    assert untouched == ["- a pasted secret"]
