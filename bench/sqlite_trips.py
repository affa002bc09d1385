"""SQLite statements with one trip to aiosqlite's thread (storage/sqlite_driver.py) beside aiosqlite's own cursors.

    .venv/bin/python bench/sqlite_trips.py            # about a minute
    .venv/bin/python bench/sqlite_trips.py --quick    # smoke run

Both drivers run in this process on SQLite files of their own, in alternating rounds so that a change in the
machine's speed hits both alike; each figure is the median of the rounds, in microseconds of CPU (this process and
its threads, `time.process_time`) and of wall time:
- `SELECT 1` through a Core connection: the driver's cost alone;
- `workspaces.ensure`: one ORM query in a unit of work, as nearly every piece of work starts;
- a run of 128 room messages kept (`Router.handle_messages` → `SwarmService.record_messages`), per message: what the
  Slack worker does for a busy room (bench/slack_load.py measures it end to end, with far more noise).
It prints figures and the ratio of one trip to aiosqlite; it sets no target and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/sqlite_trips.py` as well as `python -m bench.sqlite_trips`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from adapters.memory import MemoryChat  # noqa: E402
from handlers.chat import MessageEvent, Origin  # noqa: E402
from storage.database import SqlStore, create_engine, upgrade  # noqa: E402
from tests.harness import WORKSPACE, ScenarioBot  # noqa: E402

DRIVERS = {"aiosqlite": False, "one trip": True}
RUN = 128
SPEAKERS = ("UANA", "UBEN", "UCHEN", "UDANA")
TEXT = "Tried step {i}: cleared the cache and re-exported, same error"


class Setup:
    """One driver's store, with the test roster and one open swarm whose room gets the messages."""

    def __init__(self, store: SqlStore, bot: ScenarioBot, room: str) -> None:
        self.store, self.bot, self.room = store, bot, room
        self.said = 0

    @classmethod
    async def make(cls, folder: Path, one_trip: bool) -> Setup:
        url = f"sqlite:///{folder / ('one.db' if one_trip else 'stock.db')}"
        await upgrade(url)
        store = SqlStore(create_engine(url, one_trip=one_trip))
        bot = ScenarioBot(store, chat=MemoryChat(platform="slack", workspace=WORKSPACE))
        await bot.load_roster()
        await bot.command("/swarm ACME cannot export invoices to PDF #billing", user="ana")
        return cls(store, bot, bot.room(1))

    async def select_one(self, count: int) -> None:
        async with self.store.engine.connect() as connection:
            for _ in range(count):
                (await connection.execute(text("SELECT 1"))).all()

    async def ensure(self, count: int) -> None:
        async with self.store.unit() as uow:
            for _ in range(count):
                await uow.workspaces.ensure(WORKSPACE)

    async def messages(self, runs: int) -> None:
        for _ in range(runs):
            events = []
            for i in range(self.said, self.said + RUN):
                user = SPEAKERS[i % len(SPEAKERS)]
                origin = Origin(WORKSPACE, "slack", user, self.room, user_email=f"{user[1:].lower()}@example.com")
                events.append(MessageEvent(origin, f"m{i}", TEXT.format(i=i), event_id=f"Ev{i}"))
            self.said += RUN
            await self.bot.router.handle_messages(events)

    async def close(self) -> None:
        await self.store.engine.dispose()


async def timed(work: Callable[[int], Awaitable[None]], count: int, per: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per unit: `work(count)` does count × per units."""
    cpu, wall = time.process_time(), time.perf_counter()
    await work(count)
    units = count * per
    return (time.process_time() - cpu) * 1e6 / units, (time.perf_counter() - wall) * 1e6 / units


async def main(rounds: int, statements: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        setups = {name: await Setup.make(Path(folder), one_trip) for name, one_trip in DRIVERS.items()}
        try:
            for setup in setups.values():  # warm-up: statement caches, the swarm's first messages
                await setup.select_one(50)
                await setup.ensure(50)
                await setup.messages(1)
            results: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for _ in range(rounds):
                for name, setup in setups.items():
                    results.setdefault(("SELECT 1 (Core)", name), []).append(
                        await timed(setup.select_one, statements, 1)
                    )
                    results.setdefault(("workspaces.ensure (ORM)", name), []).append(
                        await timed(setup.ensure, statements // 4, 1)
                    )
                    results.setdefault((f"a room message, in runs of {RUN}", name), []).append(
                        await timed(setup.messages, runs, RUN)
                    )
        finally:
            for setup in setups.values():
                await setup.close()
    print(f"SQLite statements, {rounds} alternating rounds, medians; µs per statement or per message")
    print()
    columns = "aiosqlite CPU µs | one trip CPU µs | one trip ÷ aiosqlite | aiosqlite wall µs | one trip wall µs"
    print(f"| measure | {columns} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for measure in dict.fromkeys(m for m, _ in results):
        (stock_cpu, stock_wall), (cpu, wall) = (
            [statistics.median(x) for x in zip(*results[(measure, name)], strict=True)] for name in DRIVERS
        )
        print(f"| {measure} | {stock_cpu:.0f} | {cpu:.0f} | {cpu / stock_cpu:.2f} | {stock_wall:.0f} | {wall:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, figures not meaningful")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        asyncio.run(main(rounds=1, statements=40, runs=1))
    else:
        asyncio.run(main(rounds=args.rounds, statements=1000, runs=8))
