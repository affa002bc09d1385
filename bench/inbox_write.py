"""What keeping acknowledged deliveries costs the event loop that answers the platform (storage/inbox.py).

    .venv/bin/python bench/inbox_write.py                                        # SQLite, about 20 s
    .venv/bin/python bench/inbox_write.py --database sqlite --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/inbox_write.py --quick                                # smoke run

The Slack mount's writer keeps each delivery with an `SqlInbox.put` before it is acknowledged (what arrives while a
write is in flight shares the next one), on the loop that acknowledges them: every millisecond of that loop's CPU
spent in a write is a millisecond some ack waits. Two ways of writing run in this process, in alternating rounds,
on one database:
- `session`: the way puts were written before, one unit of work (an ORM session: checkout, BEGIN, an INSERT built by
  SQLAlchemy, COMMIT, return), kept here as the baseline;
- `held`: `SqlInbox.put`, one statement straight to the driver on a connection the inbox holds.
Each figure is the median of the rounds, per write of 1 and of 8 deliveries of 1.5 kB (a /swarm command's size):
the loop's own CPU (`time.thread_time` of the thread running the loop: what delays acks), the process's CPU (the
loop plus aiosqlite's thread or asyncpg's work), and wall time. It prints the ratio held ÷ session; it sets no
target and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/inbox_write.py` as well as `python -m bench.inbox_write`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert  # noqa: E402

from bench.kb_search import database  # noqa: E402
from storage._sql import table_of  # noqa: E402
from storage.database import SqlStore  # noqa: E402
from storage.inbox import SqlInbox  # noqa: E402
from storage.tables import InboxRow  # noqa: E402

PAYLOAD = json.dumps({"command": "/swarm", "text": "ACME export fails " + "x" * 1450})
SIZES = (1, 8)
Put = Callable[[Sequence[tuple[str, str, str]], datetime], Awaitable[None]]


def through_a_session(store: SqlStore) -> Put:
    """The baseline: how SqlInbox.put wrote before it held a connection of its own."""

    async def put(deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        rows = [
            {"platform": "slack", "kind": kind, "team": team, "payload": payload, "received_at": now}
            for kind, team, payload in deliveries
        ]
        async with store.unit() as uow:
            await uow.session.exec(insert(table_of(InboxRow)).values(attempts=0), params=rows)
            await uow.commit()

    return put


async def timed(put: Put, writes: int, size: int) -> tuple[float, float, float]:
    """(loop CPU, process CPU, wall), in µs per write."""
    rows = [("command", "T1", PAYLOAD)] * size
    now = datetime.now(UTC)
    loop, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
    for _ in range(writes):
        await put(rows, now)
    return tuple(  # type: ignore[return-value]
        (after - before) * 1e6 / writes
        for before, after in zip(
            (loop, process, wall), (time.thread_time(), time.process_time(), time.perf_counter()), strict=True
        )
    )


async def measure(url: str, rounds: int, writes: int) -> dict[tuple[int, str], list[tuple[float, float, float]]]:
    async with database(url) as path:
        store = SqlStore(path)
        try:
            ways: dict[str, Put] = {"session": through_a_session(store), "held": SqlInbox(store, "slack").put}
            for put in ways.values():  # warm-up: connections, statement caches
                await timed(put, 20, 1)
            results: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
            for _ in range(rounds):
                for size in SIZES:
                    for name, put in ways.items():
                        results.setdefault((size, name), []).append(await timed(put, writes, size))
                async with store.engine.begin() as connection:  # the inbox stays as small as a worker keeps it
                    await connection.execute(delete(InboxRow))
        finally:
            await store.close()
    return results


async def main(urls: Sequence[str], rounds: int, writes: int) -> None:
    print(f"Keeping deliveries in the inbox, {rounds} alternating rounds of {writes} writes, medians; µs per write")
    print()
    print(
        "| database | deliveries a write | session loop CPU | held loop CPU | held ÷ session (loop) "
        "| session process CPU | held process CPU | session wall | held wall |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for url in urls:
        results = await measure(url, rounds, writes)
        name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        for size in SIZES:
            (s_loop, s_cpu, s_wall), (h_loop, h_cpu, h_wall) = (
                [statistics.median(x) for x in zip(*results[(size, way)], strict=True)] for way in ("session", "held")
            )
            print(
                f"| {name} | {size} | {s_loop:.0f} | {h_loop:.0f} | {h_loop / s_loop:.2f} "
                f"| {s_cpu:.0f} | {h_cpu:.0f} | {s_wall:.0f} | {h_wall:.0f} |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, figures not meaningful")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--database",
        action="append",
        help='"sqlite" (a temporary file, the default) or a PostgreSQL URL (a schema of its own, dropped after)',
    )
    args = parser.parse_args()
    urls = args.database or ["sqlite"]
    if args.quick:
        asyncio.run(main(urls, rounds=1, writes=10))
    else:
        asyncio.run(main(urls, rounds=args.rounds, writes=300))
