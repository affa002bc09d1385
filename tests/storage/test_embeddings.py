"""The articles' vectors (hybrid search) in the database, and the filters applied to nearest neighbours, on SQLite
and PostgreSQL alike; then the core's SemanticSearch and hybrid KnowledgeBase.search on them, with a fake model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from bot.articles import KnowledgeBase
from bot.models import Article, ArticleEmbedding, ArticleState, Workspace
from bot.semantic import SemanticSearch, pack, unpack
from storage.database import SqlStore
from storage.search import COMMON_MIN_ARTICLES
from tests.semantic import ConceptEmbedder, requires_numpy

MODEL = "model-a"


def _article(workspace: Workspace, title: str, **fields: object) -> Article:
    values: dict[str, object] = {"issue": "", "environment": "", "resolution": ""} | fields
    return Article(workspace_id=workspace.id, title=title, **values)  # type: ignore[arg-type]


async def _add(store: SqlStore, *articles: Article) -> list[Article]:
    async with store.unit() as uow:
        added = [await uow.articles.add(article) for article in articles]
        await uow.commit()
    return added


def _embedding(article: Article, model: str = MODEL, vector: tuple[float, ...] = (1.0, 0.0)) -> ArticleEmbedding:
    assert article.id is not None
    return ArticleEmbedding(article.id, article.workspace_id, model, "hash", pack(vector), article.updated_at)


async def _pending(store: SqlStore, workspace: Workspace, model: str = MODEL) -> list[tuple[str, str | None]]:
    async with store.unit() as uow:
        found = await uow.embeddings.pending(workspace.id, model, 100)
    return [(article.title, None if known is None else known.content_hash) for article, known in found]


async def _save(store: SqlStore, *embeddings: ArticleEmbedding) -> None:
    async with store.unit() as uow:
        await uow.embeddings.save(embeddings)
        await uow.commit()


async def test_articles_without_a_vector_are_pending_in_any_state(store: SqlStore, workspace: Workspace) -> None:
    await _add(
        store,
        _article(workspace, "One", state=ArticleState.ARCHIVED),
        _article(workspace, "Two", state=ArticleState.WIP),
    )
    assert await _pending(store, workspace) == [("One", None), ("Two", None)]


async def test_a_saved_vector_comes_back_and_is_not_pending(store: SqlStore, workspace: Workspace) -> None:
    [one, _] = await _add(store, _article(workspace, "One"), _article(workspace, "Two"))
    await _save(store, _embedding(one, vector=(0.6, 0.8)))

    assert await _pending(store, workspace) == [("Two", None)]
    async with store.unit() as uow:
        vectors = await uow.embeddings.vectors(workspace.id, MODEL)
    assert [(article_id, unpack(data)) for article_id, data in vectors] == [(one.id, pytest.approx([0.6, 0.8]))]


async def test_a_changed_article_is_pending_with_the_vector_it_had(store: SqlStore, workspace: Workspace) -> None:
    [one] = await _add(store, _article(workspace, "One"))
    await _save(store, _embedding(one))
    async with store.unit() as uow:
        await uow.articles.save(replace(one, title="One, changed"))
        await uow.commit()

    assert await _pending(store, workspace) == [("One, changed", "hash")]


async def test_a_vector_of_another_model_is_pending(store: SqlStore, workspace: Workspace) -> None:
    [one] = await _add(store, _article(workspace, "One"))
    await _save(store, _embedding(one, model="model-b"))
    assert await _pending(store, workspace, MODEL) == [("One", "hash")]
    assert await _pending(store, workspace, "model-b") == []
    async with store.unit() as uow:
        assert await uow.embeddings.vectors(workspace.id, MODEL) == []


async def test_saving_again_replaces_the_vector(store: SqlStore, workspace: Workspace) -> None:
    [one] = await _add(store, _article(workspace, "One"))
    await _save(store, _embedding(one, vector=(1.0, 0.0)))
    await _save(store, replace(_embedding(one, vector=(0.0, 1.0)), content_hash="other"))
    async with store.unit() as uow:
        [(article_id, data)] = await uow.embeddings.vectors(workspace.id, MODEL)
        [(_, known)] = [item for item in await uow.embeddings.pending(workspace.id, "model-b", 10)]
    assert article_id == one.id and unpack(data) == [0.0, 1.0]
    assert known is not None and known.content_hash == "other" and known.article_updated_at == one.updated_at


async def test_each_workspace_has_its_own_vectors(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    [mine, theirs] = await _add(store, _article(workspace, "Mine"), _article(other_workspace, "Theirs"))
    await _save(store, _embedding(mine), _embedding(theirs))
    assert await _pending(store, workspace, "model-b") == [("Mine", "hash")]
    async with store.unit() as uow:
        assert [i for i, _ in await uow.embeddings.vectors(workspace.id, MODEL)] == [mine.id]
        assert [i for i, _ in await uow.embeddings.vectors(other_workspace.id, MODEL)] == [theirs.id]


async def test_deleting_an_article_deletes_its_vector(store: SqlStore, workspace: Workspace) -> None:
    [one, two] = await _add(store, _article(workspace, "One"), _article(workspace, "Two"))
    await _save(store, _embedding(one), _embedding(two))
    async with store.unit() as uow:
        await uow.session.exec(text("DELETE FROM article WHERE id = :id").bindparams(id=one.id))
        await uow.commit()
    async with store.unit() as uow:
        assert [i for i, _ in await uow.embeddings.vectors(workspace.id, MODEL)] == [two.id]


# -- the filters on nearest neighbours -------------------------------------------------------------------------------


@pytest.fixture
async def articles(store: SqlStore, workspace: Workspace, other_workspace: Workspace) -> dict[str, int]:
    added = await _add(
        store,
        _article(workspace, "Invoice PDF is blank", issue="The template cache was stale.", tags=["billing", "pdf"]),
        _article(workspace, "CSV export is slow", tags=["export"], state=ArticleState.VALIDATED),
        _article(workspace, "Old login bug", tags=["sso"], state=ArticleState.ARCHIVED),
        _article(other_workspace, "Their invoice PDF", tags=["billing"]),
    )
    return {article.title: article.id or 0 for article in added}


async def _picked(store: SqlStore, workspace: Workspace, ids: list[int], **filters: object) -> list[str]:
    states = filters.pop("states", (ArticleState.DRAFT, ArticleState.VALIDATED))
    async with store.unit() as uow:
        hits = await uow.articles.pick(workspace.id, ids, states, **filters)  # type: ignore[arg-type]
    return [hit.article.title for hit in hits]


async def test_pick_keeps_the_order_asked_and_the_workspaces_articles_in_the_states(
    store: SqlStore, workspace: Workspace, articles: dict[str, int]
) -> None:
    ids = [articles[t] for t in ("CSV export is slow", "Their invoice PDF", "Old login bug", "Invoice PDF is blank")]
    assert await _picked(store, workspace, ids) == ["CSV export is slow", "Invoice PDF is blank"]
    assert await _picked(store, workspace, ids, states=[ArticleState.ARCHIVED]) == ["Old login bug"]
    assert await _picked(store, workspace, []) == []
    assert await _picked(store, workspace, [999_999]) == []


async def test_pick_applies_tags_and_phrases(store: SqlStore, workspace: Workspace, articles: dict[str, int]) -> None:
    ids = list(articles.values())
    assert await _picked(store, workspace, ids, tags=["billing"]) == ["Invoice PDF is blank"]
    assert await _picked(store, workspace, ids, tags=["billing", "export"]) == []
    assert await _picked(store, workspace, ids, phrases=["template cache"]) == ["Invoice PDF is blank"]
    assert await _picked(store, workspace, ids, phrases=["cache template"]) == []
    assert await _picked(store, workspace, ids, phrases=['"NEAR(" *']) == []  # never syntax


async def test_a_picked_article_has_the_opening_of_its_text_as_snippet(
    store: SqlStore, workspace: Workspace, articles: dict[str, int]
) -> None:
    async with store.unit() as uow:
        [hit] = await uow.articles.pick(workspace.id, [articles["Invoice PDF is blank"]], [ArticleState.DRAFT])
    assert hit.snippet == "The template cache was stale." and hit.rank == 0.0


# -- SemanticSearch and hybrid search, with a fake model -------------------------------------------------------------

WS_KEY = "T-ACME"  # the `workspace` fixture's key


async def _fill(store: SqlStore, workspace: Workspace) -> list[Article]:
    return await _add(
        store,
        _article(workspace, "Invoice PDF comes out blank", issue="Customers get an empty invoice PDF.", tags=["pdf"]),
        _article(workspace, "CSV export times out", issue="Exports of big ledgers are slow.", tags=["export"]),
        _article(workspace, "Okta login loops", issue="SSO sends people back to the login page.", tags=["sso"]),
        _article(workspace, "Refund mail never sent", issue="No email after a refund.", state=ArticleState.ARCHIVED),
    )


@requires_numpy
async def test_a_paraphrase_with_no_shared_word_is_found_by_meaning(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)
    keyword = KnowledgeBase(store)
    hybrid = KnowledgeBase(store, semantic=SemanticSearch(store, ConceptEmbedder()))

    assert await keyword.search(WS_KEY, "bill document") == []
    [hit] = (await hybrid.search(WS_KEY, "bill document"))[:1]
    assert hit.article.title == "Invoice PDF comes out blank"
    assert hit.snippet and hit.rank > 0


class SpellingConceptEmbedder(ConceptEmbedder):
    """The fake model, with a vocabulary the query's typos are corrected against."""

    def vocabulary(self) -> list[str]:
        return ["invoice", "document", "blank", "export", "spreadsheet"]


@requires_numpy
async def test_keyword_hits_on_common_words_alone_do_not_outrank_the_meaning(
    store: SqlStore, workspace: Workspace
) -> None:
    # Over a hundred articles say "missing records"; the one about blank invoices shares no word with the question.
    await _fill(store, workspace)
    async with store.unit() as uow:
        for i in range(COMMON_MIN_ARTICLES + 10):
            await uow.articles.add(_article(workspace, f"Job {i} is missing records", state=ArticleState.VALIDATED))
        await uow.commit()
    hybrid = KnowledgeBase(store, semantic=SemanticSearch(store, ConceptEmbedder()))
    found = await hybrid.search(WS_KEY, "bill printout missing records")
    # Each "Job" hit has half the question's words, but the common half: it weighs next to nothing beside the article
    # nearest in meaning (with every word weighing the same, each weighed about a third of it).
    assert found[0].article.title == "Invoice PDF comes out blank"
    assert all(hit.article.title.startswith("Job") and hit.rank < found[0].rank / 10 for hit in found[1:])


@requires_numpy
async def test_a_query_is_also_embedded_with_its_typos_corrected(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)
    plain = KnowledgeBase(store, semantic=SemanticSearch(store, ConceptEmbedder()))
    model = SpellingConceptEmbedder()
    spelling = KnowledgeBase(store, semantic=SemanticSearch(store, model))

    assert await plain.search(WS_KEY, "invocie documnet") == []
    [hit] = (await spelling.search(WS_KEY, "invocie documnet"))[:1]
    assert hit.article.title == "Invoice PDF comes out blank"
    assert model.embedded[-2:] == ["invocie documnet", "invoice document"]  # as typed, and corrected
    await spelling.search(WS_KEY, "bill document")
    assert model.embedded[-1] == "bill document"  # nothing to correct: one vector


@requires_numpy
async def test_filters_apply_to_the_neighbours_too(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)
    hybrid = KnowledgeBase(store, semantic=SemanticSearch(store, ConceptEmbedder()))

    assert [h.article.title for h in await hybrid.search(WS_KEY, "bill document #export")] == []
    assert [h.article.title for h in await hybrid.search(WS_KEY, "money newsletter")] == []  # archived
    found = await hybrid.search(WS_KEY, "money newsletter state:archived")
    assert [h.article.title for h in found] == ["Refund mail never sent"]
    found = await hybrid.search(WS_KEY, 'bill document "empty invoice"')
    assert [h.article.title for h in found] == ["Invoice PDF comes out blank"]
    # No article has that phrase: its words are searched rather than nothing found (issue 26).
    found = await hybrid.search(WS_KEY, 'bill document "invoice empty"')
    assert [h.article.title for h in found][:1] == ["Invoice PDF comes out blank"]


@requires_numpy
async def test_another_workspaces_articles_are_never_neighbours(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    await _add(store, _article(other_workspace, "Invoice PDF comes out blank", issue="Empty invoice PDF."))
    hybrid = KnowledgeBase(store, semantic=SemanticSearch(store, ConceptEmbedder()))
    assert await hybrid.search(WS_KEY, "bill document") == []


@requires_numpy
async def test_vectors_are_made_once_and_kept_in_the_database(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)
    first = ConceptEmbedder()
    await SemanticSearch(store, first).nearest(WS_KEY, "bill")
    assert len(first.embedded) == 4 + 1  # the articles, then the query

    # Another process (a restart) embeds only the query.
    again = ConceptEmbedder()
    assert (await SemanticSearch(store, again).nearest(WS_KEY, "bill") or [])[0][1] > 0.4
    assert again.embedded == ["bill"]


@requires_numpy
async def test_a_changed_article_is_embedded_again_and_a_reuse_is_not(store: SqlStore, workspace: Workspace) -> None:
    [blank, slow, *_] = await _fill(store, workspace)
    model = ConceptEmbedder()
    now = [0.0]
    semantic = SemanticSearch(store, model, clock=lambda: now[0])
    await semantic.nearest(WS_KEY, "bill")
    async with store.unit() as uow:
        await uow.articles.save(replace(blank, reuse_count=3))
        await uow.articles.save(replace(slow, title="Refund money is slow", issue="Chargebacks crawl."))
        await uow.commit()
    model.embedded.clear()

    assert (await semantic.nearest(WS_KEY, "chargeback", 1) or [])[0][0] != slow.id  # not looked again yet
    now[0] += 60
    assert (await semantic.nearest(WS_KEY, "chargeback", 1) or [])[0][0] == slow.id
    # The query once (the second time its vector is cached), the changed article once.
    assert model.embedded == ["chargeback", "Refund money is slow Chargebacks crawl. #export"]
    assert await _pending(store, workspace, ConceptEmbedder.name) == []


@requires_numpy
async def test_an_article_is_found_by_the_way_a_case_it_solved_was_asked(store: SqlStore, workspace: Workspace) -> None:
    [blank, *_] = await _fill(store, workspace)
    model = ConceptEmbedder()
    now = [0.0]
    hybrid = KnowledgeBase(store, semantic=SemanticSearch(store, model, clock=lambda: now[0]))
    assert await hybrid.search(WS_KEY, "newsletter spins") == []

    # It solved a case asked in words of its own (reuse keeps them in `asked`): a vector for that wording too.
    async with store.unit() as uow:
        await uow.articles.save(replace(blank, asked=["the newsletter spins forever"]))
        await uow.commit()
    model.embedded.clear()
    now[0] += 60
    [hit] = (await hybrid.search(WS_KEY, "newsletter spins"))[:1]
    assert hit.article.title == "Invoice PDF comes out blank"
    assert model.embedded == [  # the query's vector is the one cached at the first search
        "Invoice PDF comes out blank Customers get an empty invoice PDF. #pdf",
        "the newsletter spins forever",
    ]
    async with store.unit() as uow:
        [(_, stored)] = [
            v for v in await uow.embeddings.vectors(workspace.id, ConceptEmbedder.name) if v[0] == blank.id
        ]
    assert len(stored) == 2 * 4 * ConceptEmbedder.dimensions


@requires_numpy
async def test_a_search_embeds_a_batch_at_a_time_within_its_budget(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)
    model = ConceptEmbedder()
    semantic = SemanticSearch(store, model, batch=3, budget_seconds=0.0)
    await semantic.nearest(WS_KEY, "bill")
    assert len(model.embedded) == 3 + 1
    await semantic.nearest(WS_KEY, "bill")  # the rest, though it looked a moment ago; the query's vector is cached
    assert len(model.embedded) == 3 + 1 + 1
    assert await semantic.embed_pending(WS_KEY) == 0


@requires_numpy
async def test_a_model_that_fails_leaves_keyword_search(store: SqlStore, workspace: Workspace) -> None:
    await _fill(store, workspace)

    class Broken(ConceptEmbedder):
        def embed(self, texts: object) -> list[list[float]]:
            raise OSError("model files missing")

    semantic = SemanticSearch(store, Broken())
    kb = KnowledgeBase(store, semantic=semantic)
    assert [h.article.title for h in await kb.search(WS_KEY, "invoice")] == ["Invoice PDF comes out blank"]
    assert semantic.failure == "OSError: model files missing"
    assert await semantic.nearest(WS_KEY, "invoice") is None
