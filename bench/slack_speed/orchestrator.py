"""The run: starts the fake and the servers in processes of their own, runs every phase against each, checks
Swarm's work through its control routes, and gathers the rows."""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import create_schema, drop_schemas, progress
from bench.slack_speed.client import Recorder, Signed, commands, messages, reactions
from bench.slack_speed.phases import fixed_rate, saturate
from bench.slack_speed.report import Measured, Results, Row, Watch
from bench.slack_speed.servers import extra_users, fake_main, server_main
from bench.slack_speed.settings import (
    AIOHTTP,
    BOLT,
    BOLT_LAZY,
    DEMO,
    GROUPS,
    JSON,
    MESSAGES,
    OPENS,
    PEOPLE,
    REACTIONS,
    REFERENCE,
    SETUP_TIMEOUT,
    SUPPORT,
    SWARM,
    VARIANT_LABEL,
    Plan,
)


class Processes:
    """Starts the fake and the servers (spawned, so no event loop is forked) and stops them by their own pipes."""

    def __init__(self, loop: str) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.loop = loop
        self.running: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []

    async def start(self, target: Callable[..., None], *args: Any) -> JSON:
        what = f" {', '.join(variant for variant, _ in args[0])}" if target is server_main else ""
        progress(f"starting {target.__name__}{what}")
        parent, child = self.context.Pipe()
        # Not daemonic: the server starts Swarm's worker processes, and a daemonic process may have no children. Each
        # stops when its pipe closes, so none outlives this one.
        process = self.context.Process(target=target, args=(child, *args), daemon=False)
        process.start()
        self.running.append((process, parent))
        deadline = time.monotonic() + SETUP_TIMEOUT
        while not await asyncio.to_thread(parent.poll, 0.2):
            if not process.is_alive():
                raise RuntimeError(f"{target.__name__} exited with {process.exitcode} before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target.__name__} did not start within {SETUP_TIMEOUT:.0f} s")
        answer: JSON = parent.recv()
        answer["pid"] = process.pid
        return answer

    async def stop_last(self) -> None:
        process, parent = self.running.pop()
        with contextlib.suppress(OSError):
            parent.send("stop")
        await asyncio.to_thread(process.join, 30.0)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5.0)

    async def stop_all(self) -> None:
        while self.running:
            await self.stop_last()


class Bench:
    def __init__(
        self,
        plan: Plan,
        loop: str,
        database: str | None,
        profile_dir: Path | None = None,
        only: Sequence[str] = GROUPS,
        spy_dir: Path | None = None,
    ) -> None:
        self.plan = plan
        self.spy_dir = spy_dir
        self.only = set(only)
        self.loop_name = loop
        self.database = database
        self.profile_dir = profile_dir
        self.tmp = tempfile.TemporaryDirectory(prefix="swarm-bench-")
        self.schemas: list[str] = []
        self.http: aiohttp.ClientSession | None = None
        self.processes = Processes(loop)
        self.saturation_bodies: dict[str, list[Signed]] = {}

    @property
    def fixed_mode(self) -> str:
        return f"fixed {self.plan.rate:g}/s"

    @property
    def saturation_mode(self) -> str:
        return f"saturation ×{self.plan.workers}"

    # -- plumbing ---------------------------------------------------------------------------------------------

    async def control(self, method: str, url: str, **params: str) -> Any:
        assert self.http is not None
        timeout = aiohttp.ClientTimeout(total=900)
        async with self.http.request(method, url, params=params, timeout=timeout) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def database_url(self, name: str) -> str:
        """A fresh, empty database for one Swarm server: a SQLite file, or a new schema on the given PostgreSQL."""
        if self.database is None:
            return f"sqlite:///{Path(self.tmp.name) / name}.db"
        schema, url = await create_schema(self.database, "bench")
        self.schemas.append(schema)
        return url

    async def drop_schemas(self) -> None:
        if self.database is not None:
            await drop_schemas(self.database, self.schemas)

    def watch(self, server: JSON) -> Watch:
        ours = [os.getpid(), *(process.pid for process, _ in self.processes.running if process.pid is not None)]
        return Watch(ours, int(server["pid"]), [int(pid) for pid in server.get("replica_pids", [])])

    @contextlib.asynccontextmanager
    async def profiled(self, server: JSON, name: str) -> Any:
        """cProfile (--profile DIR) or py-spy (--py-spy DIR) on the server process around one phase."""
        spy: asyncio.subprocess.Process | None = None
        if self.profile_dir is not None:
            await self.control("POST", f"{server['control']}/profile/start")
        if self.spy_dir is not None:
            out = self.spy_dir / f"{name}.txt"
            binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            # --subprocesses: the worker process, where the work is, as well as the server. Blocking samples (no
            # --nonblocking) slow the server but read whole stacks: non-blocking ones put a third of the worker's time
            # in json.loads, which a direct measurement put at 5 µs a delivery.
            command = [binary, "record", "--subprocesses", "-r", "1000", "-f", "raw"]
            command += ["-o", str(out)]
            spy = await asyncio.create_subprocess_exec(
                *command, "-p", str(server["pid"]), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
        try:
            yield
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await spy.wait()
            if self.profile_dir is not None:
                out = self.profile_dir / f"{name}.prof"
                await self.control("POST", f"{server['control']}/profile/stop", out=str(out))

    # -- the run ----------------------------------------------------------------------------------------------

    async def run(self) -> Results:
        from sqlalchemy.engine import make_url

        backend = "SQLite" if self.database is None else make_url(self.database).get_backend_name()
        results = Results(self.loop_name, backend, self.plan)
        self.http = aiohttp.ClientSession()
        try:
            bare = [variant for variant in (AIOHTTP, BOLT, BOLT_LAZY) if variant in self.only]
            if bare:
                for server in await self.start_servers([(variant, "") for variant in bare], {}):
                    await self.bare(results, server)
                await self.processes.stop_last()
            runs = {"opens": self.swarm_opens, "reactions": self.swarm_reactions, "messages": self.swarm_messages}
            groups = [group for group in runs if group in self.only]
            if groups:
                fake = await self.processes.start(fake_main, self.plan.users, self.loop_name)
                instances = [(SWARM, await self.database_url(group)) for group in groups]
                for group, server in zip(groups, await self.start_swarm(instances, fake), strict=True):
                    await runs[group](results, fake, server)
        finally:
            await self.processes.stop_all()
            await self.http.close()
            await self.drop_schemas()
            self.tmp.cleanup()
        return results

    # -- bare servers -----------------------------------------------------------------------------------------

    async def bodies(self, scenario: str, count: int) -> list[Signed]:
        hooks = "http://127.0.0.1:9/hooks/"  # the bare servers never answer through a response_url
        if scenario == OPENS:
            return await commands(hooks, count)
        if scenario == REACTIONS:
            users = [u for u, _, _ in extra_users(self.plan.users)]
            announcements = [f"1700000000.{i:06d}" for i in range(math.ceil(count / len(users)))]
            return await reactions(hooks, announcements, users, count)
        return await messages(hooks, "C0ROOM", count)

    async def saturating_bodies(self, scenario: str) -> list[Signed]:
        """Enough bodies for the client's ceiling over the window; the same for each bare server."""
        if scenario not in self.saturation_bodies:
            count = int(12_000 * self.plan.seconds) + self.plan.workers
            self.saturation_bodies[scenario] = await self.bodies(scenario, count)
        return self.saturation_bodies[scenario]

    async def start_servers(self, instances: Sequence[tuple[str, str]], fake: JSON) -> list[JSON]:
        started = await self.processes.start(
            server_main, instances, fake, self.plan.users, self.loop_name, self.plan.swarm_workers
        )
        servers: list[JSON] = started["servers"]
        for server in servers:
            server["pid"] = started["pid"]
        return servers

    async def start_swarm(self, instances: Sequence[tuple[str, str]], fake: JSON) -> list[JSON]:
        """The Swarm servers, one per group; with replicas, as many processes on the same databases, and each group's
        server names all of them: `urls` (the load is spread over them), `controls`, `replica_pids`."""
        first = await self.start_servers(instances, fake)
        for _ in range(self.plan.swarm_replicas - 1):
            for server, replica in zip(first, await self.start_servers(instances, fake), strict=True):
                server.setdefault("replicas", []).append(replica)
        for server in first:
            replicas = server.get("replicas", [])
            server["urls"] = [f"{s['url']}/slack/events" for s in (server, *replicas)]
            server["controls"] = [s["control"] for s in (server, *replicas)]
            server["replica_pids"] = [s["pid"] for s in replicas]
        return first

    async def idle(self, server: JSON) -> float:
        """Waits until every replica's acked work is done; the longest wait."""
        waits = [(await self.control("POST", f"{control}/idle"))["seconds"] for control in server["controls"]]
        return float(max(waits))

    async def statements(self, server: JSON) -> int:
        return sum([(await self.control("GET", f"{c}/counters"))["statements"] for c in server["controls"]])

    async def collections(self, server: JSON) -> tuple[list[int], float]:
        """The serving processes' garbage collections so far, by generation, and the seconds they took."""
        counts, seconds = [0, 0, 0], 0.0
        for c in server["controls"]:
            found = await self.control("GET", f"{c}/counters")
            counts = [a + b for a, b in zip(counts, found["gc_counts"], strict=True)]
            seconds += sum(found["gc_seconds"])
        return counts, seconds

    async def bare(self, results: Results, server: JSON) -> None:
        """One server for every scenario: it only acks, so nothing it did before changes what it does next."""
        plan = self.plan
        variant = server["variant"]
        url = server["url"] + "/slack/events"
        scenarios = [REFERENCE] if variant == AIOHTTP else [OPENS, REACTIONS, MESSAGES]
        for scenario in scenarios:
            progress(f"{VARIANT_LABEL[variant]}: {scenario}")
            if scenario != REFERENCE:
                count = plan.commands if scenario == OPENS else plan.events
                bodies = await self.bodies(scenario, count)
                with self.watch(server) as watch:
                    measured = await fixed_rate(url, bodies, plan.rate, plan.client)
                await self.handled(server, measured)
                results.rows.append(Row(scenario, variant, self.fixed_mode, measured, watch=watch))
            bodies = await self.saturating_bodies(MESSAGES if scenario == REFERENCE else scenario)
            async with self.profiled(server, f"{variant}-{slug(scenario)}"):
                with self.watch(server) as watch:
                    measured = await saturate(url, bodies, plan.workers, plan.seconds)
            results.rows.append(Row(scenario, variant, self.saturation_mode, measured, watch=watch))

    async def handled(self, server: JSON, measured: Measured) -> None:
        """The server's side of a fixed-rate phase's requests, into `measured`."""
        found = await self.control("POST", f"{server['control']}/trace")
        measured.handled = {int(number): (began, ended) for number, (began, ended) in found.items()}

    # -- Swarm ------------------------------------------------------------------------------------------------

    async def open_swarms(self, server: JSON, fake: JSON, count: int) -> list[JSON]:
        """Opens `count` swarms through the real path (signed /swarm, acked, worked), waits, lists them all."""
        progress(f"Swarm: opening {count} swarms to work in")
        for start in range(0, count, 50):
            batch = await commands(fake["hooks"], min(50, count - start), start=100_000 + start)
            await saturate(server["urls"], batch, 8, math.inf)
            await self.idle(server)
        listed: list[JSON] = (await self.control("GET", f"{server['control']}/swarms"))["swarms"]
        return sorted(listed, key=lambda s: int(s["number"]))

    async def phase(
        self,
        scenario: str,
        mode: str,
        server: JSON,
        fake: JSON,
        bodies: Sequence[Signed],
        fixed: bool,
        cap: int | None = None,
    ) -> Row:
        """One measured phase on the Swarm server: load, then the drain of the work it left behind."""
        progress(f"Swarm: {scenario}, {mode}")
        url = server["urls"]
        statements = await self.statements(server)
        collected, collecting = await self.collections(server)
        calls = (await self.control("GET", f"{fake['control']}/calls"))["total"]
        async with self.profiled(server, f"swarm-{slug(scenario)}-{'fixed' if fixed else 'saturation'}"):
            with self.watch(server) as watch:
                if fixed:
                    await self.control("POST", f"{fake['control']}/yields", on="1")
                    try:
                        measured = await fixed_rate(url, bodies, self.plan.rate, self.plan.client)
                    finally:
                        await self.control("POST", f"{fake['control']}/yields", on="0")
                else:
                    measured = await saturate(url, bodies[:cap], self.plan.workers, self.plan.seconds)
                drain = await self.idle(server)
        if fixed:  # outside the watch, as for the bare servers: the control request is no part of the phase
            await self.handled(server, measured)
        row = Row(scenario, SWARM, mode, measured, drain=drain, watch=watch)
        row.statements = await self.statements(server) - statements
        counts, seconds = await self.collections(server)
        row.collections = [a - b for a, b in zip(counts, collected, strict=True)]
        row.collecting = seconds - collecting
        made = await self.control("GET", f"{fake['control']}/calls", since=str(calls))
        row.calls, row.methods = len(made["methods"]), Counter(made["methods"])
        return row

    async def swarm_opens(self, results: Results, fake: JSON, server: JSON) -> None:
        plan = self.plan
        calls_before = (await self.control("GET", f"{fake['control']}/calls"))["total"]
        # One swarm opened end to end on a fresh server: what it costs in Web API calls.
        before = (await self.control("GET", f"{fake['control']}/calls"))["total"]
        recorder = Recorder("http://unused", fake["hooks"])
        await recorder.slash(DEMO, PEOPLE["ana"], SUPPORT)
        await saturate(server["url"] + "/slack/events", recorder.recorded, 1, math.inf)
        await self.idle(server)
        calls = await self.control("GET", f"{fake['control']}/calls", since=str(before))
        results.calls_per_open = [m for m in calls["methods"] if m not in ("auth.test", "users.info")]

        expected = 1
        for fixed in (True, False):
            count = plan.commands if fixed else plan.swarm_cap_opens
            bodies = await commands(fake["hooks"], count, start=expected)
            mode = self.fixed_mode if fixed else self.saturation_mode
            row = await self.phase(OPENS, mode, server, fake, bodies, fixed, cap=count)
            expected += row.measured.requests - row.measured.errors
            swarms = (await self.control("GET", f"{server['control']}/swarms"))["swarms"]
            opened = sum(s["status"] == "open" for s in swarms)
            row.ok = opened == expected == len(swarms)
            row.verified = f"{opened}/{expected} swarms open, {len(swarms) - opened} not"
            results.rows.append(row)
        failed = (await self.control("GET", f"{fake['control']}/calls", since=str(calls_before)))["failed"]
        results.notes.append(f"/swarm opens: {failed} Web API calls answered not ok")

    async def swarm_reactions(self, results: Results, fake: JSON, server: JSON) -> None:
        plan = self.plan
        calls_before = (await self.control("GET", f"{fake['control']}/calls"))["total"]
        # Many swarms, so every 🙋 is a real join by someone not yet in, and crews stay at a real size.
        fixed_swarms = math.ceil(plan.events / plan.crew)
        saturated_swarms = math.ceil(plan.swarm_cap_reactions / plan.crew)
        swarms = await self.open_swarms(server, fake, fixed_swarms + saturated_swarms)
        users = [u for u, _, _ in extra_users(plan.users)]
        groups = [swarms[:fixed_swarms], swarms[fixed_swarms:]]
        for fixed, group in zip((True, False), groups, strict=True):
            count = plan.events if fixed else plan.swarm_cap_reactions
            bodies = await reactions(fake["hooks"], [s["announcement"] for s in group], users, count)
            mode = self.fixed_mode if fixed else self.saturation_mode
            row = await self.phase(REACTIONS, mode, server, fake, bodies, fixed, cap=count)
            sent = row.measured.requests - row.measured.errors
            numbers = ",".join(str(s["number"]) for s in group)
            counts = await self.control("GET", f"{server['control']}/verify", numbers=numbers)
            joined = sum(c["joined"] for c in counts.values())
            row.ok = joined == sent
            row.verified = f"{joined}/{sent} joined"
            results.rows.append(row)
        failed = (await self.control("GET", f"{fake['control']}/calls", since=str(calls_before)))["failed"]
        results.notes.append(f"reactions: {failed} Web API calls answered not ok")

    async def swarm_messages(self, results: Results, fake: JSON, server: JSON) -> None:
        plan = self.plan
        swarm = (await self.open_swarms(server, fake, 1))[0]
        kept = 0
        for fixed in (True, False):
            count = plan.events if fixed else plan.swarm_cap_messages
            bodies = await messages(fake["hooks"], swarm["room"], count, start=kept)
            mode = self.fixed_mode if fixed else self.saturation_mode
            row = await self.phase(MESSAGES, mode, server, fake, bodies, fixed, cap=count)
            kept += row.measured.requests - row.measured.errors
            counts = await self.control("GET", f"{server['control']}/verify", numbers=str(swarm["number"]))
            found = counts[str(swarm["number"])]["messages"]
            row.ok = found == kept
            row.verified = f"{found}/{kept} in the timeline"
            results.rows.append(row)


def slug(scenario: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", scenario.lower()).strip("-")
