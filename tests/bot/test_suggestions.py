"""Which search hits a new case's card offers as "Maybe known" (bot/suggestions.py)."""

from __future__ import annotations

from bot.models import Article, ArticleHit, ArticleState
from bot.suggestions import distinctive_terms, likely_answers


def _hit(article_id: int, title: str, issue: str = "") -> ArticleHit:
    article = Article(1, title, issue, "", "", state=ArticleState.VALIDATED, number=article_id, id=article_id)
    return ArticleHit(article, snippet="", rank=1.0)


def test_words_every_case_has_say_nothing_about_the_problem() -> None:
    assert distinctive_terms("iOS app crashes after the latest update, please help") == {"ios", "crash"}


def test_line_numbers_short_numbers_versions_and_years_are_not_evidence_but_error_codes_are() -> None:
    trace = "at CheckoutView.swift:42, line 1234, tenant 42, iOS 17.4.1, since 2026: ERR-4821 error 5003, E1234"
    terms = distinctive_terms(trace)
    assert {"4821", "5003", "e1234"} <= terms
    assert not {"42", "1234", "17", "4", "1", "2026"} & terms


def test_a_hit_that_shares_only_common_words_is_not_shown() -> None:
    vat = _hit(1, "VAT missing on invoices after the update")
    assert likely_answers("iOS app crashes on launch after the latest update", [vat]) == []


def test_a_hit_covering_the_case_is_shown_and_one_sharing_a_few_of_its_words_is_not() -> None:
    right = _hit(1, "Password reset emails never arrive for Outlook users")
    weak = _hit(2, "Outlook calendar invites never arrive")
    shown = likely_answers("reset password email never arrives in Outlook", [weak, right])
    assert [s.hit.article.number for s in shown] == [1]


def test_closeness_in_meaning_shows_a_hit_without_words_in_common_only_when_it_is_close() -> None:
    okta = _hit(1, "Single sign-on with Okta fails for new employees")
    case = "recently hired colleagues are unable to log on via our identity platform"
    assert likely_answers(case, [okta], closeness={1: 0.46}) == []
    assert [s.evidence for s in likely_answers(case, [okta], closeness={1: 0.8})] == [0.8]


def test_at_most_three_are_shown() -> None:
    hits = [_hit(n, f"Invoice PDF export blank for ACME {n}") for n in range(1, 6)]
    assert len(likely_answers("ACME invoice PDF export blank", hits)) == 3
