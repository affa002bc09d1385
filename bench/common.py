"""What the benchmarks share: percentiles, progress lines, /proc readings, scratch databases and waiting for a server.

Light to import (the servers the benches spawn import it too): SQLAlchemy and aiohttp are imported where used.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

    from bot.ports import Embedder

# ---------------------------------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` from 0 to 1) of the values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def spread(milliseconds: Sequence[float]) -> tuple[float, float, float]:
    """(p50, p99, max) of timings."""
    return percentile(milliseconds, 0.5), percentile(milliseconds, 0.99), max(milliseconds, default=math.nan)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """A Markdown table: the first `left` columns left-aligned (words), the others right-aligned (figures)."""
    align = ["---"] * left + ["---:"] * (len(header) - left)
    lines = [f"| {' | '.join(header)} |", f"| {' | '.join(align)} |"]
    lines += [f"| {' | '.join(str(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines)


def verdicts(targets: Sequence[tuple[str, bool | None, str]]) -> tuple[list[str], bool]:
    """A `target: …: MET / NOT MET / NOT MEASURED (figures)` line per (what, met — None when not measured, figures),
    and whether none is NOT MET."""
    lines = []
    for what, met, figure in targets:
        verdict = "NOT MEASURED" if met is None else ("MET" if met else "NOT MET")
        lines.append(f"target: {what}: {verdict} ({figure})")
    return lines, all(met is not False for _, met, _ in targets)


STARTED = time.perf_counter()


def progress(what: str) -> None:
    """A line on stderr (the tables go to stdout), so a long run shows where it is."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- /proc

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class ProcStat:
    rss_kb: int = 0
    hwm_kb: int = 0
    threads: int = 0
    fds: int = 0
    tcp: int = 0
    cpu: float = 0.0  # seconds of CPU (user + system) since the process started

    def add(self, other: ProcStat) -> None:
        self.rss_kb += other.rss_kb
        self.hwm_kb += other.hwm_kb
        self.threads += other.threads
        self.fds += other.fds
        self.tcp += other.tcp
        self.cpu += other.cpu


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                    found.append(int(child))
                    found.extend(children(int(child)))
    return found


def is_worker(pid: int) -> bool:
    """A worker process (multiprocessing spawn), not the resource tracker."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "resource_tracker" not in command


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) of a live process, from /proc; 0 where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def family_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its descendants (Swarm's worker processes), from /proc."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


def machine_busy() -> float:
    """CPU seconds every process on the machine has used since boot (all cores)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / TICKS


def run_delay(pid: int) -> float:
    """Seconds the process's main thread has spent runnable but waiting for a CPU (schedstat); 0 without /proc."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def loadavg() -> float:
    """The machine's 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def established_inodes() -> set[str]:
    """The socket inodes of every established TCP connection on the machine."""
    inodes: set[str] = set()
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
                cells = line.split()
                if len(cells) > 9 and cells[3] == "01":  # ESTABLISHED
                    inodes.add(cells[9])
    return inodes


def proc_stat(pid: int, established: set[str]) -> ProcStat:
    """A process's RSS and peak RSS, threads, open file descriptors, established TCP connections and CPU time."""
    stat = ProcStat()
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "VmRSS":
                stat.rss_kb = int(value.split()[0])
            elif key == "VmHWM":
                stat.hwm_kb = int(value.split()[0])
            elif key == "Threads":
                stat.threads = int(value.split()[0])
        stat.cpu = cpu_seconds(pid)
        for fd in os.listdir(f"/proc/{pid}/fd"):
            stat.fds += 1
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in established:
                    stat.tcp += 1
    except OSError:
        pass
    return stat


def family(pid: int) -> tuple[ProcStat, ProcStat, int]:
    """The server's figures, its workers' summed, and how many workers."""
    established = established_inodes()
    workers = [p for p in children(pid) if is_worker(p)]
    summed = ProcStat()
    for worker in workers:
        summed.add(proc_stat(worker, established))
    return proc_stat(pid, established), summed, len(workers)


# ---------------------------------------------------------------------------------------------------- databases


async def create_schema(url: str, prefix: str) -> tuple[str, str]:
    """A new, empty schema on that PostgreSQL: (its name, the URL whose connections use it)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.database import create_engine

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await admin.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, scoped.render_as_string(hide_password=False)


async def drop_schemas(url: str, schemas: Sequence[str]) -> None:
    """Drop these schemas, and all they hold, from that PostgreSQL."""
    if not schemas:
        return
    from sqlalchemy import text

    from storage.database import create_engine

    admin = create_engine(url)
    try:
        async with admin.begin() as connection:
            for schema in schemas:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def scratch_database(url: str | None, name: str) -> AsyncIterator[str]:
    """A fresh, empty database: a temporary SQLite file (url None), or a new schema on the given PostgreSQL; gone
    at the end."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix=f"swarm-{name}-") as folder:
            yield f"sqlite:///{Path(folder) / name}.db"
        return
    schema, scoped = await create_schema(url, name)
    try:
        yield scoped
    finally:
        await drop_schemas(url, [schema])


# ---------------------------------------------------------------------------------------------------- servers


async def wait_healthy(
    process: asyncio.subprocess.Process, http: aiohttp.ClientSession, url: str, log: Path, within: float
) -> None:
    """Until the `swarm serve` at `url` answers /healthz; RuntimeError with its log if it exits or takes longer than
    `within` seconds."""
    import aiohttp

    deadline = time.monotonic() + within
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"swarm serve exited with {process.returncode}:\n{_read(log)}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"swarm serve not healthy after {within:g} s:\n{_read(log)}")
        await asyncio.sleep(0.1)


def _read(log: Path) -> str:
    return log.read_text()


def swarm_embedder() -> Embedder | None:
    """What `swarm serve` embeds with, or None without the semantic extra: the bundled model, exported to ONNX Runtime
    in the default model cache (SWARM_MODEL_CACHE) as the server's warm-up does (torch if that cannot be done)."""
    from adapters import semantic

    if not semantic.installed():
        return None
    from adapters.semantic_onnx import default_cache

    embedder = semantic.MiniLMEmbedder(default_cache())
    embedder.speed_up()
    return embedder
