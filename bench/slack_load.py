"""Slack speed benchmark (issue 3): Swarm's real server beside a bare bolt AsyncApp, measured in the same run.

    .venv/bin/python bench/slack_load.py                 # default run (about 2 minutes on a quiet machine)
    .venv/bin/python bench/slack_load.py --quick         # smoke run (under 20 s)
    .venv/bin/python bench/slack_load.py --database postgresql://postgres@127.0.0.1:5432/test --check

Processes: the servers under test pinned to one core; the load generator (this process: request bodies signed before
the clock starts; at a fixed rate a raw HTTP/1.1 client over keep-alive connections opened beforehand, each request
bytes ready to write, so that the client's own time barely counts in a latency; at saturation an aiohttp client
with a keep-alive connector) and the loopback FakeSlack Web API pinned to the other core, so the client does not
steal the servers' CPU and Swarm's real work really calls a Web API over HTTP.

Servers, same harness, each on its own port: `swarm` (App.start + roster import + SlackMount + web.build, served by
aiohttp.web; a fresh database for each scenario), `bolt` (a bare AsyncApp whose listeners only ack(), default mode: the
runner polls for ack()), `bolt-lazy` (the same with process_before_response=True and a lazy no-op, as Swarm runs)
and `aiohttp` (a handler that reads the body and answers 200: about what this client can drive at most). The bare
servers share one process and the Swarm servers another; only one server is loaded at a time.

Modes: fixed rate (open loop: request i is sent at t0 + i/rate whatever the answers, its latency counted from that
scheduled time) and saturation (W concurrent workers for D seconds; Swarm's run also stops at a request cap so the
backlog it leaves stays drainable). For Swarm, after each phase the server waits until its background work is done
(the lazy listeners' tasks): `work/s` = requests / (load time + drain time), and the work is checked through the core
(swarms opened, members joined, messages in the timeline).

It is a measurement, not a test: it exits 0 whatever the figures, or 1 with --check when a target is not met.

The parts are in bench/slack_speed/: settings, servers (the fake Web API and the servers under test), client
(signed requests, the raw and aiohttp clients), phases (fixed rate, saturation), report (what a phase measured,
the tables and targets) and the orchestrator that runs them; this file is the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/slack_load.py` as well as `python -m bench.slack_load`
    sys.path.insert(0, str(ROOT))

from bench.slack_speed.orchestrator import Bench  # noqa: E402
from bench.slack_speed.report import report, rows_json, targets  # noqa: E402
from bench.slack_speed.settings import CLIENT_CORE, CLIENTS, GROUPS, Plan, pin, use_loop  # noqa: E402

# ------------------------------------------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (under 20 s), figures not meaningful")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    parser.add_argument("--database", help="a PostgreSQL URL for Swarm (a schema per server); default SQLite files")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop", help="uvloop when installed")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile each phase in the server into DIR")
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="py-spy (raw stacks) on the server into DIR")
    parser.add_argument("--only", help=f"a comma-separated subset of: {','.join(GROUPS)}")
    parser.add_argument("--rate", type=float, help="fixed rate, requests/s")
    parser.add_argument("--seconds", type=float, help="saturation window")
    parser.add_argument("--workers", type=int, help="saturation concurrency")
    parser.add_argument("--commands", type=int, help="/swarm opens sent at the fixed rate")
    parser.add_argument("--events", type=int, help="reaction and message events sent at the fixed rate")
    parser.add_argument(
        "--swarm-workers", type=int, help="Swarm's worker processes (`swarm serve --workers N`; default 1, 0: none)"
    )
    parser.add_argument("--client", choices=sorted(CLIENTS), help="the fixed-rate phases' client (default raw)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON to FILE")
    parser.add_argument(
        "--replicas", type=int, help="Swarm as N `swarm serve` processes on one database, the load spread over them"
    )
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    overrides = {
        "rate": args.rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "commands": args.commands,
        "events": args.events,
        "swarm_workers": args.swarm_workers,
        "swarm_replicas": args.replicas,
        "client": args.client,
    }
    plan = Plan(**{**plan.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    for folder in (args.profile, args.py_spy):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    pin(CLIENT_CORE)
    loop = use_loop(args.loop)
    only = GROUPS if args.only is None else tuple(part.strip() for part in args.only.split(","))
    if unknown := set(only) - set(GROUPS):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    bench = Bench(plan, args.loop if loop != "asyncio" else "asyncio", args.database, args.profile, only, args.py_spy)
    started = time.perf_counter()
    results = asyncio.run(bench.run())
    results.loop = loop
    print(report(results))
    if args.json is not None:
        found = {"database": results.database, "plan": plan.__dict__, "rows": rows_json(results)}
        args.json.write_text(json.dumps(found))
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")
    failed = [t for t in targets(results) if not t.met]
    wrong = [r for r in results.rows if not r.ok]
    if wrong:
        print(f"{len(wrong)} Swarm phase(s) did not do all their work: see the checks above", file=sys.stderr)
    return 1 if args.check and (failed or wrong) else 0


if __name__ == "__main__":
    sys.exit(main())
