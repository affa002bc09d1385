"""Which recent swarms and articles look alike: shared tags plus similar words, clustered in the order they came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import recurring
from bot.models import Article, ArticleState, Case, Swarm, SwarmStatus
from bot.recurring import Occurrence, alike, clusters, jaccard, of_article, of_swarm, recent

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def swarm(
    number: int, text: str, tags: tuple[str, ...] = ("billing", "pdf"), customer: str | None = None, hours: float = 0
) -> Swarm:
    return Swarm(
        workspace_id=1,
        number=number,
        case=Case(text=text, tags=tags, customer=customer),
        owner_id=1,
        origin_channel="support",
        status=SwarmStatus.OPEN,
        created_at=START + timedelta(hours=hours),
        id=number,
    )


def occurrence(number: int, text: str, **kwargs: object) -> Occurrence:
    return of_swarm(swarm(number, text, **kwargs))  # type: ignore[arg-type]


def test_jaccard_of_word_sets() -> None:
    assert jaccard(frozenset("ab"), frozenset("bc")) == 1 / 3
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_the_same_issue_in_other_words_and_for_other_customers_looks_alike() -> None:
    acme = occurrence(1, "ACME cannot export invoices to PDF since 4.2", customer="ACME")
    globex = occurrence(2, "Globex: PDF export of invoices fails after the 4.2 upgrade", customer="Globex")
    initech = occurrence(3, "Initech invoice PDF is blank", customer="Initech")
    # The customer's name is what differs between occurrences: it is not one of the words compared.
    assert "acme" not in acme.words and "globex" not in globex.words
    assert alike(acme, globex) and alike(acme, initech)


def test_different_cases_of_one_skill_do_not() -> None:
    export = occurrence(1, "cannot export invoices to PDF", tags=("billing",))
    vat = occurrence(2, "invoice totals wrong with VAT", tags=("billing",))
    assert not alike(export, vat)


def test_one_shared_word_is_not_enough_however_short_the_texts() -> None:
    assert not alike(occurrence(1, "PDF broken", tags=("pdf",)), occurrence(2, "PDF slow", tags=("pdf",)))


def test_alike_words_without_a_shared_tag_are_not_alike() -> None:
    pdf = occurrence(1, "cannot export invoices to PDF", tags=("pdf",))
    mobile = occurrence(2, "cannot export invoices to PDF", tags=("mobile",))
    assert not alike(pdf, mobile)
    # Synonymous tags are one tag: #saml is #sso.
    assert alike(
        occurrence(3, "login loop after SAML change", tags=("saml",)),
        occurrence(4, "login loop after SSO change", tags=("sso",)),
    )


def test_three_alike_make_a_cluster_oldest_first_two_do_not() -> None:
    found = [
        occurrence(1, "ACME cannot export invoices to PDF since 4.2", hours=0),
        occurrence(2, "Tax rounding wrong on Swiss invoices", tags=("tax",), hours=1),
        occurrence(3, "PDF export of invoices fails after 4.2 upgrade", hours=2),
    ]
    assert clusters(found) == []
    found.append(occurrence(4, "Invoice PDF export broken since 4.2", hours=3))
    (cluster,) = clusters(found)
    assert [o.key for o in cluster] == ["swarm-1", "swarm-3", "swarm-4"]


def test_a_cluster_only_grows_and_keeps_its_oldest_member() -> None:
    texts = [
        "ACME cannot export invoices to PDF since 4.2",
        "PDF export of invoices fails after 4.2 upgrade",
        "Invoice PDF export broken since 4.2",
        "Exported invoice PDF is empty since 4.2",
        "PDF invoices export times out after 4.2",
    ]
    found = [occurrence(i + 1, text, hours=i) for i, text in enumerate(texts)]
    first = clusters(found[:3])
    later = clusters(found)
    assert first[0][0].key == later[0][0].key == "swarm-1"
    assert set(first[0]) <= set(later[0])
    # The order they are given in does not matter, only when they happened.
    assert clusters(list(reversed(found))) == later


def test_articles_written_on_their_own_are_occurrences_too() -> None:
    article = Article(
        workspace_id=1,
        title="Invoice PDF export fails after 4.2",
        issue="Invoice PDF export fails after 4.2",
        environment="",
        resolution="Clear the template cache",
        tags=["billing", "pdf"],
        state=ArticleState.DRAFT,
        number=7,
        created_at=START - timedelta(hours=1),
    )
    found = [
        of_article(article),
        occurrence(1, "ACME cannot export invoices to PDF since 4.2"),
        occurrence(2, "PDF export of invoices fails after 4.2 upgrade", hours=1),
    ]
    (cluster,) = clusters(found)
    assert (cluster[0].key, cluster[0].article, cluster[0].swarm) == ("article-7", 7, None)


def test_only_the_window_counts() -> None:
    old = occurrence(1, "ACME cannot export invoices to PDF since 4.2", hours=-24 * 8)
    new = occurrence(2, "PDF export of invoices fails after 4.2 upgrade")
    assert recent([old, new], START + timedelta(hours=1)) == [new]
    assert timedelta(days=7) == recurring.WINDOW
