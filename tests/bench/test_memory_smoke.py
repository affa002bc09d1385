"""The memory bench runs end to end (quick mode: 500 open swarms and 2,000 articles, a real `swarm serve`).

No memory figure is asserted here (it depends on the machine and the Python build); `bench/memory.py` reports them.
What is asserted: it exits 0, the database held what it was filled with, and every step is a row of the table with
the server's and the worker's RSS and peak.
"""

from __future__ import annotations

import pytest

from tests.bench.quick import run_bench

HEADER = "| step | seconds | server RSS MB | server peak MB | worker RSS MB | worker peak MB |"
STEPS = (
    "started",
    "idle",
    "/metrics",
    "/dashboard",
    "/kb?q=",
    "`/swarm kb`",
    "`/swarm` opens",
    "/metrics + /dashboard",
)


@pytest.fixture(scope="module")
def output() -> str:
    return run_bench("memory.py")


def test_the_database_held_the_open_swarms_and_articles(output: str) -> None:
    assert "database: open swarms 500, articles 2,000," in output, output


def test_every_step_is_a_row_with_both_processes_memory(output: str) -> None:
    lines = output.splitlines()
    start = lines.index(HEADER)
    table = [line for line in lines[start + 2 :] if line.startswith("|")]
    assert len(table) == len(STEPS), output
    for line, step in zip(table, STEPS, strict=True):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[0].startswith(step), line
        assert all(float(cell) > 0 for cell in cells[2:]), line
    assert any(line.startswith("server: RSS ") for line in lines), output
    assert any(line.startswith("worker: RSS ") for line in lines), output
