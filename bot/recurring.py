"""Recurring issues: swarms and articles of the last days that look alike, so R&D can fix the cause. Pure functions.

Two occurrences look alike when they share a tag and say much the same thing:
- at least one tag in common (after synonyms: #saml and #sso are one tag), so cases about different products or
  skills never meet however similar their words;
- at least MIN_SHARED_TERMS words in common, and a Jaccard index of their word sets of at least MIN_JACCARD. Words
  are `expertise.terms`: lower case, no stop words, plurals folded, synonyms merged ("invoices" = "invoicing"). The
  customer's own name is left out, because it is what differs between two occurrences of one issue.

Why a third: case titles are short, four to eight words once stop words are gone. "ACME cannot export invoices to
PDF since 4.2" and "Globex: PDF export of invoices fails after the 4.2 upgrade" share 4 of 6 words (0.67);
"Initech invoice PDF is blank" shares 2 of 5 with the first (0.4): the same issue in other words. Two different
billing cases ("invoice totals wrong with VAT" and "cannot export invoices to PDF") share one word of six (0.17).
Two shared words at least keep "PDF broken" and "PDF slow" (one word of three) apart.

A cluster grows in the order things happened: each occurrence joins the cluster of the earlier occurrence it is
most alike (single link), or starts one. A newer occurrence never moves an older one, so a cluster only grows as
the window fills, and its oldest member — whose key names the alert — stays the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.expertise import canonical, terms
from bot.models import Article, Swarm
from bot.text import normalize_skill
from bot.timezones import as_utc

WINDOW = timedelta(days=7)
MIN_CLUSTER = 3
MIN_JACCARD = 1 / 3
MIN_SHARED_TERMS = 2


@dataclass(frozen=True)
class Occurrence:
    """One swarm, or one article no swarm of the window stands for, as the clustering sees it."""

    key: str  # "swarm-12" / "article-7": stable, it names the alert of the cluster this one is the oldest of
    at: datetime
    title: str
    tags: frozenset[str]
    words: frozenset[str]
    swarm: int | None = None  # the swarm's number
    article: int | None = None  # the article's number (for a swarm: its own article, if it has one)


def of_swarm(swarm: Swarm, article: Article | None = None) -> Occurrence:
    assert swarm.created_at is not None
    customer = set(terms(swarm.case.customer or ""))
    return Occurrence(
        key=f"swarm-{swarm.number}",
        at=as_utc(swarm.created_at),
        title=swarm.case.text,
        tags=_tags((*swarm.case.tags, *swarm.skills)),
        words=frozenset(w for w in terms(swarm.case.text) if w not in customer),
        swarm=swarm.number,
        article=article.number if article is not None else None,
    )


def of_article(article: Article) -> Occurrence:
    assert article.created_at is not None
    text = article.issue if article.title in article.issue else f"{article.title} {article.issue}"
    return Occurrence(
        key=f"article-{article.number}",
        at=as_utc(article.created_at),
        title=article.title,
        tags=_tags(article.tags),
        words=frozenset(terms(text)),
        article=article.number,
    )


def _tags(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(canonical(normalize_skill(t)) for t in tags if normalize_skill(t))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def likeness(a: Occurrence, b: Occurrence) -> float:
    """How alike two occurrences are, from 0 (not alike by the rule above) to 1."""
    if not a.tags & b.tags or len(a.words & b.words) < MIN_SHARED_TERMS:
        return 0.0
    score = jaccard(a.words, b.words)
    return score if score >= MIN_JACCARD else 0.0


def alike(a: Occurrence, b: Occurrence) -> bool:
    return likeness(a, b) > 0.0


def clusters(occurrences: Iterable[Occurrence], min_size: int = MIN_CLUSTER) -> list[tuple[Occurrence, ...]]:
    """Groups of at least `min_size` occurrences that look alike, each oldest first; oldest cluster first."""
    ordered = sorted(occurrences, key=lambda o: (o.at, o.key))
    groups: list[list[Occurrence]] = []
    group_of: dict[str, int] = {}
    for index, occurrence in enumerate(ordered):
        best, best_score = None, 0.0
        for earlier in ordered[:index]:
            score = likeness(occurrence, earlier)
            if score > best_score:
                best, best_score = earlier, score
        if best is None:
            group_of[occurrence.key] = len(groups)
            groups.append([occurrence])
        else:
            group_of[occurrence.key] = group_of[best.key]
            groups[group_of[best.key]].append(occurrence)
    return [tuple(group) for group in groups if len(group) >= min_size]


def recent(occurrences: Sequence[Occurrence], now: datetime, window: timedelta = WINDOW) -> list[Occurrence]:
    """The occurrences of the window that ends now."""
    since = as_utc(now) - window
    return [o for o in occurrences if since <= o.at <= as_utc(now)]
