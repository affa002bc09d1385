"""Which search hits a new case's card offers as "Maybe known" (bot/suggestions.py)."""

from __future__ import annotations

from bot.models import Article, ArticleHit, ArticleState
from bot.suggestions import MIN_MATCHED, distinctive_terms, likely_answers


def _hit(article_id: int, title: str, issue: str = "", *, matched: float = 1.0) -> ArticleHit:
    """A search hit; `matched`: the share of the case's words it has, each weighing its rarity in the knowledge base."""
    article = Article(1, title, issue, "", "", state=ArticleState.VALIDATED, number=article_id, id=article_id)
    return ArticleHit(article, snippet="", rank=1.0, matched=matched, matched_known=matched)


def test_words_every_case_has_say_nothing_about_the_problem() -> None:
    assert distinctive_terms("iOS app crashes after the latest update, please help") == {"ios", "crash"}


def test_line_numbers_short_numbers_versions_and_years_are_not_evidence_but_error_codes_are() -> None:
    trace = "at CheckoutView.swift:42, line 1234, tenant 42, iOS 17.4.1, since 2026: ERR-4821 error 5003, E1234"
    terms = distinctive_terms(trace)
    assert {"4821", "5003", "e1234"} <= terms
    assert not {"42", "1234", "17", "4", "1", "2026"} & terms


def test_an_ios_crash_after_the_update_is_not_offered_the_vat_article_that_shares_after_and_update() -> None:
    # Search found it on "update" alone, a word many articles have: a small share of the case's words.
    vat = _hit(1, "VAT missing on invoices after the update", matched=0.05)
    assert likely_answers("iOS app crashes on launch after the latest update", [vat]) == []


def test_a_hit_covering_the_case_is_shown_and_one_sharing_a_few_of_its_words_is_not() -> None:
    right = _hit(1, "Password reset emails never arrive for Outlook users", matched=0.9)
    weak = _hit(2, "Outlook calendar invites never arrive", matched=0.5)
    shown = likely_answers("reset password email never arrives in Outlook", [weak, right])
    assert [s.hit.article.number for s in shown] == [1]


def test_words_in_common_that_most_articles_have_are_not_enough() -> None:
    case = "ACME invoice PDF export blank"
    # The same distinctive words; in a knowledge base where every article talks of invoices and PDFs they weigh
    # little, and the case's rarest word (the customer's name) is not in the article.
    common = _hit(1, "Invoice PDF export blank", matched=MIN_MATCHED - 0.05)
    assert likely_answers(case, [common]) == []
    telling = _hit(1, "Invoice PDF export blank", matched=MIN_MATCHED + 0.05)
    assert [s.hit.article.number for s in likely_answers(case, [telling])] == [1]


def test_closeness_in_meaning_shows_a_hit_only_when_close_or_close_with_words_in_common() -> None:
    case = "recently hired colleagues are unable to log on via our identity platform"
    okta = _hit(1, "Single sign-on with Okta fails for new employees", matched=0.0)
    assert likely_answers(case, [okta], closeness={1: 0.46}) == []
    # As close as unrelated articles of a knowledge base often are to a case: not on its meaning alone.
    assert likely_answers(case, [okta], closeness={1: 0.85}) == []
    assert [s.evidence for s in likely_answers(case, [okta], closeness={1: 0.92})] == [0.92]
    # As close, and search finds half the case's words in it: the two agree.
    sharing = _hit(1, "Single sign-on with Okta fails for newly hired colleagues", matched=0.5)
    assert [round(s.evidence, 2) for s in likely_answers(case, [sharing], closeness={1: 0.85})] == [0.95]


def test_at_most_three_are_shown() -> None:
    hits = [_hit(n, f"Invoice PDF export blank for ACME {n}") for n in range(1, 6)]
    assert len(likely_answers("ACME invoice PDF export blank", hits)) == 3
