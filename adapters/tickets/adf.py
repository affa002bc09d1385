"""Atlassian Document Format (ADF) → plain text: how Jira's rich-text fields (an issue's description, a comment's
body in REST v3) become words a swarm's card can show.

ADF is a tree of nodes (`{"type": "doc", "content": [...]}`); text lives in `text` nodes, and a few inline nodes
stand for words (a mention's `@name`, an emoji's shortcut, a date). Blocks (paragraphs, headings, list items, code)
end with a line break. Anything unknown is walked for its text, never refused: a field's words matter, its layout
does not. Webhook bodies may carry the same field as a string (REST v2's wiki text): it is kept as it is.
"""

from __future__ import annotations

from typing import Any

BLOCKS = frozenset(
    {"paragraph", "heading", "listItem", "codeBlock", "blockquote", "panel", "tableRow", "rule", "mediaSingle"}
)
DEPTH = 50  # a document deeper than this is not one Jira wrote: its deeper nodes are left out


def plain_text(value: Any) -> str:
    """The words of an ADF document (or of a string, as it is); "" for anything else."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, dict):
        return ""
    parts: list[str] = []
    _walk(value, parts, 0)
    lines = "".join(parts).splitlines()
    return "\n".join(line.rstrip() for line in lines).strip()


def _walk(node: dict[str, Any], parts: list[str], depth: int) -> None:
    if depth > DEPTH:
        return
    kind = node.get("type") if isinstance(node.get("type"), str) else ""
    found = node.get("attrs")
    attrs: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text" and isinstance(node.get("text"), str):
        parts.append(node["text"])
    elif kind == "hardBreak":
        parts.append("\n")
    elif kind == "mention":
        parts.append(str(attrs.get("text") or "@someone"))
    elif kind == "emoji":
        parts.append(str(attrs.get("text") or attrs.get("shortName") or ""))
    elif kind == "inlineCard":
        parts.append(str(attrs.get("url") or ""))
    elif kind == "status":
        parts.append(str(attrs.get("text") or ""))
    elif kind == "tableCell" or kind == "tableHeader":
        parts.append(" ")
    content = node.get("content")
    if isinstance(content, list):
        for child in content:
            if isinstance(child, dict):
                _walk(child, parts, depth + 1)
    if kind in BLOCKS and parts and not parts[-1].endswith("\n"):
        parts.append("\n")  # once: a paragraph in a list item ends one line, not two
