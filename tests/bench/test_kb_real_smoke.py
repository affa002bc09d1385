"""The real-data knowledge bench (bench/kb_real.py) runs end to end in quick mode and reports every method and target.

No quality or timing figure is asserted: the bench measures them. Skipped where the data set is not on the machine
(it is read from ../shared/kb-dev-data, never copied into the repository)."""

from __future__ import annotations

import re

import pytest

from bench.kb_real import DATA
from tests.bench.quick import markdown_table, run_bench

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is not on this machine")


def test_the_real_data_bench_reports_four_methods_side_by_side() -> None:
    output = run_bench("kb_real.py", "--keyword-only", "--latency-queries", "10", timeout=600)
    rows = markdown_table(output, "| set |")
    assert [row[2].split(" ")[0] for row in rows] == ["bm25", "keyword", "hybrid", "model"]
    assert all(0 <= float(cell) <= 1 for row in rows[:2] for cell in row[4:7])
    assert [row[:3] for row in markdown_table(output, "| backend | method | articles |")] == [
        ["sqlite", "keyword", "1,000"]
    ]
    targets = [line for line in output.splitlines() if line.startswith("target:")]
    assert len(targets) == 7 and all(re.search(r": (MET|NOT MET|NOT MEASURED) \(", t) for t in targets)
