"""A throttle lets each client spend a burst at once, then one more every so often, and says how long to wait."""

from __future__ import annotations

from adapters.throttle import Throttle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_once_its_burst_is_spent_and_others_do_not_wait() -> None:
    clock = Ticks()
    throttle = Throttle(3, 20.0, clock)
    assert [throttle.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.take("10.0.0.1") == 20.0
    clock.now += 5
    assert throttle.take("10.0.0.1") == 15.0  # waiting spends nothing
    assert throttle.take("10.0.0.2") == 0.0
    clock.now += 15
    assert throttle.take("10.0.0.1") == 0.0
    assert throttle.take("10.0.0.1") == 20.0


def test_wait_asks_without_spending() -> None:
    throttle = Throttle(1, 60.0, Ticks())
    assert throttle.wait("a") == 0.0
    assert throttle.wait("a") == 0.0
    throttle.spend("a")
    assert throttle.wait("a") == 60.0


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert Throttle.retry_after(0.2) == "1"
    assert Throttle.retry_after(39.1) == "40"


def test_the_table_of_clients_stays_bounded() -> None:
    clock = Ticks()
    throttle = Throttle(1, 60.0, clock, clients=100)
    for n in range(1000):
        throttle.take(f"client-{n}")
    assert len(throttle._buckets) <= 100
    assert throttle.wait("client-999") > 0  # the newest are kept
    assert throttle.wait("client-0") == 0  # the oldest are forgotten
