"""Words taken back: an edited or deleted room message, out of the texts that copied it (an article's fields).

Pure functions. An article's resolution is the room's words, either whole (a ✅-marked message, as a bullet) or a few
of its sentences (the extractive summary): both forms are looked for.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_BULLET = " -*•\t"  # what is left of a line that was only a bullet of the words


def _pieces(words: str) -> list[str]:
    """The message whole, then its sentences, longest first (a sentence of it must not cut a longer piece)."""
    found = {piece.strip() for piece in [words, *_SENTENCE.split(words)] if len(piece.strip()) > 3}
    return sorted(found, key=len, reverse=True)


def without(text: str, gone: str) -> str:
    """`text` with the words of a deleted message removed, and the lines that held only them dropped."""
    pieces = _pieces(gone)
    if not any(piece in text for piece in pieces):
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        cut = line
        for piece in pieces:
            cut = cut.replace(piece, "")
        if cut == line:
            kept.append(line)
        elif cut.strip(_BULLET):
            kept.append(" ".join(cut.split()))
    return "\n".join(kept)


def rewritten(text: str, before: str, after: str) -> str:
    """`text` with the words of an edited message, where it copied them whole, as they are now."""
    old, new = before.strip(), after.strip()
    return text.replace(old, new) if old and old in text else text
