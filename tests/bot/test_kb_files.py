"""Articles as Markdown files with front matter: written, read back the same, bad files refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UserError
from bot.kb_files import ArticleFile, article_to_markdown, filename, markdown_to_article, slug
from bot.models import Article, ArticleState

T0 = datetime(2026, 3, 2, 9, 14, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 11, 40, tzinfo=UTC)


def _article(**fields: object) -> Article:
    values: dict[str, object] = {
        "workspace_id": 1,
        "number": 1,
        "title": "ACME cannot export invoices to PDF since 4.2",
        "issue": "ACME cannot export invoices to PDF since 4.2",
        "environment": "Version: 4.2 · Customer: ACME · Severity: sev2",
        "resolution": "cleared the PDF template cache\n- The 4.2 PDF template cache is stale; clearing it fixes it",
        "cause": "stale template cache after the 4.2 upgrade",
        "tags": ["billing", "pdf"],
        "contributors": ["Ana Ruiz", "Isabel García", "Chloe Martin"],
        "state": ArticleState.VALIDATED,
        "reuse_count": 3,
        "created_at": T0,
        "updated_at": T1,
        "asked": ["PDF export of ACME invoices stuck since the update"],
    } | fields
    return Article(**values)  # type: ignore[arg-type]


def test_the_file_reads_as_the_readme_shows() -> None:
    text = article_to_markdown(_article(), swarm_number=1)
    assert text.startswith(
        "---\n"
        "number: 1\n"
        "title: ACME cannot export invoices to PDF since 4.2\n"
        "state: validated\n"
        "tags: [billing, pdf]\n"
        "swarm: 1\n"
        "contributors: [Ana Ruiz, Isabel García, Chloe Martin]\n"
        "reuse_count: 3\n"
        "created_at: '2026-03-02T09:14:00+00:00'\n"
        "updated_at: '2026-03-02T11:40:00+00:00'\n"
        "asked: [PDF export of ACME invoices stuck since the update]\n"
        "---\n\n"
        "# ACME cannot export invoices to PDF since 4.2\n\n"
        "## Issue\n\n"
    )
    assert "## Resolution\n\ncleared the PDF template cache\n- The 4.2 PDF" in text
    assert text.endswith("## Cause\n\nstale template cache after the 4.2 upgrade\n")


@pytest.mark.parametrize(
    "article",
    [
        _article(),
        _article(cause="", environment="", tags=[], contributors=[], state=ArticleState.DRAFT, reuse_count=0),
        _article(title='Quotes " and: colons, #hashes - dashes', issue="- a list\n- of things\n\n## not a section"),
        _article(title="yes", tags=["on", "null", "123"], contributors=["No", "True"]),
        _article(title="Ünïcödé façade 日本語", created_at=None, updated_at=None),
        _article(asked=["why: no PDF?", "- a dash first", "invoices won't export"]),
    ],
)
def test_a_file_reads_back_as_the_article_it_was_written_from(article: Article) -> None:
    parsed = markdown_to_article(article_to_markdown(article, swarm_number=7))
    assert parsed == ArticleFile(
        title=article.title,
        issue=article.issue,
        environment=article.environment,
        resolution=article.resolution,
        cause=article.cause,
        number=article.number,
        state=article.state,
        tags=tuple(article.tags),
        contributors=tuple(article.contributors),
        swarm=7,
        reuse_count=article.reuse_count,
        created_at=article.created_at,
        updated_at=article.updated_at,
        asked=tuple(article.asked),
    )


def test_a_file_without_asked_says_nothing_about_it_and_a_list_is_cleaned() -> None:
    text = article_to_markdown(_article(), swarm_number=None)
    before = text.replace("asked: [PDF export of ACME invoices stuck since the update]\n", "")
    assert markdown_to_article(before).asked is None
    messy = text.replace(
        "asked: [PDF export of ACME invoices stuck since the update]",
        'asked: ["stuck\\n export", "", "stuck export", 42]',
    )
    assert markdown_to_article(messy).asked == ("stuck export", "42")


def test_a_hand_written_file_is_read_forgivingly() -> None:
    text = """---
title: SSO login loops
tags: "SAML, #Okta sso"
contributors: Ana Ruiz, Bo Li
state: Validated
number: "#12"
created_at: 2026-01-05
surprise: kept aside
---
# A heading that is not the title

## issue:
Users loop back to the sign-in page.

### Details stay in the section
Clock skew.

## RESOLUTION
Sync the IdP clock.
"""
    parsed = markdown_to_article(text)
    assert parsed.title == "SSO login loops"
    assert parsed.tags == ("saml", "okta", "sso")
    assert parsed.contributors == ("Ana Ruiz", "Bo Li")
    assert parsed.state is ArticleState.VALIDATED
    assert parsed.number == 12
    assert parsed.created_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert parsed.issue == "Users loop back to the sign-in page.\n\n### Details stay in the section\nClock skew."
    assert parsed.resolution == "Sync the IdP clock."
    assert parsed.environment == "" and parsed.cause == "" and parsed.swarm is None
    assert parsed.extra_keys == ("surprise",)


def test_the_title_may_come_from_the_heading() -> None:
    assert markdown_to_article("---\nstate: draft\n---\n# From the heading\n## Issue\nx\n").title == "From the heading"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("# no front matter\n## Issue\nx", "kb_file_no_front_matter"),
        ("---\n- a list\n---\n", "kb_file_no_front_matter"),
        ("---\ntitle: [unclosed\n---\n", "kb_file_bad_yaml"),
        ("---\nstate: draft\n---\n## Issue\nx\n", "kb_file_missing_title"),
        ("---\ntitle: {a: b}\n---\n", "kb_file_bad_field"),
        ("---\ntitle: x\ntags: {a: b}\n---\n", "kb_file_bad_field"),
        ("---\ntitle: x\nnumber: -3\n---\n", "kb_file_bad_number"),
        ("---\ntitle: x\nnumber: two\n---\n", "kb_file_bad_number"),
        ("---\ntitle: x\nreuse_count: 1.5\n---\n", "kb_file_bad_number"),
        ("---\ntitle: x\nswarm: true\n---\n", "kb_file_bad_number"),
        ("---\ntitle: x\nstate: published\n---\n", "kb_file_bad_state"),
        ("---\ntitle: x\ncreated_at: yesterday\n---\n", "kb_file_bad_date"),
        ("---\ntitle: x\n---\n" + "x" * 300_000, "kb_file_too_long"),
    ],
)
def test_a_bad_file_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(UserError) as raised:
        markdown_to_article(text)
    assert raised.value.reason == reason


def test_file_names_sort_by_number_and_read_as_the_title() -> None:
    assert filename(_article()) == "0001-acme-cannot-export-invoices-to-pdf-since-4-2.md"
    assert filename(_article(number=12345, title="Ünïcödé façade!")) == "12345-unicode-facade.md"
    assert slug("日本語") == "article"
    assert len(slug("word " * 40)) <= 50 and not slug("word " * 40).endswith("-")
