"""Reading JSON from the wire: malformed (not JSON, not UTF-8, nested deeper than MAX_DEPTH) is Malformed."""

from __future__ import annotations

import pytest

from adapters.wire import MAX_DEPTH, Malformed, depth, json_document


def test_depth_counts_lists_and_objects() -> None:
    assert [depth(v) for v in (1, "x", [], {}, [[1]], {"a": {"b": [1, {}]}})] == [0, 0, 1, 1, 2, 4]


def test_a_document_at_the_limit_is_read_and_one_deeper_is_not() -> None:
    assert depth(json_document("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == MAX_DEPTH
    with pytest.raises(Malformed, match="nests deeper"):
        json_document("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize("raw", [b"[" * 100_000, b"{not json", b"\x80", b""])
def test_what_is_no_json_document_is_malformed(raw: bytes) -> None:
    with pytest.raises(Malformed):
        json_document(raw)
