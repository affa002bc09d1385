from datetime import UTC, datetime, timedelta

import pytest

from bot.metrics import SwarmStats, swarm_stats
from bot.models import Case, Swarm, SwarmStatus

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def swarm(
    status: SwarmStatus,
    resolved_after: timedelta | None = None,
    *,
    created_at: datetime | None = START,
) -> Swarm:
    resolved_at = created_at + resolved_after if created_at is not None and resolved_after is not None else None
    return Swarm(
        workspace_id=1,
        number=1,
        case=Case(text="x"),
        owner_id=1,
        origin_channel="C1",
        status=status,
        created_at=created_at,
        resolved_at=resolved_at,
    )


def test_no_swarms() -> None:
    assert swarm_stats([]) == SwarmStats(total=0, open=0, resolved=0, cancelled=0, median_time_to_resolve=None)


def test_counts_by_status_with_opening_counted_as_open() -> None:
    swarms = [
        swarm(SwarmStatus.OPENING),
        swarm(SwarmStatus.OPEN),
        swarm(SwarmStatus.OPEN),
        swarm(SwarmStatus.RESOLVED, timedelta(hours=1)),
        swarm(SwarmStatus.CANCELLED),
    ]
    stats = swarm_stats(swarms)
    assert (stats.total, stats.open, stats.resolved, stats.cancelled) == (5, 3, 1, 1)


def test_median_of_an_odd_number_of_resolved_swarms() -> None:
    swarms = [swarm(SwarmStatus.RESOLVED, timedelta(minutes=m)) for m in (90, 20, 45)]
    assert swarm_stats(swarms).median_time_to_resolve == timedelta(minutes=45)


def test_median_of_an_even_number_is_the_mean_of_the_middle_two() -> None:
    swarms = [swarm(SwarmStatus.RESOLVED, timedelta(minutes=m)) for m in (10, 20, 31, 400)]
    assert swarm_stats(swarms).median_time_to_resolve == timedelta(minutes=25, seconds=30)


def test_median_keeps_microseconds() -> None:
    swarms = [swarm(SwarmStatus.RESOLVED, timedelta(microseconds=us)) for us in (10, 30)]
    assert swarm_stats(swarms).median_time_to_resolve == timedelta(microseconds=20)


def test_only_resolved_swarms_with_both_timestamps_count_towards_the_median() -> None:
    swarms = [
        swarm(SwarmStatus.RESOLVED, timedelta(hours=2)),
        swarm(SwarmStatus.RESOLVED, None),  # resolved before timestamps were recorded
        swarm(SwarmStatus.RESOLVED, None, created_at=None),
        swarm(SwarmStatus.CANCELLED, timedelta(minutes=1)),
        swarm(SwarmStatus.OPEN, timedelta(minutes=1)),  # reopened: the old resolved_at is not a resolution
    ]
    stats = swarm_stats(swarms)
    assert stats.median_time_to_resolve == timedelta(hours=2)
    assert stats.resolved == 3


def test_no_resolved_timestamps_means_no_median() -> None:
    assert swarm_stats([swarm(SwarmStatus.OPEN), swarm(SwarmStatus.RESOLVED)]).median_time_to_resolve is None


def test_naive_timestamps_from_sqlite_are_taken_as_utc() -> None:
    naive = swarm(SwarmStatus.RESOLVED, timedelta(hours=1), created_at=datetime(2026, 3, 4, 9, 0))
    naive.resolved_at = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
    assert swarm_stats([naive]).median_time_to_resolve == timedelta(hours=2)


def test_a_negative_duration_is_ignored() -> None:
    swarms = [swarm(SwarmStatus.RESOLVED, timedelta(hours=-1)), swarm(SwarmStatus.RESOLVED, timedelta(hours=3))]
    assert swarm_stats(swarms).median_time_to_resolve == timedelta(hours=3)


def test_stats_are_frozen() -> None:
    stats = swarm_stats([])
    with pytest.raises(AttributeError):
        stats.total = 1  # type: ignore[misc]
