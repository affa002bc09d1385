"""User text on the web pages: Markdown rendered safely, and the words a search matched highlighted.

Everything here escapes first: article text and case text are what people typed, and none of it can ever become
markup (raw HTML is off in the Markdown renderer; javascript: and data: links are refused by it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from bot.search_query import parse_query

_WORD = re.compile(r"[^\W_]+")
# Words every text has: highlighting them says nothing (storage/search.py leaves the same ones out of a search).
# fmt: off
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will",
    "with",
})
# fmt: on
_SUFFIXES = ("ing", "ed", "ly", "s")
_ES = ("sses", "xes", "zes", "ches", "shes")  # boxes → box, but times → time
MIN_STEM = 3

# CommonMark without raw HTML and without images (which would load from anywhere); links are validated by
# markdown-it (no javascript:, vbscript:, file: or data: except images).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def markdown(text: str) -> Markup:
    """Markdown → HTML, with whatever HTML the text holds shown as text."""
    return Markup(_MARKDOWN.render(text or ""))  # safe: html is off: the renderer escapes all input


def query_words(query: str) -> list[str]:
    """The words of a knowledge-base query worth highlighting: its words and the words of its phrases."""
    parsed = parse_query(query)
    words = _WORD.findall(" ".join((parsed.terms, *parsed.phrases)))
    found: list[str] = []
    for word in words:
        folded = word.casefold()
        if folded not in _STOP_WORDS and len(_stem(folded)) >= MIN_STEM and folded not in found:
            found.append(folded)
    return found


def highlight(text: str, words: Iterable[str]) -> Markup:
    """The text, escaped, with each word that matches one of `words` (the same word, or another form of it:
    export, exports, exported) in <mark>."""
    stems = [_stem(w.casefold()) for w in words]
    stems = [s for s in stems if len(s) >= MIN_STEM]
    if not stems:
        return escape(text)
    out: list[str] = []
    last = 0
    for found in _WORD.finditer(text):
        out.append(str(escape(text[last : found.start()])))
        word = found.group(0)
        folded = word.casefold()
        if folded not in _STOP_WORDS and _matches(_stem(folded), stems):
            out.append(f"<mark>{escape(word)}</mark>")
        else:
            out.append(str(escape(word)))
        last = found.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # safe: every piece was escaped above


def _stem(word: str) -> str:
    if word.endswith(_ES) and len(word) - 2 >= MIN_STEM:
        return word[:-2]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def _matches(stem: str, stems: list[str]) -> bool:
    """The same stem, or one a little longer (export for "expo", as search takes the last word as a prefix; not
    timeout for time), or one letter shorter (cach(ed) for cache)."""
    if len(stem) < MIN_STEM:
        return False
    return any(
        (stem.startswith(s) and len(stem) - len(s) <= 2) or (s.startswith(stem) and len(s) - len(stem) <= 1)
        for s in stems
    )
