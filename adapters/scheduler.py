"""APScheduler wiring: periodic work for every chat platform Swarm serves (resume openings, lapse invitations)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
TICK_SECONDS = 60


def start(ticks: Sequence[Callable[[], Awaitable[None]]], seconds: int = TICK_SECONDS) -> AsyncIOScheduler:
    """Runs each tick every `seconds`, never two of the same at once (a slow round is not stacked on)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for tick in ticks:
        scheduler.add_job(tick, "interval", seconds=seconds, max_instances=1, coalesce=True, misfire_grace_time=seconds)
    scheduler.start()
    return scheduler
