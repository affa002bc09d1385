"""A throttle lets each client do a thing so many times a window, then says how long to wait."""

from __future__ import annotations

from adapters.throttle import Throttle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_until_its_window_has_passed_and_others_do_not_wait() -> None:
    clock = Ticks()
    throttle = Throttle(3, 60.0, clock)
    assert [throttle.wait("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 20
    assert throttle.wait("10.0.0.1") == 40.0
    assert throttle.wait("10.0.0.2") == 0.0
    clock.now += 40
    assert throttle.wait("10.0.0.1") == 0.0


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert Throttle.retry_after(0.2) == "1"
    assert Throttle.retry_after(39.1) == "40"


def test_the_table_of_clients_stays_bounded() -> None:
    clock = Ticks()
    throttle = Throttle(1, 60.0, clock, clients=100)
    for n in range(1000):
        throttle.wait(f"client-{n}")
    assert len(throttle._windows) <= 100
    assert throttle.wait("client-999") > 0  # the newest are kept
