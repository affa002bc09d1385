"""The scheduler runs each tick on its interval, one at a time."""

from __future__ import annotations

import asyncio

from adapters import scheduler


async def test_ticks_run_repeatedly_and_never_overlap() -> None:
    running, runs, overlaps = 0, 0, 0

    async def tick() -> None:
        nonlocal running, runs, overlaps
        running += 1
        overlaps += running > 1
        runs += 1
        await asyncio.sleep(1.5)
        running -= 1

    jobs = scheduler.start([tick], seconds=1)
    try:
        await asyncio.sleep(3.3)
    finally:
        jobs.shutdown(wait=False)
    assert runs >= 2
    assert overlaps == 0
