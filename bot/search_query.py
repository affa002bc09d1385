"""The knowledge base's query language, read from whatever a person typed after `/swarm kb`. Pure; never raises.

    pdf export times out              words: any of them may match, more and rarer ones rank higher
    "template cache"                  a phrase: these words, next to each other, in this order (when the query is
                                      a search expression: quotes and at most EXPRESSION_WORDS other words, no
                                      question mark; a quote inside a question is plain words)
    #billing #pdf                     tags: only articles tagged with all of them
    state:validated                   states: draft, validated, archived, wip or all (default: draft and validated,
                                      plus work in progress that a swarm is on; archived only when asked for)

The words are handed to storage as they are: storage reads any text as plain words (quotes, NEAR(, *, - and other
operators of the search engines are never syntax there), so nothing a person types can break a search.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.models import ArticleState
from bot.text import normalize_skill

# Bounds on what one query can ask for, so that a pasted wall of text stays a cheap query.
MAX_QUERY_CHARS = 5000
MAX_PHRASES = 8
MAX_TAGS = 8
STATE_ALL = "all"
EXPRESSION_WORDS = 3  # words beside quotes in a search expression at most; more make a sentence (parse_query)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"'})
_PHRASE = re.compile(r'"([^"]*)"')
_STATE = re.compile(r"state[:=](\S*)", re.IGNORECASE)
_TRAILING_PUNCT = ",.;:!?)"
_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class SearchQuery:
    terms: str
    phrases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    states: tuple[ArticleState, ...] | None = None  # None: the default states

    @property
    def empty(self) -> bool:
        """Nothing to look for: no word, phrase or tag (a state alone filters nothing in)."""
        return not self.terms.strip() and not self.phrases and not self.tags

    @property
    def filtered(self) -> bool:
        return bool(self.phrases or self.tags or self.states is not None)


def parse_query(text: str) -> SearchQuery:
    """Words, "phrases", #tags and state: filters of a knowledge-base query."""
    text = _clean(text)[:MAX_QUERY_CHARS].translate(_QUOTES)
    phrases: list[str] = []
    for found in _PHRASE.finditer(text):
        phrase = " ".join(found.group(1).split())
        if _WORD.search(phrase) and phrase not in phrases and len(phrases) < MAX_PHRASES:
            phrases.append(phrase)
    rest = _PHRASE.sub(" ", text)
    words: list[str] = []
    tags: list[str] = []
    states: list[ArticleState] = []
    asked_states = False
    for word in rest.split():
        bare = word.rstrip(_TRAILING_PUNCT)
        if (tag := _tag(bare)) is not None:
            if tag not in tags and len(tags) < MAX_TAGS:
                tags.append(tag)
        elif (wanted := _states(bare)) is not None:
            asked_states = True
            states.extend(state for state in wanted if state not in states)
        else:
            words.append(word)
    ordered = tuple(state for state in ArticleState if state in states) if asked_states else None
    if phrases and not _expression(words, text):
        # A quote inside a question ("the "did you mean" feature is gone") is words like the others, where they are.
        unquoted = _PHRASE.sub(lambda found: f" {found.group(1)} ", text).replace('"', " ")
        kept = [word for word in unquoted.split() if _filter(word.rstrip(_TRAILING_PUNCT)) is None]
        return SearchQuery(terms=" ".join(kept), tags=tuple(tags), states=ordered)
    return SearchQuery(terms=" ".join(words), phrases=tuple(phrases), tags=tuple(tags), states=ordered)


def _expression(words: list[str], text: str) -> bool:
    """Whether a query with quotes is a search expression, whose quotes are required phrases: a few words at most
    beside them (EXPRESSION_WORDS) and no question mark; a sentence with a quote in it is a question."""
    return len(words) <= EXPRESSION_WORDS and "?" not in _PHRASE.sub(" ", text)


def _clean(text: str) -> str:
    """NFKC (full-width letters and quotes become plain ones) without lone surrogates, which nothing can encode."""
    text = text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text
    return unicodedata.normalize("NFKC", text)


def _filter(bare: str) -> object | None:
    """The tag or states a word of a query says, None for a plain word."""
    tag = _tag(bare)
    return tag if tag is not None else _states(bare)


def _tag(bare: str) -> str | None:
    if not bare.startswith("#"):
        return None
    body = bare.lstrip("#")
    if not body or body.isdigit():  # "order #12345" is a ticket number, not a tag
        return None
    return normalize_skill(body) or None


def _states(bare: str) -> tuple[ArticleState, ...] | None:
    found = _STATE.fullmatch(bare)
    if found is None:
        return None
    value = found.group(1).lower()
    if value == STATE_ALL:
        return tuple(ArticleState)
    try:
        return (ArticleState(value),)
    except ValueError:
        return None  # "state:foo" is just words
