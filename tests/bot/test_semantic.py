"""Hybrid search's pure parts: the fusion of two rankings, what an article's vector is made from, the vector index."""

from __future__ import annotations

import math

import pytest

from bot.models import Article
from bot.semantic import (
    CONFIDENT_LEAD,
    CONFIDENT_SIMILARITY,
    MIN_SIMILARITY,
    RRF_K,
    Speller,
    VectorIndex,
    closeness,
    confident,
    content_hash,
    embedding_text,
    embedding_texts,
    fuse,
    pack,
    unpack,
)
from tests.semantic import ConceptEmbedder, requires_numpy


def _article(title: str, issue: str = "", **fields: object) -> Article:
    values: dict[str, object] = {"environment": "", "resolution": ""} | fields
    return Article(workspace_id=1, title=title, issue=issue, **values)  # type: ignore[arg-type]


def test_reciprocal_rank_fusion_adds_weight_over_k_plus_rank_from_each_list() -> None:
    fused = dict(fuse([(1, 1.0), (2, 1.0)], [(2, 1.0), (3, 0.5)]))
    assert fused[1] == pytest.approx(1 / (RRF_K + 1))
    assert fused[2] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert fused[3] == pytest.approx(0.5 / (RRF_K + 2))


def test_an_article_both_lists_rank_comes_first() -> None:
    fused = fuse([(1, 1.0), (2, 1.0), (3, 1.0)], [(9, 1.0), (8, 1.0), (3, 1.0)])
    assert [article_id for article_id, _ in fused][:1] == [3]


def test_equal_scores_keep_the_first_lists_order_then_the_next() -> None:
    assert [article_id for article_id, _ in fuse([(1, 1.0)], [(2, 1.0)])] == [1, 2]
    assert [article_id for article_id, _ in fuse([(5, 1.0), (6, 1.0)], [(7, 1.0), (8, 1.0)])] == [5, 7, 6, 8]


def test_weights_decide_between_ranks() -> None:
    # A weak keyword hit (weight 0.1) at rank 1 comes after a close neighbour at rank 1, a strong one before it.
    assert [article_id for article_id, _ in fuse([(1, 0.1)], [(2, 0.9)])] == [2, 1]
    assert [article_id for article_id, _ in fuse([(1, 1.0)], [(2, 0.9)])] == [1, 2]
    assert dict(fuse([(1, 0.0)]))[1] == 0.0


def test_fusion_of_nothing_is_nothing() -> None:
    assert fuse() == []
    assert fuse([], []) == []


def test_a_neighbour_weighs_nothing_at_the_floor_and_one_for_the_same_meaning() -> None:
    assert closeness(MIN_SIMILARITY) == 0.0
    assert closeness(MIN_SIMILARITY - 0.2) == 0.0
    assert closeness(1.0) == pytest.approx(1.0)
    assert 0 < closeness(0.5) < closeness(0.6) < 1


def test_an_articles_vector_says_its_problem_not_its_details() -> None:
    article = _article(
        "PDF export times out",
        "The invoice PDF export times out for big ledgers. The log shows ERR-4821. About 500 users are affected.",
        environment="Ledger 4.2 · cloud EU",
        resolution="Raise the timeout.",
        tags=["pdf", "billing"],
    )
    assert (
        embedding_text(article)
        == "PDF export times out The invoice PDF export times out for big ledgers. #pdf #billing"
    )


def test_a_title_the_issue_starts_with_is_said_once() -> None:
    article = _article("Invoice PDF is blank", "Invoice PDF is blank after the upgrade. Since Monday.")
    assert embedding_text(article) == "Invoice PDF is blank after the upgrade."


def test_the_hash_follows_the_text() -> None:
    assert content_hash("a") == content_hash("a") != content_hash("b")


def test_vectors_pack_as_float32() -> None:
    data = pack([0.5, -0.25, 1.0])
    assert len(data) == 12
    assert unpack(data) == [0.5, -0.25, 1.0]


@requires_numpy
def test_the_index_finds_the_nearest_by_cosine() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    texts = {1: "invoice pdf", 2: "csv export slow", 3: "login blank", 4: "refund email"}
    index.update([(article_id, pack(embed(text))) for article_id, text in texts.items()])
    nearest = index.nearest(embed("bill document"), 2)
    assert len(nearest) == 2 and nearest[0][0] == 1
    assert nearest[0][1] == pytest.approx(1.0, abs=1e-6)
    assert len(index.nearest(embed("bill"), 10)) == 4
    assert index.nearest(embed("bill"), 0) == []


@requires_numpy
def test_the_index_replaces_a_changed_vector_and_ignores_one_of_another_size() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    index.update([(1, pack(embed("invoice"))), (2, pack(embed("login")))])
    index.update([(1, pack(embed("refund"))), (3, pack([1.0, 0.0]))])
    assert len(index) == 2
    [(article_id, similarity)] = index.nearest(embed("money"), 1)
    assert article_id == 1 and math.isclose(similarity, 1.0, abs_tol=1e-6)


@requires_numpy
def test_a_new_article_twice_in_one_update_is_one_row() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    index.update([(1, pack(embed("invoice"))), (1, pack(embed("login")))])
    assert len(index) == 1
    assert index.nearest(embed("okta"), 1)[0][0] == 1
    assert index.nearest(embed("okta"), 1)[0][1] == pytest.approx(1.0, abs=1e-6)


@requires_numpy
def test_an_article_with_more_vectors_is_as_near_as_its_nearest_and_listed_once() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    index.update([(1, pack(embed("invoice"), embed("login"), embed("login signin"))), (2, pack(embed("login pdf")))])
    assert len(index) == 2
    found = index.nearest(embed("okta"), 5)
    assert [article_id for article_id, _ in found] == [1, 2]
    assert found[0][1] == pytest.approx(1.0, abs=1e-6)
    assert index.nearest(embed("okta"), 1) == found[:1]


@requires_numpy
def test_an_article_whose_vectors_change_in_number_keeps_only_the_new_ones() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    index.update([(1, pack(embed("invoice"))), (2, pack(embed("refund")))])
    index.update([(1, pack(embed("invoice"), embed("login")))])  # asked once more
    index.update([(2, pack(embed("csv")))])  # the same number: replaced in place
    assert dict(index.nearest(embed("okta"), 5))[1] == pytest.approx(1.0, abs=1e-6)
    index.update([(1, pack(embed("pdf")))])  # fewer again: the old rows find nothing any more
    assert len(index) == 2
    assert dict(index.nearest(embed("okta"), 5))[1] == pytest.approx(0.0, abs=1e-6)
    assert [article_id for article_id, _ in index.nearest(embed("export"), 5)] == [2, 1]


@requires_numpy
def test_rows_left_empty_by_replaced_vectors_never_hide_an_article() -> None:
    index = VectorIndex(2)
    for _ in range(5):  # asked in new words, then fewer kept: each change leaves the old rows empty
        index.update([(1, pack([0.0, 1.0], [0.0, 1.0]))])
        index.update([(1, pack([0.0, 1.0]))])
    index.update([(2, pack([-1.0, 0.0]))])  # as far from the query as can be, below every empty row
    assert [article_id for article_id, _ in index.nearest([1.0, 0.0], 2)] == [1, 2]


def test_an_articles_vectors_are_its_problem_then_each_way_it_was_asked() -> None:
    article = _article(
        "Invoice PDF is blank",
        "Invoice PDF is blank after the upgrade.",
        asked=["bill comes out empty", "BILL comes out empty", ""],
    )
    assert embedding_texts(article) == ["Invoice PDF is blank after the upgrade.", "bill comes out empty"]
    assert embedding_texts(_article("Invoice PDF is blank")) == ["Invoice PDF is blank"]
    # An article nobody asked for again keeps the hash it had when vectors were made from one text.
    assert content_hash(["Invoice PDF is blank"]) == content_hash("Invoice PDF is blank")


@requires_numpy
def test_an_empty_index_finds_nothing() -> None:
    assert VectorIndex(4).nearest([1.0, 0.0, 0.0, 0.0], 5) == []


def test_the_speller_corrects_a_word_the_model_does_not_know_to_the_first_known_word_one_edit_away() -> None:
    speller = Speller(["[UNK]", "the", "password", "switch", "swatch", "invoice", "export", "##ing", "Paris"])
    assert speller.correct("forgot passwword, the DST swicth") == "forgot password, the DST switch"
    assert speller.correct("invocie exprot") == "invoice export"  # swapped letters
    assert speller.word("swtch") == "switch"  # two known words one edit away: the one listed first


def test_the_speller_leaves_known_short_and_unmatched_words_as_typed() -> None:
    speller = Speller(["invoice", "export", "pdf"])
    assert speller.correct("invoices exported pdf") == "invoices exported pdf"  # a known word with an ending
    assert speller.correct("pfd okta ERR-4821") == "pfd okta ERR-4821"  # short, nothing near, not letters
    assert Speller([]).correct("passwword") == "passwword"


@requires_numpy
def test_with_more_vectors_of_a_query_an_article_scores_its_best_cosine() -> None:
    embed = ConceptEmbedder.vector
    index = VectorIndex(ConceptEmbedder.dimensions)
    index.update([(1, pack(embed("invoice"))), (2, pack(embed("login")))])
    typed, corrected = embed("invoice"), embed("login")
    both = dict(index.nearest(typed, 2, corrected))
    assert both[1] == pytest.approx(1.0, abs=1e-6) and both[2] == pytest.approx(1.0, abs=1e-6)
    assert dict(index.nearest(typed, 2))[2] == pytest.approx(0.0, abs=1e-6)


def test_the_model_is_confident_of_a_close_neighbour_well_ahead_of_the_next() -> None:
    assert confident([(7, CONFIDENT_SIMILARITY + 0.2), (8, CONFIDENT_SIMILARITY)]) == 7
    assert confident([(7, CONFIDENT_SIMILARITY + 0.01)]) == 7
    # Not close enough, or another article nearly as close: the words may decide.
    assert confident([(7, CONFIDENT_SIMILARITY - 0.01)]) is None
    assert confident([(7, 0.9), (8, 0.9 - CONFIDENT_LEAD / 2)]) is None
    assert confident([]) is None
