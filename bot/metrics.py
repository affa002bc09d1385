"""Swarm statistics for /swarm stats and `swarm stats`, computed from swarms already loaded."""

from __future__ import annotations

import math
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
    return median(durations)


def median(durations: Sequence[timedelta]) -> timedelta | None:
    """The middle duration (the mean of the two middle ones for an even count); None for none."""
    if not durations:
        return None
    # statistics.median is typed for numbers only; whole microseconds keep the answer exact.
    middle = statistics.median(duration // _MICROSECOND for duration in durations)
    return timedelta(microseconds=middle)


def percentile(durations: Sequence[timedelta], rank: float) -> timedelta | None:
    """The nearest-rank percentile: the smallest duration that at least `rank` percent of them do not exceed
    (p90 of ten durations is the 9th shortest, of five the 5th); None for none. Always one of the durations."""
    if not durations:
        return None
    ordered = sorted(durations)
    position = max(1, math.ceil(rank * len(ordered) / 100))
    return ordered[min(position, len(ordered)) - 1]


def gini(values: Sequence[int]) -> float | None:
    """The Gini coefficient of non-negative counts: 0 when everyone has the same, towards 1 when one has all.
    None for fewer than two values or a zero total, where inequality means nothing."""
    if len(values) < 2 or sum(values) <= 0 or min(values) < 0:
        return None
    ordered = sorted(values)
    count, total = len(ordered), sum(ordered)
    weighted = sum(rank * value for rank, value in enumerate(ordered, 1))
    return 2 * weighted / (count * total) - (count + 1) / count
