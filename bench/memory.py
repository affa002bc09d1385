"""Peak memory (issue 9): a real `swarm serve --workers 1` on a database of 10k open swarms and 100k articles.

    .venv/bin/python bench/memory.py                 # SQLite (a temporary file)
    .venv/bin/python bench/memory.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/memory.py --quick         # smoke run: 500 swarms, 2,000 articles

The database is filled straight through the storage engine before the server starts (as bench/kb_search.py does):
the test roster, the articles of bench/kb_corpus.py in bulk INSERTs (the FTS5 triggers and the generated tsvector
column index them as any insert would), and open swarms as rows (each with a room, an announcement, its owner and two
experts as members, and an `opened` event plus five room messages in its timeline). The loopback FakeSlack knows
every room. Then `swarm serve --workers 1` starts on it, as an operator would, idles 75 s (the scheduler's tick,
every 60 s in the serving process, reads every open swarm), and is exercised step by step: /metrics scraped,
/dashboard and /kb?q= (the web pages, with SWARM_WEB_TOKEN as a bearer token), `/swarm kb` searches and `/swarm`
opens (signed Slack requests, the work done by the worker process, waited for through the backlog on /metrics).
After each step: RSS and peak RSS (VmRSS, VmHWM from /proc/<pid>/status) of the server and of its worker.

It is a measurement: it exits 0 whatever the figures; a step that fails is a FAILED note beside its row, the server's
ERROR log lines are listed (it exits 1 only when the server does not come up).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/memory.py` as well as `python -m bench.memory`
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bench import kb_corpus  # noqa: E402
from bench.common import ProcStat, family, progress, scratch_database, wait_healthy  # noqa: E402
from bench.soak import MB, PEOPLE, SECRET, SPEAKERS, SUPPORT, backlog, launch, stop  # noqa: E402
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack  # noqa: E402
from tests.fakes.slack_signing import SlackSender  # noqa: E402
from tests.harness import ROSTER  # noqa: E402

WEB_TOKEN = "bench-web-token-3Fs8Kq1Zm6Wd0Yp4Tx"  # `swarm serve` refuses a weak one
BATCH = 2_000
START = 120.0  # seconds: a bound on the server coming up (it reads a big database)
WORK = 300.0  # seconds: a bound on the worker finishing what a step sent
KB_QUERIES = (
    "csv export",
    "invoice pdf blank",
    "login fails after upgrade",
    "sso timeout",
    "report export times out #billing",
    '"connection reset" sync',
    "webhook retries",
    "dashboard slow",
)


@dataclass(frozen=True)
class Plan:
    swarms: int = 10_000
    articles: int = 100_000
    opens: int = 5
    searches: int = len(KB_QUERIES)
    idle: float = 75.0  # seconds: at least one scheduler tick (TICK_SECONDS = 60) runs in the server


@dataclass
class Step:
    name: str
    seconds: float
    server: ProcStat
    worker: ProcStat
    note: str = ""


# ---------------------------------------------------------------------------------------------------- filling


def batched(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def article_rows(workspace_id: int, count: int) -> Iterator[dict[str, Any]]:
    from storage.search import with_rank_columns

    for made in kb_corpus.articles(workspace_id, count, seed=11):
        values = dataclasses.asdict(made)
        values.pop("id")
        values["state"] = made.state.value
        yield with_rank_columns(values)


def room_of(number: int) -> str:
    return f"CR{number:07d}"


async def fill(url: str, plan: Plan) -> dict[str, int]:
    """Migrates, imports the roster, inserts the articles and the open swarms; answers what it inserted."""
    from adapters.app import App
    from adapters.settings import Settings
    from storage.tables import ArticleRow, SwarmEventRow, SwarmMemberRow, SwarmRow

    app = await App.start(Settings(SWARM_DATABASE_URL=url))
    try:
        rows = [(i + 1, {**row, "slack_id": PEOPLE[str(row["email"]).split("@")[0]]}) for i, row in enumerate(ROSTER)]
        report = await app.core.people.import_roster(TEAM_ID, rows)
        assert not report.rejected, report.rejected
        engine = app.store.engine
        async with engine.connect() as connection:
            workspace_id = int((await connection.execute(text("SELECT id FROM workspace"))).scalar_one())
            people = [int(p) for p in (await connection.execute(text("SELECT id FROM person ORDER BY id"))).scalars()]
        began = time.perf_counter()
        articles: Any = ArticleRow.__table__  # type: ignore[attr-defined]
        for batch in batched(article_rows(workspace_id, plan.articles)):
            async with engine.begin() as connection:
                await connection.execute(insert(articles), batch)
        progress(f"{plan.articles:,} articles inserted in {time.perf_counter() - began:.0f} s")
        began = time.perf_counter()
        await insert_swarms(engine, workspace_id, people, plan.swarms, SwarmRow, SwarmMemberRow, SwarmEventRow)
        progress(f"{plan.swarms:,} open swarms inserted in {time.perf_counter() - began:.0f} s")
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE"))
            await connection.execute(
                text("UPDATE workspace SET article_counter = :a, swarm_counter = :s"),
                {"a": plan.articles, "s": plan.swarms},
            )
            counted = {
                name: int((await connection.execute(text(sql))).scalar_one())
                for name, sql in (
                    ("open swarms", "SELECT COUNT(*) FROM swarm WHERE status = 'open'"),
                    ("articles", "SELECT COUNT(*) FROM article"),
                    ("members", "SELECT COUNT(*) FROM swarm_member"),
                    ("timeline entries", "SELECT COUNT(*) FROM swarm_event"),
                    ("people", "SELECT COUNT(*) FROM person"),
                )
            }
    finally:
        await app.close()
    return counted


async def insert_swarms(
    engine: Any, workspace_id: int, people: Sequence[int], count: int, swarm: Any, member: Any, event: Any
) -> None:
    rng = random.Random(3)
    now = datetime.now(UTC)
    numbers = range(1, count + 1)
    for start in range(0, count, BATCH):
        chunk = numbers[start : start + BATCH]
        opened = {n: now - timedelta(minutes=rng.randint(5, 60 * 24 * 30)) for n in chunk}
        owners = {n: people[n % len(people)] for n in chunk}
        swarm_rows = [
            {
                "workspace_id": workspace_id,
                "number": n,
                "text": f"Customer C{n} cannot export invoices to PDF since 4.{n % 10} #billing #pdf customer:C{n}",
                "tags": ["billing", "pdf"],
                "severity": 3,
                "customer": f"C{n}",
                "version": f"4.{n % 10}",
                "status": "open",
                "owner_id": owners[n],
                "origin_channel": SUPPORT,
                "announcement_id": f"1700000000.{n:06d}",
                "room_id": room_of(n),
                "room_name": f"swarm-{n}-customer-c{n}-cannot-export",
                "created_at": opened[n],
                "skills": ["billing", "pdf"],
                "card_id": f"1700000001.{n:06d}",
            }
            for n in chunk
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(swarm.__table__), swarm_rows)
            found = await connection.execute(
                text("SELECT number, id FROM swarm WHERE number BETWEEN :a AND :b"), {"a": chunk[0], "b": chunk[-1]}
            )
            ids = {int(number): int(id_) for number, id_ in found.all()}
            members, events = [], []
            for n in chunk:
                crew = [owners[n], people[(n + 7) % len(people)], people[(n + 13) % len(people)]]
                for k, person in enumerate(dict.fromkeys(crew)):
                    role, via = ("owner", "command") if k == 0 else ("expert", "match")
                    members.append(
                        {
                            "workspace_id": workspace_id,
                            "swarm_id": ids[n],
                            "person_id": person,
                            "role": role,
                            "via": via,
                            "invited_at": opened[n],
                            "joined_at": opened[n],
                        }
                    )
                events.append(
                    {"workspace_id": workspace_id, "swarm_id": ids[n], "kind": "opened", "person_id": owners[n]}
                    | {"text": "", "message_id": None, "at": opened[n]}
                )
                for m in range(5):
                    events.append(
                        {
                            "workspace_id": workspace_id,
                            "swarm_id": ids[n],
                            "kind": "message",
                            "person_id": crew[m % len(crew)],
                            "text": f"Tried the exporter again on invoice {m}: same blank PDF",
                            "message_id": f"{1700000100 + m}.{n:06d}",
                            "at": opened[n] + timedelta(minutes=m + 1),
                        }
                    )
            await connection.execute(insert(member.__table__), members)
            await connection.execute(insert(event.__table__), events)


# ---------------------------------------------------------------------------------------------------- the server


class Bench:
    def __init__(self, plan: Plan, log: Path) -> None:
        self.plan = plan
        self.log = log
        self.steps: list[Step] = []
        self.counted: dict[str, int] = {}
        self.failures = 0
        self.fill_seconds = 0.0

    async def run(self, database_url: str | None) -> None:
        async with scratch_database(database_url, "memory") as url:
            began = time.perf_counter()
            self.counted = await fill(url, self.plan)
            self.fill_seconds = time.perf_counter() - began
            async with FakeSlack() as api:
                for handle, user in PEOPLE.items():
                    row = next(r for r in ROSTER if str(r["email"]).startswith(f"{handle}@"))
                    api.add_user(user, handle, str(row["email"]), real_name=str(row["name"]))
                api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), BOT_USER_ID])
                for n in range(1, self.plan.swarms + 1):
                    api.add_channel(room_of(n), f"swarm-{n}-room", members=[BOT_USER_ID])
                await self.serve(url, api)

    async def serve(self, url: str, api: FakeSlack) -> None:
        began = time.perf_counter()
        process, server_url = await launch(url, api.url, self.log, SWARM_WEB_TOKEN=WEB_TOKEN)
        http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {WEB_TOKEN}"})
        sender = SlackSender(server_url, SECRET, hooks_url=api.hooks_url, timeout=120)
        try:
            await wait_healthy(process, http, server_url, self.log, START)
            await self.settled(process.pid)
            self.record("started (idle, /healthz answered)", time.perf_counter() - began, process.pid)
            await self.step(
                f"idle {self.plan.idle:g} s (the scheduler's tick, every 60 s, reads every open swarm)",
                process.pid,
                asyncio.sleep(self.plan.idle),
            )
            await self.step(
                "/metrics scraped ×3", process.pid, self.times(3, lambda: self.get(http, server_url, "/metrics"))
            )
            await self.step(
                "/dashboard ×3", process.pid, self.times(3, lambda: self.get(http, server_url, "/dashboard"))
            )
            await self.step(
                "/kb?q= ×3 (web search)",
                process.pid,
                self.times(3, lambda: self.get(http, server_url, "/kb?q=csv+export")),
            )
            hooks_before = len(api.calls)
            await self.step(
                f"`/swarm kb` ×{self.plan.searches}",
                process.pid,
                self.slack(http, server_url, [sender.slash(f"kb {q}", SPEAKERS[0], SUPPORT) for q in self.queries()]),
            )
            answered = len(api.calls) - hooks_before
            self.steps[-1].note = self.steps[-1].note or f"{answered} calls to the fake (the answers)"
            opens = [
                sender.slash(
                    f"Customer M{i} cannot log in after the 5.{i} upgrade #sso sev2",
                    SPEAKERS[i % len(SPEAKERS)],
                    SUPPORT,
                )
                for i in range(self.plan.opens)
            ]
            await self.step(f"`/swarm` opens ×{self.plan.opens}", process.pid, self.slack(http, server_url, opens))
            async with http.get(f"{server_url}/metrics") as response:
                scraped = await response.text()
            self.steps[-1].note = self.steps[-1].note or next(
                (line for line in scraped.splitlines() if line.startswith("swarm_open_swarms")), ""
            )
            await self.step("/metrics + /dashboard again", process.pid, self.again(http, server_url))
        finally:
            await http.close()
            await sender.close()
            await stop(process)

    @staticmethod
    async def settled(pid: int, seconds: float = 60.0) -> None:
        """Waits until the worker's start-up is over: its RSS the same (± 1 MB) for 3 s in a row."""
        deadline, steady, last = time.monotonic() + seconds, 0, -1
        while steady < 3 and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            rss = family(pid)[1].rss_kb
            steady = steady + 1 if abs(rss - last) <= 1024 else 0
            last = rss

    def queries(self) -> list[str]:
        return [KB_QUERIES[i % len(KB_QUERIES)] for i in range(self.plan.searches)]

    async def again(self, http: aiohttp.ClientSession, server_url: str) -> None:
        await self.get(http, server_url, "/metrics")
        await self.get(http, server_url, "/dashboard")

    @staticmethod
    async def times(count: int, call: Callable[[], Awaitable[None]]) -> None:
        for _ in range(count):
            await call()

    @staticmethod
    async def get(http: aiohttp.ClientSession, server_url: str, path: str) -> None:
        async with http.get(f"{server_url}{path}", allow_redirects=False) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")

    @staticmethod
    async def slack(http: aiohttp.ClientSession, server_url: str, sent: Sequence[Awaitable[tuple[int, str]]]) -> None:
        """Sends the requests one after the other, then waits until the worker has done them all."""
        for request in sent:
            status, body = await request
            if status != 200:
                raise RuntimeError(f"Slack request answered {status}: {body[:300]}")
        deadline = time.monotonic() + WORK
        while await backlog(http, server_url) != (0.0, 0.0):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not finish within {WORK} s")
            await asyncio.sleep(0.2)

    async def step(self, name: str, pid: int, work: Awaitable[None]) -> None:
        """Runs one step and records the memory after it; a step that fails is recorded as such (the server's
        figures still count), and the next steps run."""
        began = time.perf_counter()
        failed = ""
        try:
            await work
        except (RuntimeError, aiohttp.ClientError, TimeoutError) as err:
            failed = f"FAILED: {str(err).splitlines()[0][:200]}"
        self.record(name, time.perf_counter() - began, pid)
        self.steps[-1].note = failed
        self.failures += bool(failed)

    def record(self, name: str, seconds: float, pid: int) -> None:
        server, worker, _ = family(pid)
        self.steps.append(Step(name, seconds, server, worker))
        progress(f"{name}: server {server.rss_kb / MB:.1f} MB, worker {worker.rss_kb / MB:.1f} MB")


def table(steps: Sequence[Step]) -> list[str]:
    lines = [
        "| step | seconds | server RSS MB | server peak MB | worker RSS MB | worker peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in steps:
        lines.append(
            f"| {s.name} | {s.seconds:.2f} | {s.server.rss_kb / MB:.1f} | {s.server.hwm_kb / MB:.1f}"
            f" | {s.worker.rss_kb / MB:.1f} | {s.worker.hwm_kb / MB:.1f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 swarms, 2,000 articles")
    parser.add_argument("--swarms", type=int, default=Plan.swarms, help="open swarms in the database (10,000)")
    parser.add_argument("--articles", type=int, default=Plan.articles, help="articles in the database (100,000)")
    parser.add_argument("--database", help="a PostgreSQL URL (a fresh schema is made and dropped); default SQLite")
    parser.add_argument("--log", type=Path, help="where the server's log goes (default: a temporary file)")
    args = parser.parse_args(argv)
    plan = (
        Plan(swarms=500, articles=2_000, idle=2.0) if args.quick else Plan(swarms=args.swarms, articles=args.articles)
    )
    log = args.log or Path(tempfile.gettempdir()) / f"swarm-memory-{os.getpid()}.log"
    bench = Bench(plan, log)
    began = time.time()
    asyncio.run(bench.run(args.database))
    backend = "PostgreSQL" if args.database else "SQLite"
    print(
        f"Memory: swarm serve --workers 1 on {backend} holding {plan.swarms:,} open swarms and {plan.articles:,}"
        f" articles (filled in {bench.fill_seconds:.0f} s); Python {platform.python_version()}, nproc"
        f" {os.cpu_count()}, {time.strftime('%d %b %Y %H:%M', time.gmtime(began))} UTC"
    )
    print("database: " + ", ".join(f"{name} {value:,}" for name, value in bench.counted.items()))
    print()
    for line in table(bench.steps):
        print(line)
    print()
    first, last = bench.steps[0], bench.steps[-1]
    for who in ("server", "worker"):
        a, b = getattr(first, who), getattr(last, who)
        print(
            f"{who}: RSS {a.rss_kb / MB:.1f} MB idle after start, {b.rss_kb / MB:.1f} MB after the steps"
            f" ({(b.rss_kb - a.rss_kb) / MB:+.1f} MB), peak {b.hwm_kb / MB:.1f} MB"
        )
    print(
        f"together: peak {(last.server.hwm_kb + last.worker.hwm_kb) / MB:.1f} MB"
        f" (sum of the two processes' VmHWM; their peaks need not coincide)"
    )
    for s in bench.steps:
        if s.note:
            print(f"note: {s.name}: {s.note}")
    errors = sorted({line for line in log.read_text(errors="replace").splitlines() if line.startswith("ERROR")})
    print(f"steps failed: {bench.failures}; the server logged {len(errors)} distinct ERROR lines")
    for line in errors[:10]:
        print(f"server error: {line[:200]}")
    print(f"server log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
