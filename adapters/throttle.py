"""How often one client may do something that costs Swarm a row or a secret's worth of trust: a fixed window per key.

Kept in memory, per process: an attacker gains at most one window's count per process, and a restart forgets. The
table of clients is bounded: windows that have passed are dropped, and past `clients` keys the oldest go first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Throttle:
    """At most `count` times per `window` seconds for each key (a client's address)."""

    def __init__(
        self, count: int, window: float, clock: Callable[[], float] = time.monotonic, clients: int = 10_000
    ) -> None:
        if count < 1 or window <= 0:
            raise ValueError("a throttle needs a count of 1 or more and a window longer than 0 s")
        self.count = count
        self.window = window
        self.clock = clock
        self.clients = clients
        self._windows: dict[str, tuple[float, int]] = {}  # key → (when its window started, how many in it)

    def wait(self, key: str) -> float:
        """0 if `key` may go on now (and it is counted), else the seconds until it may: the Retry-After."""
        now = self.clock()
        started, used = self._windows.get(key, (now, 0))
        if now >= started + self.window:
            started, used = now, 0
        if used >= self.count:
            return started + self.window - now
        self._windows.pop(key, None)  # re-inserted last: the dict's order is the order keys were last counted
        self._windows[key] = (started, used + 1)
        if len(self._windows) > self.clients:
            self._forget(now)
        return 0.0

    @staticmethod
    def retry_after(seconds: float) -> str:
        """A Retry-After header's value: whole seconds, at least 1."""
        return str(max(1, math.ceil(seconds)))

    def _forget(self, now: float) -> None:
        for key, (started, _) in list(self._windows.items()):
            if now >= started + self.window:
                del self._windows[key]
        while len(self._windows) > self.clients:
            del self._windows[next(iter(self._windows))]
