"""The knowledge base's query language: words, "phrases", #tags, state: filters; any text parses."""

from __future__ import annotations

import random

import pytest

from bot.models import ArticleState
from bot.search_query import MAX_PHRASES, MAX_TAGS, SearchQuery, parse_query

DEFAULT = None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pdf export", SearchQuery("pdf export")),
        ("#billing", SearchQuery("", tags=("billing",))),
        ("pdf #Billing, #PDF-Export.", SearchQuery("pdf", tags=("billing", "pdf-export"))),
        ("#billing #billing", SearchQuery("", tags=("billing",))),
        ('"template cache" stale', SearchQuery("stale", phrases=("template cache",))),
        ("“template   cache” stale", SearchQuery("stale", phrases=("template cache",))),
        ('"a b" "c d" "a b"', SearchQuery("", phrases=("a b", "c d"))),
        ("state:validated pdf", SearchQuery("pdf", states=(ArticleState.VALIDATED,))),
        ("STATE:Archived", SearchQuery("", states=(ArticleState.ARCHIVED,))),
        ("state:archived state:draft", SearchQuery("", states=(ArticleState.DRAFT, ArticleState.ARCHIVED))),
        ("state:all", SearchQuery("", states=tuple(ArticleState))),
        ("state=wip", SearchQuery("", states=(ArticleState.WIP,))),
        ("state:nonsense", SearchQuery("state:nonsense")),
        ("state:", SearchQuery("state:")),
        ("order #12345 refund", SearchQuery("order #12345 refund")),
        ("#", SearchQuery("#")),
        ('"unbalanced phrase', SearchQuery('"unbalanced phrase')),
        ('""', SearchQuery("")),
        ('"  "', SearchQuery("")),
        ('"?!"', SearchQuery("")),
        ("NEAR(export timeout, 2)", SearchQuery("NEAR(export timeout, 2)")),
        ("export -timeout*", SearchQuery("export -timeout*")),
        ('pdf "export fails" #billing state:validated', None),
        # A quote inside a question is words like the others; a search expression's quote is a required phrase.
        (
            'Where did the "did you mean" feature go?',
            SearchQuery("Where did the did you mean feature go?"),
        ),
        (
            'the search lost its "did you mean" feature #ui',
            SearchQuery("the search lost its did you mean feature", tags=("ui",)),
        ),
        ('"did you mean" search', SearchQuery("search", phrases=("did you mean",))),
        ('"did you mean"?', SearchQuery("did you mean ?")),
    ],
)
def test_parse(typed: str, expected: SearchQuery | None) -> None:
    parsed = parse_query(typed)
    if expected is None:
        assert parsed == SearchQuery(
            "pdf", phrases=("export fails",), tags=("billing",), states=(ArticleState.VALIDATED,)
        )
    else:
        assert parsed == expected


def test_empty_and_filtered() -> None:
    assert parse_query("").empty and parse_query("   ").empty
    assert parse_query("state:all").empty  # a state alone asks for nothing
    assert not parse_query("#pdf").empty and not parse_query('"a b"').empty and not parse_query("🙋").empty
    assert not parse_query("pdf export").filtered
    assert parse_query("pdf #x").filtered and parse_query('"a b"').filtered and parse_query("state:all x").filtered


def test_bounds() -> None:
    many = parse_query(" ".join(f'#t{i} "p{i} q{i}"' for i in range(50)))
    assert len(many.tags) == MAX_TAGS and len(many.phrases) == MAX_PHRASES
    assert len(parse_query("a" * 100_000).terms) <= 5000


def test_any_text_parses() -> None:
    rng = random.Random(3)
    alphabet = ['"', "“", "”", "#", "*", "-", "(", ")", ":", "state", "all", "NEAR", "AND", " ", "\x00", "\ud800", "😱"]
    samples = ["\ud800", "#\ud800", '"\ud800"', "state:\x00", "＃ｐｄｆ", "#ﬁle"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(500)]
    for typed in samples:
        parsed = parse_query(typed)
        assert isinstance(parsed.terms, str)
        assert all(isinstance(tag, str) and tag for tag in parsed.tags)
        for text in (parsed.terms, *parsed.phrases, *parsed.tags):
            text.encode("utf-8")  # nothing a database cannot take
