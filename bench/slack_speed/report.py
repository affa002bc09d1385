"""What a phase measured (latencies, where the CPU went, the split of a request's time) and the tables, targets
and JSON the run prints."""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.common import cpu_seconds, family_cpu_seconds, machine_busy, percentile, run_delay
from bench.slack_speed.settings import (
    AIOHTTP,
    BOLT,
    BOLT_LAZY,
    CLIENT_CORE,
    CLIENTS,
    JSON,
    MESSAGES,
    NOISY,
    OPENS,
    REACTIONS,
    REFERENCE,
    SERVER_CORE,
    SWARM,
    TARGET_ACK_P99_MS,
    TARGET_CALLS_PER_OPEN,
    TARGET_WORK_SHARE,
    VARIANT_LABEL,
    Plan,
)

# ---------------------------------------------------------------------------------------------- what a phase measured


@dataclass
class Measured:
    requests: int
    seconds: float  # first send to last answer
    latencies: list[float]  # seconds
    errors: int
    lag_p99: float = 0.0  # fixed rate: how late the client sent, its 99th percentile (seconds)
    # Fixed rate: per request, (due, sent, answered) on the client and (began, ended) in the server's handler, all
    # perf_counter() seconds: CLOCK_MONOTONIC, one clock for every process of the machine.
    sent: list[tuple[float, float, float]] = field(default_factory=list)
    handled: dict[int, tuple[float, float]] = field(default_factory=dict)

    def split(self) -> list[tuple[float, float, float, float]] | None:
        """Per traced request: (late, to server, in server, back), seconds: the client sent it after its time; its
        request went from the client's send to the server's handler (client, kernel, server waking and parsing);
        the handler ran; the answer went back until the client had read it."""
        found = []
        for i, (due, sent, answered) in enumerate(self.sent):
            if i in self.handled and answered:
                began, ended = self.handled[i]
                found.append((sent - due, began - sent, ended - began, answered - ended))
        return found or None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


# ------------------------------------------------------------------------------------------ where the CPU went; a row


@dataclass
class Watch:
    """Where the CPU went during one phase: the server's core, and other people's processes on this machine."""

    ours: Sequence[int]  # pids: this process, the fake, the server(s)
    server: int
    replicas: Sequence[int] = ()  # the other replicas' pids: their CPU counts as the server's
    started: float = 0.0
    busy: float = 0.0
    ours_cpu: float = 0.0
    server_cpu: float = 0.0
    ack_cpu: float = 0.0  # the serving processes alone, without their worker processes
    server_share: float = 0.0  # of one core
    others: float = 0.0  # cores
    server_wait: float = 0.0  # share of the phase the server's event loop was ready to run but had no CPU
    client_wait: float = 0.0  # the same for the load generator

    def __enter__(self) -> Watch:
        self.started, self.busy = time.perf_counter(), machine_busy()
        self.ours_cpu, self.server_cpu, self.ack_cpu = self._ours(), self._servers(), self._serving()
        self.server_wait, self.client_wait = run_delay(self.server), run_delay(os.getpid())
        return self

    def _servers(self) -> float:
        """The server (and its replicas) with their worker processes."""
        return sum(family_cpu_seconds(pid) for pid in (self.server, *self.replicas))

    def _serving(self) -> float:
        return sum(cpu_seconds(pid) for pid in (self.server, *self.replicas))

    def _ours(self) -> float:
        """This process, the fake, and the server(s) with their worker processes."""
        servers = {self.server, *self.replicas}
        return sum(cpu_seconds(pid) for pid in self.ours if pid not in servers) + self._servers()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        ours = self._ours() - self.ours_cpu
        self.server_cpu = self._servers() - self.server_cpu  # from here on: used during the phase
        self.ack_cpu = self._serving() - self.ack_cpu
        self.server_share = self.server_cpu / elapsed
        self.others = max(0.0, (machine_busy() - self.busy - ours) / elapsed)
        self.server_wait = (run_delay(self.server) - self.server_wait) / elapsed
        self.client_wait = (run_delay(os.getpid()) - self.client_wait) / elapsed


@dataclass
class Row:
    scenario: str
    variant: str
    mode: str
    measured: Measured
    drain: float | None = None  # Swarm: seconds its backlog took after the last ack
    verified: str = ""
    ok: bool = True
    watch: Watch | None = None
    statements: int | None = None  # Swarm: SQL statements the phase ran (load and drain)
    calls: int | None = None  # Swarm: Web API calls it made
    methods: Counter[str] = field(default_factory=Counter)  # Swarm: those calls by method
    collections: list[int] = field(default_factory=list)  # Swarm: the serving process's GC runs, by generation
    collecting: float = 0.0  # Swarm: the seconds they took

    @property
    def work_rate(self) -> float | None:
        if self.drain is None:
            return None
        return self.measured.requests / (self.measured.seconds + self.drain)


@dataclass
class Results:
    loop: str
    database: str
    plan: Plan
    rows: list[Row] = field(default_factory=list)
    calls_per_open: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def find(self, scenario: str, variant: str, mode_prefix: str) -> Row | None:
        return next(
            (
                r
                for r in self.rows
                if r.scenario == scenario and r.variant == variant and r.mode.startswith(mode_prefix)
            ),
            None,
        )


# ------------------------------------------------------------------------------------------------- tables and targets


@dataclass
class Target:
    text: str
    met: bool
    figure: str


def bare_rows(results: Results, scenario: str) -> list[Row]:
    rows = [results.find(scenario, v, "saturation") for v in (BOLT, BOLT_LAZY)]
    return [r for r in rows if r is not None]


def bare_best(results: Results, scenario: str) -> Row | None:
    """The faster bare bolt at saturation: the stricter base for a ratio."""
    found = bare_rows(results, scenario)
    return max(found, key=lambda r: r.measured.rate) if found else None


def cpu_per_request(row: Row) -> float | None:
    """Milliseconds of server CPU per request over the phase (for Swarm: the ack and all the work it caused)."""
    if row.watch is None or not row.measured.requests or not row.watch.server_cpu:
        return None
    return row.watch.server_cpu * 1000 / row.measured.requests


def ratio(results: Results, row: Row) -> str:
    """Against bare bolt (lazy), the same mode Swarm runs in: p99 at a fixed rate; req/s (and work/s) at saturation."""
    scenario = MESSAGES if row.scenario == REFERENCE else row.scenario
    base = results.find(scenario, BOLT_LAZY, row.mode[:5])
    if base is None:
        return ""
    if base is row:
        return "base"
    if row.mode.startswith("fixed"):
        return f"p99 {percentile(row.measured.latencies, 0.99) / percentile(base.measured.latencies, 0.99):.2f}×"
    text = f"{row.measured.rate / base.measured.rate:.2f}×"
    if row.work_rate is not None:
        text = f"ack {text} · work {row.work_rate / base.measured.rate:.2f}×"
    return text


def cpu(row: Row) -> str:
    """How busy the server's core was, and its CPU time per request (work included): the cost, which other
    processes on the machine disturb far less than they disturb the rates."""
    if row.watch is None or not row.measured.requests:
        return ""
    watch, requests = row.watch, row.measured.requests
    text = f"{watch.server_share:.0%} · {watch.server_wait:.0%} · {watch.server_cpu * 1000 / requests:.2f}"
    if watch.server_cpu - watch.ack_cpu > 0.01:  # worker processes: split the cost into the ack side and the work
        text += f" ({watch.ack_cpu * 1000 / requests:.2f} + {(watch.server_cpu - watch.ack_cpu) * 1000 / requests:.2f})"
    return text


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def rows_json(results: Results) -> list[JSON]:
    """The table's rows as data (`--json FILE`), for bench/production_load.py to put several runs side by side."""
    return [
        {
            "scenario": row.scenario,
            "variant": row.variant,
            "mode": "fixed" if row.mode.startswith("fixed") else "saturation",
            "requests": row.measured.requests,
            "rate": row.measured.rate,
            "p50_ms": percentile(row.measured.latencies, 0.5) * 1000,
            "p99_ms": percentile(row.measured.latencies, 0.99) * 1000,
            "work_rate": row.work_rate,
            "cpu_ms": cpu_per_request(row),
            "ok": row.ok,
        }
        for row in results.rows
    ]


def table(results: Results) -> str:
    header = (
        "| scenario | variant | mode | requests | req/s | ack p50 ms | ack p99 ms | work/s | ratio to bare bolt"
        " | server CPU · wait · ms/req (ack + work) |"
    )
    lines = [header, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    order = {REFERENCE: 0, OPENS: 1, REACTIONS: 2, MESSAGES: 3}
    variants = {AIOHTTP: 0, BOLT: 1, BOLT_LAZY: 2, SWARM: 3}
    rows = sorted(results.rows, key=lambda r: (order[r.scenario], not r.mode.startswith("fixed"), variants[r.variant]))
    for row in rows:
        m = row.measured
        work = "" if row.work_rate is None else f"{row.work_rate:,.0f}"
        errors = f" ({m.errors} failed)" if m.errors else ""
        lines.append(
            f"| {row.scenario} | {VARIANT_LABEL[row.variant]} | {row.mode} | {m.requests}{errors} | {m.rate:,.0f} | "
            f"{ms(percentile(m.latencies, 0.5))} | {ms(percentile(m.latencies, 0.99))} | {work} |"
            f" {ratio(results, row)} | {cpu(row)} |"
        )
    return "\n".join(lines)


def ratio_text(value: float) -> str:
    return f"{value:.0%}"


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    fixed = results.find(OPENS, SWARM, "fixed")
    if fixed is not None:
        p99 = percentile(fixed.measured.latencies, 0.99) * 1000
        found.append(
            Target(
                f"/swarm ack p99 ≤ {TARGET_ACK_P99_MS:g} ms at {results.plan.rate:g} requests/s",
                p99 <= TARGET_ACK_P99_MS and fixed.measured.errors == 0,
                f"p99 {p99:.2f} ms",
            )
        )
    for scenario in (REACTIONS, MESSAGES):
        row, best = results.find(scenario, SWARM, "saturation"), bare_best(results, scenario)
        if row is None or best is None or row.work_rate is None:
            continue
        share = row.work_rate / best.measured.rate
        figure = (
            f"work {row.work_rate:,.0f}/s = {ratio_text(share)} of {best.measured.rate:,.0f}/s"
            f" ({VARIANT_LABEL[best.variant]}); ack {row.measured.rate:,.0f}/s ="
            f" {ratio_text(row.measured.rate / best.measured.rate)}"
        )
        costs = [cpu_per_request(r) for r in (row, *bare_rows(results, scenario))]
        if all(c is not None for c in costs):  # by CPU time, which other processes on the machine disturb least
            swarm_cost, bare_cost = costs[0] or 0.0, min(c or 0.0 for c in costs[1:])
            figure += (
                f"; by CPU per request {swarm_cost:.2f} ms against bare bolt's {bare_cost:.2f} ms:"
                f" {ratio_text(bare_cost / swarm_cost)} on a core of its own"
            )
        found.append(
            Target(
                f"{scenario} at ≥ {TARGET_WORK_SHARE:.0%} of bare bolt's saturated throughput, doing the real work",
                share >= TARGET_WORK_SHARE and row.ok,
                figure,
            )
        )
    if results.calls_per_open is not None:
        calls = results.calls_per_open
        found.append(
            Target(
                f"a swarm opened end to end in ≤ {TARGET_CALLS_PER_OPEN} Web API calls",
                len(calls) <= TARGET_CALLS_PER_OPEN,
                f"{len(calls)} calls: {', '.join(calls)}",
            )
        )
    return found


def split_table(results: Results) -> str:
    """Where a fixed-rate request's time went, p50 / p99 of each part (Measured.split)."""
    lines = [
        "Where the time of a fixed-rate ack goes, ms, p50 / p99 (late: the client sent after its time; to server:"
        " client send to the server's handler; in server: the handler; back: handler done to the client's read)",
        "",
        "| scenario | variant | ack | late | to server | in server | back |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results.rows:
        parts = row.measured.split()
        if parts is None:
            continue
        cells = [
            f"{percentile(values, 0.5) * 1000:.2f} / {percentile(values, 0.99) * 1000:.2f}"
            for values in ([sum(p) for p in parts], *([p[i] for p in parts] for i in range(4)))
        ]
        lines.append(f"| {row.scenario} | {VARIANT_LABEL[row.variant]} | {' | '.join(cells)} |")
    return "\n".join(lines)


def report(results: Results) -> str:
    plan = results.plan
    lines = [
        f"Swarm Slack benchmark — {os.cpu_count()} cores, Python {platform.python_version()}, loop {results.loop},"
        f" database {results.database}; server pinned to core {SERVER_CORE}, client and fake Slack to core"
        f" {CLIENT_CORE}; Swarm: {plan.swarm_replicas} replica(s), each with its work in"
        f" {plan.swarm_workers} worker process(es) (`swarm serve --workers {plan.swarm_workers}`)",
        f"fixed rate: {plan.commands} commands / {plan.events} events at {plan.rate:g}/s (latency from the scheduled"
        f" send time; {CLIENTS[plan.client]}); saturation: {plan.workers} workers for {plan.seconds:g} s (Swarm: at"
        f" most {plan.swarm_cap_opens} opens / {plan.swarm_cap_reactions} reactions / {plan.swarm_cap_messages}"
        " messages, then its backlog drains)",
        "",
        table(results),
        "",
        split_table(results),
        "",
    ]
    for row in results.rows:
        if row.variant == SWARM:
            n = max(1, row.measured.requests)
            lines.append(
                f"check: {row.scenario}, {row.mode}: {row.verified}; backlog drained in {row.drain or 0:.2f} s;"
                f" per request {(row.statements or 0) / n:.1f} SQL statements, {(row.calls or 0) / n:.1f} Web API"
                f" calls ({', '.join(f'{m} {c}' for m, c in row.methods.most_common())}); serving process's garbage"
                f" collections {'/'.join(map(str, row.collections))} (generation 0/1/2), {row.collecting * 1000:.1f} ms"
                f" — {'OK' if row.ok else 'WRONG'}"
            )
        if row.mode.startswith("fixed") and row.measured.lag_p99 > 0.001:
            lines.append(
                f"note: {row.scenario} {VARIANT_LABEL[row.variant]}: the client sent up to"
                f" {row.measured.lag_p99 * 1000:.2f} ms late (p99)"
            )
    lines += [f"note: {note}" for note in results.notes]
    watches = [r.watch for r in results.rows if r.watch is not None]
    if watches:
        others = [w.others for w in watches]
        waits = [max(w.server_wait, w.client_wait) for w in watches]
        noisy = max(others) >= NOISY or max(waits) >= NOISY
        verdict = "NOT quiet: the figures are disturbed, run again when it is" if noisy else "quiet"
        lines.append(
            f"machine: other processes used {sum(others) / len(others):.2f} cores on average during the measured"
            f" phases ({max(others):.2f} at most); the server's and the client's event loops waited for a CPU up to"
            f" {max(waits):.0%} of a phase — {verdict}"
        )
    lines.append("")
    for target in targets(results):
        lines.append(f"target: {target.text}: {'MET' if target.met else 'NOT MET'} ({target.figure})")
    return "\n".join(lines)
