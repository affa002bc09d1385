"""The production load table (issue 9), one command: Swarm's real server against the loopback fake Slack, on SQLite
and PostgreSQL, as one `swarm serve` and as two replicas on one database, beside bare bolt measured in the same run.

    .venv/bin/python bench/production_load.py            # about 12 minutes on a quiet 2-core machine
    .venv/bin/python bench/production_load.py --quick    # smoke run (tests/bench runs it)

It runs bench/slack_load.py once for the bare bolt baselines and once per (database, replicas), each in a process of
its own (`--json`), and prints one table: ack p50/p99 of `/swarm` at a fixed 200/s, swarm opens/s end to end
(saturation, until the backlog is done), and reactions/messages acked per second at saturation with the rate their
work was done at. Each Swarm server does its work in one worker process (`swarm serve --workers 1`); every replica
is pinned to the same server core as the single server, so two replicas measure the cost of coordination (one
inbox, one database), not extra CPU. It is a measurement: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG = "postgresql://postgres@127.0.0.1:5432/test"
JSON = dict[str, Any]


def run(arguments: list[str], out: Path, quick: bool) -> JSON:
    command = [sys.executable, str(ROOT / "bench" / "slack_load.py"), *arguments, "--json", str(out)]
    if quick:
        command.append("--quick")
    print(f"$ {' '.join(command[1:])}", file=sys.stderr, flush=True)
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    found: JSON = json.loads(out.read_text())
    return found


def pick(rows: Sequence[JSON], scenario: str, variant: str, mode: str) -> JSON | None:
    return next((r for r in rows if (r["scenario"], r["variant"], r["mode"]) == (scenario, variant, mode)), None)


def figure(value: Any, digits: int = 0) -> str:
    return "" if value is None else f"{float(value):,.{digits}f}"


def table(bare: JSON, runs: Sequence[tuple[str, int, JSON]]) -> str:
    lines = [
        "| server | database | processes | /swarm ack p50 ms (fixed 200/s) | /swarm ack p99 ms | opens/s end to end"
        " | reactions acked/s · done/s | messages acked/s · done/s | all work done |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    rows = bare["rows"]
    for variant, label in (("bolt", "bare bolt (default)"), ("bolt-lazy", "bare bolt (lazy)")):
        fixed = pick(rows, "/swarm opens", variant, "fixed")
        cells = [label, "", "1"]
        cells += [figure(fixed and fixed["p50_ms"], 2), figure(fixed and fixed["p99_ms"], 2), ""]
        for scenario in ("reactions", "room messages"):
            saturated = pick(rows, scenario, variant, "saturation")
            cells.append(figure(saturated and saturated["rate"]))
        lines.append("| " + " | ".join([*cells, ""]) + " |")
    for database, replicas, found in runs:
        rows = found["rows"]
        fixed = pick(rows, "/swarm opens", "swarm", "fixed")
        opens = pick(rows, "/swarm opens", "swarm", "saturation")
        cells = ["Swarm", database, str(replicas)]
        cells += [figure(fixed and fixed["p50_ms"], 2), figure(fixed and fixed["p99_ms"], 2)]
        cells.append(figure(opens and opens["work_rate"], 1))
        for scenario in ("reactions", "room messages"):
            saturated = pick(rows, scenario, "swarm", "saturation")
            cells.append("" if saturated is None else f"{figure(saturated['rate'])} · {figure(saturated['work_rate'])}")
        cells.append("yes" if all(r["ok"] for r in rows) else "NO")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, figures not meaningful")
    parser.add_argument("--database", default=PG, help=f"the PostgreSQL URL (default {PG}); 'none' skips it")
    args = parser.parse_args(argv)
    databases: list[tuple[str, list[str]]] = [("SQLite", [])]
    if args.database != "none":
        databases.append(("PostgreSQL", ["--database", args.database]))
    with tempfile.TemporaryDirectory(prefix="swarm-production-load-") as folder:
        out = Path(folder)
        bare = run(["--only", "bolt,bolt-lazy"], out / "bare.json", args.quick)
        runs = []
        for name, extra in databases:
            for replicas in (1, 2):
                arguments = ["--only", "opens,reactions,messages", "--replicas", str(replicas), *extra]
                found = run(arguments, out / f"{name}-{replicas}.json", args.quick)
                runs.append((name, replicas, found))
    print(table(bare, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
