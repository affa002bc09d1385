"""Which of the articles like a new case are worth showing at its opening as "Maybe known" (issues 23, 26). Pure.

Search finds articles that share *any* word with a case: right for `/swarm kb`, where a person reads a list, wrong
for a card that offers "Article 1 solved it" with one click. An iOS crash "after the latest update" was offered an
article about VAT invoices on "after" and "update"; a stack trace's `App.swift:42` matched "tenant 42". So a hit is
shown only with evidence that it is about the case's problem, from search's own ranking and from the case's words:

- **By its words**: the hit has at least `MIN_MATCHED` of the case's words as search weighs them
  (`ArticleHit.matched_known`: each word weighing its rarity in the whole knowledge base, BM25's idf, so "after" and
  "update" weigh next to nothing where many articles have them, an error code or a product's name a lot), and
  shares at least `MIN_SHARED` *distinctive* words with the case (`keyword_evidence`) that cover at least
  `MIN_COVERAGE` of either the case's distinctive words or one of the article's own wordings of its problem (its
  title, the first sentence of its issue, a way it was asked): the case says most of what the article is about, or
  the article most of what the case says. The evidence is that coverage. Words no article has (a customer's name the
  knowledge base has never seen, "since Monday") are left out of the share: they are no evidence against any article,
  and would weigh the most, being the rarest (in a knowledge base of one article, five times a word it has).
- **The case's distinctive words** (`distinctive_terms`): words of at least two letters, without the words every
  case and article has (`LOW_INFORMATION`: "after", "update", "error", "customer", "please", …) and without numbers
  that say nothing about the problem: line numbers (`file.py:42`, "line 42"), short numbers ("tenant 42", versions
  "17.4.1") and years. A number of four digits or more that is not one of those (an error code, `ERR-4821`) counts.
  Words are compared by their stem (an -s, -es, -ed or -ing ending off, the first `STEM_CHARS` letters).
- **By its meaning** (with the semantic extra): the article's cosine with the case (all-MiniLM-L6-v2), plus
  `MATCHED_IN_MEANING` times its share of the case's words as above, is at least `MIN_MEANING`: close in meaning
  alone (0.9), or less close with words of the case's in common (0.7 with every word). The evidence is
  that sum, at most 1.
- At most `SHOWN` are shown, best evidence first.

The thresholds were chosen on bench/kb_suggest.py (`--dump`, then `--sweep`): no more than 10 % of the cases no
article answers shown anything, on both case sets with keyword and hybrid search, then as many right articles as that
leaves (docs/measurements/suggestions.md, 8 December 2026). A hit's BM25 lead over the next one, and the model's
margin over its next article (bot/semantic.py's `confident`), were tried there and not kept.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.models import Article, ArticleHit
from bot.text import stem

SHOWN = 3  # suggestions on a case's card at most
CANDIDATES = 10  # search hits judged
# Chosen on bench/kb_suggest.py for few unrelated suggestions first (a wrong one offers a one-click "solved it"), then
# as many right ones as that leaves (docs/measurements/suggestions.md has the other settings tried).
MIN_SHARED = 3
MIN_COVERAGE = 0.8
MIN_MATCHED = 0.7  # of the words some article has (ArticleHit.matched_known)
MIN_MEANING = 0.9
MATCHED_IN_MEANING = 0.2
MIN_NUMBER_DIGITS = 4
TERMS_CACHED = 4096

# Words that say nothing about which problem a case is: function words, and the words of every support case.
# fmt: off
LOW_INFORMATION = frozenset({
    # English function words
    "a", "about", "above", "after", "again", "against", "all", "almost", "also", "am", "an", "and", "any", "anyone",
    "anything", "are", "around", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "cannot", "cant", "could", "couldn", "did", "didn", "do", "does", "doesn", "doing", "don",
    "done", "down", "during", "each", "either", "else", "even", "ever", "every", "few", "for", "from", "further",
    "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "im", "in", "into",
    "is", "isn", "it", "its", "itself", "just", "ll", "may", "me", "might", "more", "most", "much", "must", "my",
    "near", "neither", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "only", "or", "other", "our",
    "ours", "out", "over", "own", "per", "quite", "rather", "re", "really", "same", "she", "should", "shouldn",
    "since", "so", "some", "still", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "though", "through", "till", "to", "too", "under", "until", "up", "upon", "us", "ve", "very",
    "via", "was", "wasn", "we", "were", "weren", "what", "when", "where", "whether", "which", "while", "who", "whom",
    "why", "will", "with", "within", "without", "won", "would", "wouldn", "yet", "you", "your", "yours",
    # Words of any support case, whatever its problem
    "able", "actually", "ago", "already", "another", "anymore", "app", "application", "asap", "ask", "asked",
    "asking", "assist", "bug", "case", "check", "client", "customer", "customers", "day", "days", "error", "errors",
    "get", "gets", "getting", "go", "going", "got", "happen", "happened", "happening", "happens", "hello", "help",
    "hey", "hi", "hour", "hours", "idea", "issue", "issues", "know", "last", "latest", "like", "look", "looks",
    "make", "many", "minute", "minutes", "new", "need", "needs", "one", "people", "please", "problem", "problems",
    "recent", "recently", "report", "reported", "reports", "say", "says", "see", "seeing", "seem", "seems",
    "someone", "something", "sometimes", "sure", "team", "thank", "thanks", "thing", "things", "think", "today",
    "tried", "try", "trying", "two", "update", "updated", "updates", "urgent", "use", "used", "user", "users",
    "using", "want", "week", "weeks", "work", "working", "works", "yesterday",
})
# fmt: on

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LINE_WORDS = frozenset({"line", "ln", "col", "column", "port"})


@dataclass(frozen=True)
class Suggestion:
    hit: ArticleHit
    evidence: float  # in [0, 1]: how surely it is about the case's problem


@dataclass(frozen=True)
class Thresholds:
    """The rule's settings (module docstring): the constants above; others only for bench/kb_suggest.py's sweeps."""

    shared: int = MIN_SHARED
    coverage: float = MIN_COVERAGE
    matched: float = MIN_MATCHED
    meaning: float = MIN_MEANING
    matched_in_meaning: float = MATCHED_IN_MEANING


CHOSEN = Thresholds()


@functools.lru_cache(maxsize=TERMS_CACHED)
def distinctive_terms(text: str) -> frozenset[str]:
    """The stems of the words of a text that can tell one problem from another (module docstring); the last
    TERMS_CACHED texts' are kept (an article is judged again at every case it is a hit for)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    found: set[str] = set()
    previous = ""
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[match.start() - 1] if match.start() else " "
        if any(c.isdigit() for c in word):
            if _telling_number(word, before, previous):
                found.add(word)
        elif len(word) >= 2 and word not in LOW_INFORMATION:
            found.add(stem(word))
        previous = word
    return frozenset(found)


def _telling_number(word: str, before: str, previous: str) -> bool:
    """An error code or an identifier, not a line number, a short number ("tenant 42"), a version part or a year."""
    if before in ":." or previous in _LINE_WORDS:  # App.swift:42, line 42, 17.4.1
        return False
    if word.isdigit():
        year = len(word) == 4 and word[:2] in ("19", "20")
        return len(word) >= MIN_NUMBER_DIGITS and not year
    letters = sum(c.isalpha() for c in word)
    return len(word) >= MIN_NUMBER_DIGITS and letters >= 1  # ERR4821, e1234, sha256; not v2, 3d, x86


def wordings(article: Article) -> list[str]:
    """The ways an article says its problem: its title, the first sentence of its issue, each way it was asked."""
    first = _SENTENCE_END.split(" ".join(article.issue.split()), maxsplit=1)[0]
    return [text for text in (article.title, first, *article.asked) if text.strip()]


def keyword_evidence(case_terms: frozenset[str], article: Article, thresholds: Thresholds = CHOSEN) -> float:
    """The share of the case's distinctive words the article has, or of one of its wordings' the case has, the
    larger; 0 with fewer than MIN_SHARED in common or under MIN_COVERAGE."""
    if not case_terms:
        return 0.0
    everything = " ".join((article.title, article.issue, *article.tags, *article.asked))
    shared = case_terms & distinctive_terms(everything)
    if len(shared) < thresholds.shared:
        return 0.0
    best = len(shared) / len(case_terms)
    for wording in wordings(article):
        own = distinctive_terms(wording)
        if own:
            best = max(best, len(own & case_terms) / len(own))
    return best if best >= thresholds.coverage else 0.0


def likely_answers(
    case_text: str,
    hits: Sequence[ArticleHit],
    *,
    closeness: Mapping[int, float] | None = None,
    shown: int = SHOWN,
    thresholds: Thresholds = CHOSEN,
) -> list[Suggestion]:
    """The hits likely to answer the case, best evidence first, at most `shown` (module docstring). `closeness`:
    article id → cosine of the article's vector and the case's, when semantic search ran."""
    case_terms = distinctive_terms(case_text)
    judged: list[Suggestion] = []
    for hit in hits:
        evidence = 0.0
        if hit.matched_known >= thresholds.matched:
            evidence = keyword_evidence(case_terms, hit.article, thresholds)
        cosine = (closeness or {}).get(hit.article.id or -1)
        if cosine is not None:
            meaning = cosine + thresholds.matched_in_meaning * hit.matched_known
            if meaning >= thresholds.meaning:
                evidence = max(evidence, min(1.0, meaning))
        if evidence > 0:
            judged.append(Suggestion(hit, evidence))
    judged.sort(key=lambda s: -s.evidence)  # stable: equal evidence keeps search's order
    return judged[:shown]
