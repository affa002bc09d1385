"""Reading what arrives over the wire before anyone has vouched for it: malformed is a ValueError (a 400), never a
crash. Python's json parser recurses once per nesting level: 100,000 `[` raise RecursionError, and a document just
under the interpreter's limit parses but can blow up whatever walks it next (a deserializer, json.dumps). No chat
platform nests deeper than a few levels, so a document deeper than MAX_DEPTH is refused as malformed."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # Slack's and Teams' deepest payloads (blocks in views in messages) nest about 12 levels


class Malformed(ValueError):
    """The body is not a JSON document we read: not JSON, not UTF-8, or nested deeper than MAX_DEPTH."""


def json_document(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document in `raw`, or Malformed."""
    try:
        document = json.loads(raw)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Malformed("the body is not JSON") from err
    except RecursionError as err:
        raise Malformed(f"the body nests deeper than {max_depth} levels") from err
    if depth(document, max_depth) > max_depth:
        raise Malformed(f"the body nests deeper than {max_depth} levels")
    return document


def depth(document: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in `document` (a scalar: 0), counted without recursion and up to
    `limit + 1` at most (deeper is not looked into)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        level += 1
        if level > limit:
            return level
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children if isinstance(child, dict | list))
    return deepest
