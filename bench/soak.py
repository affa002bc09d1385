"""Soak (issue 9): a real `swarm serve --workers 1` under steady mixed Slack load for a bounded time, watched.

    .venv/bin/python bench/soak.py                  # 20 minutes on a SQLite file
    .venv/bin/python bench/soak.py --minutes 60 --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/soak.py --quick          # smoke run (≈ 20 s of load, samples every 5 s)

Loopback only. This process runs the FakeSlack Web API and the load generator; the server is a subprocess started
as an operator would (`swarm serve --workers 1` with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL at the
fake), after the database is migrated and the roster imported. The load is open loop at a steady rate, by default
each second: one `/swarm` open, ten joins by 🙋 on announcements (each a different person; half of them unknown to
the roster, so `users.info` and a new person), thirty messages in the rooms of the newest swarms, and a
`/swarm resolve` of the oldest open swarm every 30 s. Swarms to react on, talk in and resolve are found in the
database (number, announcement, room, owner) once their opening is done.

Each sample (every minute) records, from /proc, the RSS, threads, open file descriptors and established TCP
connections of the server process and of its worker process(es); from the server's /metrics, the backlog (work
acked and not yet written: `swarm_queue_depth{queue="slack"}`; written and not yet done:
`swarm_inbox_deliveries`), which is also the only view this bench has of the asyncio tasks (the server's tasks are
per request and per pending delivery); and the ack latency p50/p99 of the requests due in that minute (from each
request's scheduled time). After the load the server gets up to --drain seconds to finish its backlog, then the work
is counted in the database: every open a swarm, every 🙋 a join, every message in the timeline, every resolve done.

Verdict: memory flat (the last sample's RSS within --rss-tolerance of the RSS after warm-up), no growth in fds or
connections, latency steady (the last minute's p99 not past twice the warm-up minute's plus 1 ms), backlog drained,
every effect present. It is a measurement: it exits 0 whatever the figures, or 1 with --check when a verdict fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import math
import os
import platform
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/soak.py` as well as `python -m bench.soak`
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.common import ProcStat, create_schema, drop_schemas, family, loadavg, percentile, progress, wait_healthy  # noqa: E402
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack  # noqa: E402
from tests.fakes.slack_signing import SlackSender, message_event, reaction_event  # noqa: E402
from tests.harness import ROSTER  # noqa: E402

SECRET = "soak-signing-secret"
TOKEN = "xoxb-test"
SUPPORT = "C0SUPPORT"
PEOPLE = {str(row["email"]).split("@")[0]: f"U{str(row['email']).split('@')[0].upper()}" for row in ROSTER}
SPEAKERS = list(PEOPLE.values())
SWARM_BIN = Path(sys.executable).with_name("swarm")
START = 60.0  # seconds: a bound on the server coming up
STOP = 15.0  # seconds the server gets after SIGTERM
QUEUE = re.compile(r'^swarm_queue_depth\{queue="slack"\} (\S+)$', re.MULTILINE)
INBOX = re.compile(r'^swarm_inbox_deliveries\{platform="slack"\} (\S+)$', re.MULTILINE)
MB = 1024.0


@dataclass(frozen=True)
class Plan:
    seconds: float = 20 * 60.0
    interval: float = 60.0  # one sample (a table row) per interval
    warmup: int = 2  # samples: the RSS after this many is the reference
    opens: float = 1.0  # per second
    joins: float = 10.0
    messages: float = 30.0
    resolve_every: float = 30.0  # seconds
    rooms: int = 10  # messages go to the newest `rooms` swarms; resolves take the oldest outside them
    users: int = 200  # extra Slack users who react; half in the roster
    drain: float = 600.0
    rss_tolerance: float = 0.10
    fd_tolerance: int = 4


# ---------------------------------------------------------------------------------------------------- samples


@dataclass
class Sample:
    label: str
    server: ProcStat
    worker: ProcStat
    workers: int
    queue: float
    inbox: float
    backlog_max: float = 0.0
    requests: int = 0
    errors: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    skipped: int = 0
    load: float = float("nan")  # the machine's 1-minute load average
    server_cpu: float = float("nan")  # share of a core over the interval
    worker_cpu: float = float("nan")


@dataclass
class Opened:
    number: int
    announcement: str
    room: str
    owner: str
    joins: int = 0
    resolved: bool = False


@dataclass
class Tally:
    opens: int = 0
    joins: int = 0
    messages: int = 0
    resolves: int = 0
    skipped: int = 0  # joins / messages / resolves with no swarm ready for them
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    window_errors: int = 0
    window_skipped: int = 0
    backlog_max: float = 0.0

    def take_window(self) -> tuple[list[float], int, int, float]:
        taken = (self.latencies, self.window_errors, self.window_skipped, self.backlog_max)
        self.latencies, self.window_errors, self.window_skipped, self.backlog_max = [], 0, 0, 0.0
        return taken


# ---------------------------------------------------------------------------------------------------- the run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def extra_users(count: int) -> list[tuple[str, str, str]]:
    return [(f"U{i:05d}S", f"Helper {i:05d}", f"soak{i:05d}@example.com") for i in range(count)]


class Soak:
    def __init__(self, plan: Plan, database: str | None, log: Path) -> None:
        self.plan = plan
        self.database = database
        self.log = log
        self.tmp = tempfile.TemporaryDirectory(prefix="swarm-soak-")
        self.schema: str | None = None
        self.tally = Tally()
        self.swarms: list[Opened] = []
        self.known: set[int] = set()
        self.inflight: set[asyncio.Task[None]] = set()
        self.samples: list[Sample] = []
        self.sampled_at = 0.0
        self.engine: Any = None
        self.drain_seconds = float("nan")
        self.counted: dict[str, int] = {}
        self.users = extra_users(plan.users)

    # -- the database --------------------------------------------------------------------------------------

    async def database_url(self) -> str:
        if self.database is None:
            return f"sqlite:///{Path(self.tmp.name) / 'soak.db'}"
        self.schema, url = await create_schema(self.database, "soak")
        return url

    async def drop_schema(self) -> None:
        if self.database is not None and self.schema is not None:
            await drop_schemas(self.database, [self.schema])

    async def prepare(self, url: str) -> None:
        """Migrates the database and imports the roster (the test roster and half the extra users)."""
        from adapters.app import App
        from adapters.settings import Settings

        app = await App.start(Settings(SWARM_DATABASE_URL=url))
        try:
            rows: list[tuple[int, dict[str, object]]] = [
                (i + 1, {**row, "slack_id": PEOPLE[str(row["email"]).split("@")[0]]}) for i, row in enumerate(ROSTER)
            ]
            known = self.users[: len(self.users) // 2]
            rows += [
                (len(rows) + i + 1, {"name": name, "email": email, "slack_id": user_id, "timezone": "UTC"})
                for i, (user_id, name, email) in enumerate(known)
            ]
            report = await app.core.people.import_roster(TEAM_ID, rows)
            assert not report.rejected, report.rejected
        finally:
            await app.close()

    # -- main ----------------------------------------------------------------------------------------------

    async def run(self) -> None:
        url = await self.database_url()
        try:
            await self.prepare(url)
            async with FakeSlack() as api:
                for handle, user in PEOPLE.items():
                    row = next(r for r in ROSTER if str(r["email"]).startswith(f"{handle}@"))
                    api.add_user(user, handle, str(row["email"]), real_name=str(row["name"]))
                for user_id, name, email in self.users:
                    api.add_user(user_id, name.lower().replace(" ", "."), email, real_name=name)
                api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), BOT_USER_ID])
                process, server_url = await self.start_server(url, api)
                try:
                    await self.soak(process.pid, server_url, url, api.hooks_url)
                finally:
                    await stop(process)
                    api.calls.clear()
        finally:
            await self.drop_schema()
            self.tmp.cleanup()

    async def start_server(self, url: str, api: FakeSlack) -> tuple[asyncio.subprocess.Process, str]:
        process, server_url = await launch(url, api.url, self.log)
        async with aiohttp.ClientSession() as http:
            await wait_healthy(process, http, server_url, self.log, START)
        return process, server_url

    async def soak(self, pid: int, server_url: str, database_url: str, hooks_url: str) -> None:
        from storage.database import create_engine

        engine = self.engine = create_engine(database_url)
        sender = SlackSender(server_url, SECRET, hooks_url=hooks_url, timeout=60)
        http = aiohttp.ClientSession()
        try:
            await asyncio.sleep(1.0)  # the worker's start-up
            self.samples.append(await self.sample("start", pid, http, server_url, window=False))
            stop_at = time.monotonic() + self.plan.seconds
            background = [
                asyncio.create_task(self.discover(engine)),
                asyncio.create_task(self.scrape(http, server_url)),
            ]
            load = asyncio.create_task(self.load(sender, stop_at))
            index = 0
            t0 = time.monotonic()
            while True:
                index += 1
                due = t0 + index * self.plan.interval
                if due > stop_at + 0.5:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                label = f"{index * self.plan.interval / 60:.4g} min"
                self.samples.append(await self.sample(label, pid, http, server_url))
                report_sample(self.samples[-1])
            await load
            if self.inflight:
                await asyncio.gather(*self.inflight, return_exceptions=True)
            started = time.monotonic()
            while time.monotonic() - started < self.plan.drain:
                queue, inbox = await backlog(http, server_url)
                if queue == 0 and inbox == 0:
                    self.drain_seconds = time.monotonic() - started
                    break
                await asyncio.sleep(0.5)
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            self.samples.append(await self.sample("drained", pid, http, server_url, window=False))
            self.counted = await count(engine)
        finally:
            await http.close()
            await sender.close()
            await engine.dispose()

    async def sample(
        self, label: str, pid: int, http: aiohttp.ClientSession, server_url: str, window: bool = True
    ) -> Sample:
        server, worker, workers = family(pid)
        queue, inbox = await backlog(http, server_url)
        sample = Sample(label, server, worker, workers, queue, inbox)
        sample.load = loadavg()
        now = time.monotonic()
        if self.samples and now - self.sampled_at >= 5.0:  # a share of a few seconds' CPU would be noise
            before, elapsed = self.samples[-1], now - self.sampled_at
            sample.server_cpu = (server.cpu - before.server.cpu) / elapsed
            sample.worker_cpu = (worker.cpu - before.worker.cpu) / elapsed
        self.sampled_at = now
        if window:
            latencies, errors, skipped, peak = self.tally.take_window()
            sample.requests = len(latencies)
            sample.errors = errors
            sample.skipped = skipped
            sample.backlog_max = max(peak, queue + inbox)
            sample.p50 = percentile(latencies, 0.50) * 1000
            sample.p99 = percentile(latencies, 0.99) * 1000
        else:
            sample.backlog_max = queue + inbox
        return sample

    async def scrape(self, http: aiohttp.ClientSession, server_url: str) -> None:
        """The backlog every 5 s, for each sample's maximum."""
        while True:
            with contextlib.suppress(aiohttp.ClientError, ValueError):
                queue, inbox = await backlog(http, server_url)
                self.tally.backlog_max = max(self.tally.backlog_max, queue + inbox)
            await asyncio.sleep(5.0)

    async def discover(self, engine: Any) -> None:
        """Swarms whose opening is done (announcement and room known), in number order, from the database."""
        from sqlalchemy import text

        query = text(
            "SELECT s.number, s.announcement_id, s.room_id, p.slack_id FROM swarm s JOIN person p ON p.id = s.owner_id"
            " WHERE s.number > :after AND s.status = 'open' AND s.announcement_id IS NOT NULL"
            " AND s.room_id IS NOT NULL ORDER BY s.number"
        )
        while True:
            with contextlib.suppress(Exception):
                after = max(self.known, default=0) - 200  # openings finish out of order: look back a little
                async with engine.connect() as connection:
                    rows = (await connection.execute(query, {"after": after})).all()
                for number, announcement, room, owner in rows:
                    if number not in self.known:
                        self.known.add(number)
                        self.swarms.append(Opened(int(number), str(announcement), str(room), str(owner)))
            await asyncio.sleep(1.0)

    # -- the load ------------------------------------------------------------------------------------------

    async def load(self, sender: SlackSender, stop_at: float) -> None:
        """Open loop: each kind at its own steady rate (request i of a kind due at t0 + (i + phase) / rate, whatever
        the answers), the kinds interleaved; a resolve every resolve_every seconds."""
        plan = self.plan
        rates = [("open", plan.opens, 0.0), ("join", plan.joins, 0.33), ("message", plan.messages, 0.67)]
        if plan.resolve_every > 0:
            rates.append(("resolve", 1.0 / plan.resolve_every, 1.0))
        t0 = time.monotonic()
        due: list[tuple[float, int, int]] = [
            (t0 + phase / rate, k, 0) for k, (_, rate, phase) in enumerate(rates) if rate > 0
        ]
        heapq.heapify(due)
        serial = 0
        while due:
            when, k, i = heapq.heappop(due)
            if when >= stop_at:
                continue
            kind, rate, phase = rates[k]
            heapq.heappush(due, (t0 + (i + 1 + phase) / rate, k, i + 1))
            await asyncio.sleep(max(0.0, when - time.monotonic()))
            serial += 1
            self.launch(self.request(sender, kind, when, serial))

    async def joined(self, swarm: Opened) -> int:
        from sqlalchemy import text

        query = text(
            "SELECT COUNT(*) FROM swarm_member m JOIN swarm s ON s.id = m.swarm_id"
            " WHERE s.number = :number AND m.via = 'reaction'"
        )
        async with self.engine.connect() as connection:
            return int((await connection.execute(query, {"number": swarm.number})).scalar_one())

    def launch(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    async def request(self, sender: SlackSender, kind: str, due: float, serial: int) -> None:
        tally = self.tally
        try:
            sent = await self.send(sender, kind, serial)
        except (aiohttp.ClientError, TimeoutError):
            tally.errors += 1
            tally.window_errors += 1
            return
        if sent is None:
            tally.skipped += 1
            tally.window_skipped += 1
            return
        tally.latencies.append(time.monotonic() - due)
        if sent != 200:
            tally.errors += 1
            tally.window_errors += 1

    async def send(self, sender: SlackSender, kind: str, serial: int) -> int | None:
        """Sends one request of `kind`; its HTTP status, or None when no swarm is ready for it."""
        tally = self.tally
        if kind == "open":
            tally.opens += 1
            opener = SPEAKERS[serial % len(SPEAKERS)]
            text = (
                f"Customer {serial} cannot export invoices to PDF since 4.{serial % 10} #billing #pdf sev3"
                f" customer:C{serial}"
            )
            status, _ = await sender.slash(text, opener, SUPPORT)
            return status
        per_swarm = max(1, round(self.plan.joins / max(self.plan.opens, 1e-9)))
        if kind == "join":
            target = next((s for s in self.swarms if s.joins < per_swarm and not s.resolved), None)
            if target is None:
                return None
            user = self.users[(target.number * per_swarm + target.joins) % len(self.users)][0]
            target.joins += 1
            tally.joins += 1
            status, _ = await sender.event(reaction_event(user, "raising_hand", SUPPORT, target.announcement))
            return status
        active = [s for s in self.swarms if not s.resolved]
        if kind == "message":
            rooms = active[-self.plan.rooms :]
            if not rooms:
                return None
            room = rooms[serial % len(rooms)]
            tally.messages += 1
            ts = f"{time.time():.6f}"
            text = f"Soak message {serial}: tried the exporter again, same error on invoice {serial % 997}"
            status, _ = await sender.event(message_event(room.room, SPEAKERS[serial % len(SPEAKERS)], text, ts))
            return status
        # resolve: the oldest open swarm outside the rooms still talked in, its joins all sent
        candidates = active[: max(0, len(active) - self.plan.rooms)]
        # Its joins must be done, not only sent: a 🙋 (in #support) and the resolve (in the room) are different
        # conversations, so the worker may take them in any order, and a join after the resolve is rightly refused.
        target = None
        for candidate in [s for s in candidates if s.joins >= per_swarm][:5]:
            if await self.joined(candidate) >= candidate.joins:
                target = candidate
                break
        if target is None:
            return None
        target.resolved = True
        tally.resolves += 1
        status, _ = await sender.slash("resolve Restarted the PDF exporter", target.owner, target.room)
        return status


async def backlog(http: aiohttp.ClientSession, server_url: str) -> tuple[float, float]:
    async with http.get(f"{server_url}/metrics") as response:
        scraped = await response.text()
    queue, inbox = QUEUE.search(scraped), INBOX.search(scraped)
    return (float(queue.group(1)) if queue else float("nan"), float(inbox.group(1)) if inbox else float("nan"))


async def count(engine: Any) -> dict[str, int]:
    from sqlalchemy import text

    queries = {
        "swarms": "SELECT COUNT(*) FROM swarm WHERE status IN ('open', 'resolved')",
        "opening": "SELECT COUNT(*) FROM swarm WHERE status = 'opening'",
        "resolved": "SELECT COUNT(*) FROM swarm WHERE status = 'resolved'",
        "joined": "SELECT COUNT(*) FROM swarm_member WHERE via = 'reaction'",
        "joined_events": "SELECT COUNT(*) FROM swarm_event WHERE kind = 'joined'",
        "messages": "SELECT COUNT(*) FROM swarm_event WHERE kind = 'message'",
        "articles": "SELECT COUNT(*) FROM article",
        "inbox": "SELECT COUNT(*) FROM inbox",
    }
    counted: dict[str, int] = {}
    async with engine.connect() as connection:
        for name, sql in queries.items():
            counted[name] = int((await connection.execute(text(sql))).scalar() or 0)
    return counted


async def launch(
    database_url: str, api_url: str, log: Path, **extra_env: str
) -> tuple[asyncio.subprocess.Process, str]:
    """`swarm serve --workers 1` on a free loopback port, as an operator would run it against the fake Web API (none of
    the caller's own SWARM_/SLACK_/MICROSOFT_ settings reach it); its output goes to `log`. Returns it and its URL."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "SLACK_", "MICROSOFT_"))}
    env = {
        **inherited,
        "SWARM_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "SWARM_OPEN_LIMIT": "off",
        "SWARM_SEMANTIC": "off",
        "SWARM_METRICS_PUBLIC": "true",
        **extra_env,
    }
    port = free_port()
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *(str(SWARM_BIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


# ---------------------------------------------------------------------------------------------------- report


def report_sample(sample: Sample) -> None:
    progress(
        f"{sample.label}: {sample.requests} requests, p99 {sample.p99:.2f} ms,"
        f" backlog {sample.queue + sample.inbox:g},"
        f" server {sample.server.rss_kb / MB:.1f} MB, worker {sample.worker.rss_kb / MB:.1f} MB"
    )


def ms(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.2f}"


def pct(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.0%}"


def table(samples: Sequence[Sample]) -> list[str]:
    lines = [
        "| sample | requests | errors | skipped | ack p50 ms | ack p99 ms | backlog now / max | server RSS MB"
        " | worker RSS MB | server fds · tcp · threads | worker fds · tcp · threads | CPU server · worker | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in samples:
        lines.append(
            f"| {s.label} | {s.requests} | {s.errors} | {s.skipped} | {ms(s.p50)} | {ms(s.p99)}"
            f" | {s.queue + s.inbox:g} / {s.backlog_max:g} | {s.server.rss_kb / MB:.1f} | {s.worker.rss_kb / MB:.1f}"
            f" | {s.server.fds} · {s.server.tcp} · {s.server.threads} | {s.worker.fds} · {s.worker.tcp} ·"
            f" {s.worker.threads} | {pct(s.server_cpu)} · {pct(s.worker_cpu)} | {s.load:.2f} |"
        )
    return lines


def verdicts(soak: Soak) -> list[tuple[str, bool, str]]:
    plan, samples, tally, counted = soak.plan, soak.samples, soak.tally, soak.counted
    loaded = [s for s in samples if s.label not in ("start", "drained")]
    found: list[tuple[str, bool, str]] = []
    if len(loaded) <= plan.warmup:
        return [("run long enough", False, f"{len(loaded)} samples under load, warm-up is {plan.warmup}")]
    warm, last, drained = loaded[plan.warmup - 1], loaded[-1], samples[-1]
    for who in ("server", "worker"):
        before, after = getattr(warm, who).rss_kb, getattr(last, who).rss_kb
        growth = (after - before) / before if before else float("inf")
        found.append(
            (
                f"{who} memory flat",
                growth <= plan.rss_tolerance,
                f"RSS {before / MB:.1f} MB after warm-up ({warm.label}), {after / MB:.1f} MB at the end ({last.label}),"
                f" {growth:+.1%} (tolerance {plan.rss_tolerance:.0%}); after the drain"
                f" {getattr(drained, who).rss_kb / MB:.1f} MB, peak (VmHWM) {getattr(drained, who).hwm_kb / MB:.1f} MB",
            )
        )
    for who in ("server", "worker"):
        w, e = getattr(warm, who), getattr(last, who)
        series = [getattr(s, who).fds for s in loaded]
        ok = e.fds <= w.fds + plan.fd_tolerance and e.tcp <= w.tcp + plan.fd_tolerance
        found.append(
            (
                f"{who} fds and connections flat",
                ok,
                f"fds {w.fds} → {e.fds} (range {min(series)}–{max(series)}), established TCP {w.tcp} → {e.tcp},"
                f" threads {w.threads} → {e.threads}",
            )
        )
    worst = max((s.p99 for s in loaded[plan.warmup - 1 :] if not math.isnan(s.p99)), default=float("nan"))
    steady = not math.isnan(last.p99) and last.p99 <= 2 * warm.p99 + 1.0
    found.append(
        (
            "latency steady",
            steady,
            f"p99 {ms(warm.p99)} ms after warm-up, {ms(last.p99)} ms in the last sample, worst {ms(worst)} ms;"
            f" p50 {ms(warm.p50)} → {ms(last.p50)} ms",
        )
    )
    peak = max(s.backlog_max for s in loaded)
    found.append(
        (
            "backlog drained",
            not math.isnan(soak.drain_seconds) and counted.get("inbox", 1) == 0,
            f"at most {peak:g} deliveries waiting during the load; {last.queue + last.inbox:g} when it stopped, drained"
            f" in {soak.drain_seconds:.1f} s; {counted.get('inbox', '?')} rows left in the inbox",
        )
    )
    expect = {
        "swarms": tally.opens,
        "joined": tally.joins,
        "messages": tally.messages,
        "resolved": tally.resolves,
    }
    shown = ", ".join(f"{name} {counted.get(name, '?')}/{want}" for name, want in expect.items())
    found.append(
        (
            "every action's effect present",
            all(counted.get(name) == want for name, want in expect.items()) and tally.errors == 0,
            f"{shown} (joined events {counted.get('joined_events', '?')}, articles {counted.get('articles', '?')},"
            f" still opening {counted.get('opening', '?')}); {tally.errors} requests failed, {tally.skipped} not sent"
            " (no swarm ready)",
        )
    )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the load (default 20)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 s of load, a sample every 5 s")
    parser.add_argument("--database", help="a PostgreSQL URL (a fresh schema is made and dropped); default SQLite")
    parser.add_argument("--opens", type=float, default=1.0, help="/swarm opens per second (default 1)")
    parser.add_argument("--joins", type=float, default=10.0, help="🙋 joins per second (default 10)")
    parser.add_argument("--messages", type=float, default=30.0, help="room messages per second (default 30)")
    parser.add_argument("--resolve-every", type=float, default=30.0, help="seconds between resolves (default 30)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument("--warmup", type=int, default=2, help="samples of warm-up before the reference (default 2)")
    parser.add_argument("--log", type=Path, help="where the server's log goes (default: a temporary file)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a verdict fails")
    args = parser.parse_args(argv)
    rates = {"opens": args.opens, "joins": args.joins, "messages": args.messages, "resolve_every": args.resolve_every}
    if args.quick:
        plan = Plan(seconds=20.0, interval=5.0, warmup=1, rooms=3, drain=120.0, **{**rates, "resolve_every": 5.0})
    else:
        plan = Plan(seconds=args.minutes * 60.0, interval=args.interval, warmup=args.warmup, **rates)
    log = args.log or Path(tempfile.gettempdir()) / f"swarm-soak-{os.getpid()}.log"
    soak = Soak(plan, args.database, log)
    began = time.time()
    asyncio.run(soak.run())
    backend = "PostgreSQL" if args.database else "SQLite"
    print(
        f"Soak: swarm serve --workers 1 on {backend}, {plan.seconds / 60:g} min at {plan.opens:g} opens"
        f" + {plan.joins:g} joins + {plan.messages:g} messages per second, a resolve every {plan.resolve_every:g} s;"
        f" Python {platform.python_version()}, nproc {os.cpu_count()},"
        f" {time.strftime('%d %b %Y %H:%M', time.gmtime(began))} UTC"
    )
    print(
        f"sent: {soak.tally.opens} opens, {soak.tally.joins} joins, {soak.tally.messages} messages,"
        f" {soak.tally.resolves} resolves"
    )
    print()
    for line in table(soak.samples):
        print(line)
    print()
    failed = 0
    for name, ok, detail in verdicts(soak):
        failed += not ok
        print(f"verdict: {name}: {'OK' if ok else 'NO'} — {detail}")
    print(f"server log: {log}")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
