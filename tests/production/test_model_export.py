"""Two servers started at once on an empty model cache both export the bundled model to ONNX
(adapters/semantic_onnx.py), each to a temporary name of its own, then rename: one sound file is left, never a broken
one. Slow: each process imports torch and exports (seconds of CPU each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adapters import semantic, semantic_onnx
from tests.semantic import requires_onnx

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from pathlib import Path
from adapters.semantic import MiniLMEmbedder
model = MiniLMEmbedder(Path(sys.argv[1]))
model.embed(["warm up"])
model.speed_up()  # what the warm-up of `swarm serve` ends with
print(model.runtime)
"""


@requires_onnx
def test_two_processes_exporting_at_once_leave_one_sound_file(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    started = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(cache)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in started:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert out.strip() == "onnxruntime"
    files = sorted(path.name for path in cache.iterdir())
    assert [Path(name).suffix for name in files] == [".json", ".onnx"]  # no temporary file left
    model = semantic.MiniLMEmbedder(cache)
    model.embed(["warm up"])  # loads the file, checked against torch's vectors kept beside it
    assert model.runtime == "onnxruntime"
    assert semantic_onnx.Export.of(model._target().folder, cache).exists()
