"""The scheduler's minute `tick` at scale (issue 9): how long one round takes, and how many SQL statements it sends,
with 1k and 10k open swarms (and as many resolved ones) in the database.

    .venv/bin/python bench/tick.py                 # SQLite (a temporary file)
    .venv/bin/python bench/tick.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/tick.py --quick         # smoke run: 200 open swarms

The database is filled as bench/memory.py fills it (the test roster, open swarms as rows, each with a room, an
announcement, its owner and two experts as members, and an `opened` event plus five messages), plus as many
resolved swarms, a tenth of them resolved in the article-reminder window, and every twentieth open swarm with an
invitation nobody answered. Then `handlers.jobs.tick` runs on it three times through the real core and an in-memory
chat: the first round nudges the owners of quiet rooms (at most `NUDGES_PER_TICK` of a kind), lapses the invitations
and reminds; the later ones are the steady state, minute after minute. Beside them, the floor: one
`SELECT COUNT(*)` of the open swarms, the least any round that looks at open swarms can cost.

Until the fix beside this bench, a round walked every open swarm (its members, its crew, its timeline) in one unit of
work: 6 statements per open swarm, and on SQLite the write lock held past the 30 s busy timeout at 10k open swarms
(docs/measurements/production.md). It is a measurement: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

from bench.common import scratch_database  # noqa: E402
from bench.memory import Plan, fill  # noqa: E402
from tests.fakes.slack_api import TEAM_ID  # noqa: E402

ROUNDS = 3


def recording_chat() -> Any:
    """The in-memory chat, except that an edit of a message it never saw (the cards of the swarms inserted as rows)
    is recorded rather than refused."""
    from adapters.memory import Call, MemoryChat
    from handlers.chat import Reply

    class RecordingChat(MemoryChat):
        async def update(self, channel: str, message_id: str, reply: Reply) -> None:
            if message_id in self.messages:
                await super().update(channel, message_id, reply)
            else:
                self.calls.append(Call("update", {"channel": channel, "message_id": message_id, "reply": reply}))

    return RecordingChat(platform="slack", workspace=TEAM_ID)


@dataclass(frozen=True)
class Round:
    seconds: float
    statements: int
    told: int  # direct messages sent (nudges and reminders)


async def add_resolved_and_unanswered(engine: Any, count: int) -> None:
    """As many resolved swarms as open ones (a tenth in the reminder window), and every twentieth open swarm with an
    invitation nobody answered, an hour old."""
    from storage.tables import SwarmMemberRow, SwarmRow

    rng, now = random.Random(5), datetime.now(UTC)
    async with engine.begin() as connection:
        workspace_id = int((await connection.execute(text("SELECT id FROM workspace"))).scalar_one())
        people = [int(p) for p in (await connection.execute(text("SELECT id FROM person ORDER BY id"))).scalars()]
        open_ids = [int(i) for i in (await connection.execute(text("SELECT id FROM swarm ORDER BY id"))).scalars()]
        rows = []
        for n in range(count + 1, 2 * count + 1):
            resolved = now - (timedelta(days=2) if n % 10 == 0 else timedelta(days=rng.randint(8, 400)))
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "number": n,
                    "text": f"Customer C{n} report export times out #reports",
                    "tags": ["reports"],
                    "severity": 3,
                    "status": "resolved",
                    "owner_id": people[n % len(people)],
                    "origin_channel": "CSUPPORT",
                    "created_at": resolved - timedelta(hours=3),
                    "resolved_at": resolved,
                    "resolution": "Raised the report timeout",
                    "skills": ["reports"],
                }
            )
        await connection.execute(insert(SwarmRow.__table__), rows)  # type: ignore[attr-defined]
        pending = [
            {
                "workspace_id": workspace_id,
                "swarm_id": swarm_id,
                "person_id": people[(k + 3) % len(people)],
                "role": "expert",
                "via": "match",
                "invited_at": now - timedelta(hours=1),
            }
            for k, swarm_id in enumerate(open_ids[::20])
        ]
        # One person per swarm at most: skip those already members.
        taken = {
            (int(s), int(p))
            for s, p in (await connection.execute(text("SELECT swarm_id, person_id FROM swarm_member"))).all()
        }
        pending = [p for p in pending if (p["swarm_id"], p["person_id"]) not in taken]
        if pending:
            await connection.execute(insert(SwarmMemberRow.__table__), pending)  # type: ignore[attr-defined]
        await connection.execute(text("UPDATE workspace SET swarm_counter = :n"), {"n": 2 * count})


async def measure(url: str, count: int) -> tuple[list[Round], float]:
    from adapters.app import App
    from adapters.settings import Settings
    from handlers.jobs import tick

    await fill(url, Plan(swarms=count, articles=0))
    app = await App.start(Settings(SWARM_DATABASE_URL=url))
    try:
        engine = app.store.engine
        await add_resolved_and_unanswered(engine, count)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        sent = [0]

        def count_statement(*_: Any) -> None:
            sent[0] += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
        chat = recording_chat()
        context = app.router(chat).context
        rounds = []
        for _ in range(ROUNDS):
            before_calls, before_sent = len(chat.called("direct")), sent[0]
            began = time.perf_counter()
            await tick(context, TEAM_ID)
            rounds.append(
                Round(time.perf_counter() - began, sent[0] - before_sent, len(chat.called("direct")) - before_calls)
            )
        began = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execute(text("SELECT COUNT(*) FROM swarm WHERE status = 'open'"))
        floor = time.perf_counter() - began
        event.remove(engine.sync_engine, "before_cursor_execute", count_statement)
        return rounds, floor
    finally:
        await app.close()


async def run(urls: Sequence[str | None], counts: Sequence[int]) -> list[str]:
    lines = [
        "| database | open swarms | round | seconds | statements | DMs sent | ÷ floor (one COUNT) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for url in urls:
        for count in counts:
            async with scratch_database(url, "tick") as temporary:
                rounds, floor = await measure(temporary, count)
            name = "PostgreSQL" if url else "SQLite"
            for k, measured in enumerate(rounds, start=1):
                kind = "first" if k == 1 else "steady"
                lines.append(
                    f"| {name} | {count:,} | {k} ({kind}) | {measured.seconds:.3f} | {measured.statements:,} | "
                    f"{measured.told} | {measured.seconds / floor:,.0f}× |"
                )
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", action="append", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--quick", action="store_true", help="200 open swarms only")
    args = parser.parse_args(argv)
    counts = [200] if args.quick else [1_000, 10_000]
    urls: list[str | None] = list(args.database) if args.database else [None]
    print(f"# tick at scale — {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}")
    for line in asyncio.run(run(urls, counts)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
