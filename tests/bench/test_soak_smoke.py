"""The soak bench runs end to end (quick mode, a real `swarm serve` subprocess) and prints its table and verdicts.

No timing or memory figure is asserted here: the soak is measured by `bench/soak.py` (20 minutes), never by a timed
test (docs/testing.md). What is asserted is what does not depend on the machine: it exits 0, every sample is a row of
the table, and the work it sent was all done (every open a swarm, every 🙋 a join, every message in the timeline).
"""

from __future__ import annotations

import pytest

from tests.bench.quick import markdown_table, run_bench

HEADER = "| sample | requests | errors | skipped | ack p50 ms | ack p99 ms |"


@pytest.fixture(scope="module")
def output() -> str:
    return run_bench("soak.py")


def rows(output: str) -> list[list[str]]:
    return markdown_table(output, HEADER)


def test_the_table_has_a_row_per_sample_from_start_to_drained(output: str) -> None:
    labels = [row[0] for row in rows(output)]
    assert labels[0] == "start" and labels[-1] == "drained", output
    assert len(labels) >= 4, output  # 20 s of load sampled every 5 s
    assert all(float(row[7]) > 0 and float(row[8]) > 0 for row in rows(output)), output  # server and worker RSS


def test_every_verdict_is_printed_and_the_work_was_all_done(output: str) -> None:
    verdicts = [line for line in output.splitlines() if line.startswith("verdict:")]
    assert len(verdicts) == 7, output
    effects = next(line for line in verdicts if line.startswith("verdict: every action's effect present:"))
    assert ": OK — " in effects, effects
    drained = next(line for line in verdicts if line.startswith("verdict: backlog drained:"))
    assert ": OK — " in drained, drained
