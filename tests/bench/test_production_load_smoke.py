"""The production load table: bench/slack_load.py's rows (`--json`) side by side, and Swarm as two replicas.

No timing is asserted (speed is measured by the benches, never by a timed test). The full matrix runs five benches and
takes minutes even in quick mode, so here the two parts are checked on their own: slack_load.py spreads its load over
two real `swarm serve`-like replicas on one database and does all the work, and the table puts such runs together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.production_load import table
from tests.bench.quick import run_bench


def test_two_replicas_on_one_database_do_all_the_work(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    output = run_bench("slack_load.py", "--only", "opens,messages", "--replicas", "2", "--json", str(out))
    assert "2 replica(s)" in output
    rows = json.loads(out.read_text())["rows"]
    assert {(r["scenario"], r["mode"]) for r in rows} == {
        ("/swarm opens", "fixed"),
        ("/swarm opens", "saturation"),
        ("room messages", "fixed"),
        ("room messages", "saturation"),
    }
    assert all(r["ok"] for r in rows), output  # every open and every message done, across both replicas


def row(scenario: str, variant: str, mode: str, rate: float, work: float | None = None, ok: bool = True) -> Any:
    return {
        "scenario": scenario,
        "variant": variant,
        "mode": mode,
        "rate": rate,
        "p50_ms": 1.0,
        "p99_ms": 2.5,
        "work_rate": work,
        "ok": ok,
    }


def test_the_table_puts_the_runs_beside_bare_bolt() -> None:
    bare = {
        "rows": [
            row(scenario, variant, mode, 1000.0)
            for scenario in ("/swarm opens", "reactions", "room messages")
            for variant in ("bolt", "bolt-lazy")
            for mode in ("fixed", "saturation")
        ]
    }
    swarm = {
        "rows": [
            row("/swarm opens", "swarm", "fixed", 200.0, 20.0),
            row("/swarm opens", "swarm", "saturation", 900.0, 24.5),
            row("reactions", "swarm", "saturation", 1500.0, 30.0),
            row("room messages", "swarm", "saturation", 2000.0, 100.0, ok=False),
        ]
    }
    lines = table(bare, [("SQLite", 1, swarm)]).splitlines()
    assert lines[2] == "| bare bolt (default) |  | 1 | 1.00 | 2.50 |  | 1,000 | 1,000 |  |"
    assert lines[4] == "| Swarm | SQLite | 1 | 1.00 | 2.50 | 24.5 | 1,500 · 30 | 2,000 · 100 | NO |"
