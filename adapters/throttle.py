"""How often one client may do something that costs Swarm a row or a guess at a secret: a bucket per client.

Each key (a client's address, the real one behind a trusted proxy: adapters/forwarded.py) may spend `burst` at once
and earns one back every `refill_seconds`. The web sign-in spends one per wrong token (adapters/webui/auth.py); the
pages that store an OAuth state share one bucket per client (`oauth_states`): the Slack install page, the start of
Sign in with Slack, and a sign-in that came back with a state nobody issued. Someone who mistypes a few times never
notices; a script does.

Kept in memory, per process: a restart forgets, and each replica counts on its own. At most `clients` keys are
remembered, the least recently seen go first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

# OAuth states (rows of slack_oauth_states) a client may make at once, and then per minute.
OAUTH_STATES_PER_MINUTE = 10


class Throttle:
    def __init__(
        self,
        burst: int,
        refill_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        clients: int = 10_000,
    ) -> None:
        if burst < 1 or refill_seconds <= 0:
            raise ValueError("a throttle needs a burst of 1 or more and a refill longer than 0 s")
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (spends left, as of when)

    def wait(self, key: str) -> float:
        """Seconds before `key` may spend again: 0 now."""
        left = self._left(key)
        return 0.0 if left >= 1 else (1 - left) * self.refill_seconds

    def spend(self, key: str) -> None:
        """`key` did the thing once (gave a wrong token, took an install page)."""
        self._buckets[key] = (self._left(key) - 1, self.clock())
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.clients:
            self._buckets.popitem(last=False)

    def take(self, key: str) -> float:
        """Spends one for `key` if it may now (0), else the seconds it must wait, spending nothing."""
        wait = self.wait(key)
        if not wait:
            self.spend(key)
        return wait

    @staticmethod
    def retry_after(seconds: float) -> str:
        """A Retry-After header's value: whole seconds, at least 1."""
        return str(max(1, math.ceil(seconds)))

    def _left(self, key: str) -> float:
        left, when = self._buckets.get(key, (float(self.burst), self.clock()))
        return min(float(self.burst), left + (self.clock() - when) / self.refill_seconds)


def oauth_states(clock: Callable[[], float] = time.monotonic) -> Throttle:
    """The one rule for the pages that store an OAuth state: ten at once per client, then one every 6 s. The Slack
    mount makes it, and Sign in with Slack takes from the same buckets."""
    return Throttle(OAUTH_STATES_PER_MINUTE, 60.0 / OAUTH_STATES_PER_MINUTE, clock)
