"""Slows down guessing SWARM_WEB_TOKEN: each client (its address, as adapters/forwarded.py found it) has a bucket of
BURST failed sign-ins, refilled at one every REFILL_SECONDS. With the bucket empty, every sign-in from that client is
answered 429 with Retry-After, the right token too (checking it would tell a guesser whether it was right), until a
failure's worth has come back. A person who mistypes a few times never notices; a guesser gets ten tries a minute.

In memory, per process: a restart forgets. At most CLIENTS clients are remembered, the least recently seen go first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

BURST = 10
REFILL_SECONDS = 6.0
CLIENTS = 10_000


class Throttle:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        burst: int = BURST,
        refill_seconds: float = REFILL_SECONDS,
        clients: int = CLIENTS,
    ) -> None:
        self.clock = clock
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client → (failures left, as of when)

    def wait(self, client: str) -> float:
        """Seconds before `client` may try again: 0 now."""
        left = self._left(client)
        return 0.0 if left >= 1 else (1 - left) * self.refill_seconds

    def failed(self, client: str) -> None:
        """`client` gave a wrong token."""
        self._buckets[client] = (self._left(client) - 1, self.clock())
        self._buckets.move_to_end(client)
        while len(self._buckets) > self.clients:
            self._buckets.popitem(last=False)

    def _left(self, client: str) -> float:
        left, when = self._buckets.get(client, (float(self.burst), self.clock()))
        return min(float(self.burst), left + (self.clock() - when) / self.refill_seconds)
