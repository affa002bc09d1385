"""bench/sqlite_trips.py runs end to end (quick mode, in its own process) and fills its table. No figure is asserted:
the bench measures them."""

from __future__ import annotations

from tests.bench.quick import run_bench


def test_the_driver_bench_measures_both_drivers_on_every_row() -> None:
    output = run_bench("sqlite_trips.py")
    rows = [line.strip("|").split("|") for line in output.splitlines() if line.startswith("| ") and "---" not in line]
    measures = [cells[0].strip() for cells in rows[1:]]
    assert measures == ["SELECT 1 (Core)", "workspaces.ensure (ORM)", "a room message, in runs of 128"]
    for cells in rows[1:]:
        stock, one, ratio = (float(cell) for cell in cells[1:4])
        assert stock > 0 and one > 0 and abs(ratio - one / stock) < 0.02 + 0.01 * ratio
