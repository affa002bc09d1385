"""Swarm statistics for /swarm stats and `swarm stats`, computed from swarms already loaded."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.models import Swarm, SwarmStatus
from bot.timezones import as_utc

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class SwarmStats:
    total: int
    open: int  # opening + open: a swarm whose room is still being made is already being worked
    resolved: int
    cancelled: int
    median_time_to_resolve: timedelta | None  # None until a resolved swarm has both timestamps


def swarm_stats(swarms: Sequence[Swarm]) -> SwarmStats:
    """Counts by status and the median time from opening to resolving."""
    durations = [
        as_utc(swarm.resolved_at) - as_utc(swarm.created_at)
        for swarm in swarms
        if swarm.status is SwarmStatus.RESOLVED and swarm.created_at is not None and swarm.resolved_at is not None
    ]
    # A clock that stepped backwards would give a negative duration; it says nothing about how fast swarms resolve.
    durations = [duration for duration in durations if duration >= timedelta(0)]
    return SwarmStats(
        total=len(swarms),
        open=sum(1 for swarm in swarms if swarm.status.is_active),
        resolved=sum(1 for swarm in swarms if swarm.status is SwarmStatus.RESOLVED),
        cancelled=sum(1 for swarm in swarms if swarm.status is SwarmStatus.CANCELLED),
        median_time_to_resolve=_median(durations),
    )


def _median(durations: Sequence[timedelta]) -> timedelta | None:
    if not durations:
        return None
    # statistics.median is typed for numbers only; whole microseconds keep the answer exact.
    middle = statistics.median(duration // _MICROSECOND for duration in durations)
    return timedelta(microseconds=middle)
