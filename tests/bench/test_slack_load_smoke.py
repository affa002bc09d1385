"""The Slack benchmark runs end to end (quick mode, in its own processes) and its table is complete.

No timing is asserted here: speed is measured by `bench/slack_load.py`, never by a timed test (docs/testing.md). What is
asserted is what does not depend on the machine: every row is there, Swarm's work was all done (the bench checks it
through the core), and a swarm opens end to end in at most six Web API calls.
"""

from __future__ import annotations

import re

import pytest

from tests.bench.quick import markdown_table, run_bench

SCENARIOS = ("/swarm opens", "reactions", "room messages")
VARIANTS = ("bare bolt (default)", "bare bolt (lazy)", "Swarm")


@pytest.fixture(scope="module")
def output() -> str:
    return run_bench("slack_load.py")


MAIN_TABLE = "| scenario | variant | mode |"


def table_rows(output: str) -> set[tuple[str, str, str]]:
    return {(cells[0], cells[1], cells[2].split()[0]) for cells in markdown_table(output, MAIN_TABLE)}


def test_the_table_has_every_scenario_for_every_server_at_a_fixed_rate_and_at_saturation(output: str) -> None:
    expected = {(s, v, mode) for s in SCENARIOS for v in VARIANTS for mode in ("fixed", "saturation")}
    expected.add(("reference", "bare aiohttp", "saturation"))
    assert table_rows(output) == expected, output


def test_each_fixed_rate_ack_is_split_into_where_its_time_went(output: str) -> None:
    main = markdown_table(output, MAIN_TABLE)
    acks = {(cells[0], cells[1]): float(cells[5]) for cells in main if cells[2].startswith("fixed")}
    split = markdown_table(output, "| scenario | variant | ack | late |")

    assert {(cells[0], cells[1]) for cells in split} == {(s, v) for s in SCENARIOS for v in VARIANTS}, output
    for scenario, variant, *parts in split:
        p50s = [float(part.split(" / ")[0]) for part in parts]
        assert len(p50s) == 5 and min(p50s) >= 0, (scenario, variant, parts)
        # The split ends when the client has read the answer, a moment before the ack's own clock stops.
        assert p50s[0] <= acks[(scenario, variant)], (scenario, variant, parts)


def test_swarm_did_all_its_work_and_the_bench_checked_it(output: str) -> None:
    checks = [line for line in output.splitlines() if line.startswith("check:")]
    assert len(checks) == 2 * len(SCENARIOS), output
    assert all(line.endswith("— OK") for line in checks), output


def test_a_swarm_opens_in_at_most_six_web_api_calls(output: str) -> None:
    found = re.search(r"^target: a swarm opened end to end .*\((\d+) calls: ([a-zA-Z., ]+)\)$", output, re.MULTILINE)
    assert found is not None, output
    assert int(found.group(1)) <= 6, found.group(0)
    assert "conversations.create" in found.group(2)


def test_every_target_is_reported(output: str) -> None:
    targets = [line for line in output.splitlines() if line.startswith("target:")]
    assert len(targets) == 4, output
    assert all(re.search(r": (MET|NOT MET) \(", line) for line in targets), output
