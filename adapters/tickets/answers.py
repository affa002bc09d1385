"""What every ticket system's client does with the system's answers alike: the wait a 429 asks for, a time, a text
field, and an offline command's patience with 429s (`swarm history import --from …`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bot.errors import TicketSystemDown

log = logging.getLogger(__name__)

PATIENCE = 30  # 429s in a row an offline export waits out before it gives up
T = TypeVar("T")


def seconds(value: str | None) -> float | None:
    """A Retry-After header's seconds (never below 0); None when absent or not a number."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def iso_time(value: object, *, zoned: bool = False) -> datetime | None:
    """An ISO 8601 time (`2026-11-23T08:12:05Z`, `…05.000+0000`); None when it is none, or, `zoned`, has no zone."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return None if zoned and when.tzinfo is None else when


def text(value: object) -> str | None:
    """A text field's value; None when it is empty or no text."""
    return value if isinstance(value, str) and value else None


async def patiently(
    call: Callable[[], Awaitable[T]],
    sleep: Callable[[float], Awaitable[None]],
    vendor: str,
    waits: Callable[[TicketSystemDown], bool] = lambda down: True,
) -> T:
    """`call` for an offline command: an answer that asks to wait (a 429 with Retry-After, if `waits` says so) is
    waited out as long as it asks, up to PATIENCE times; whatever else fails is raised."""
    for _ in range(PATIENCE):
        try:
            return await call()
        except TicketSystemDown as down:
            if down.retry_after is None or not waits(down):
                raise
            log.info("%s asked to wait %.0f s (429): waiting", vendor, down.retry_after)
            await sleep(down.retry_after)
    return await call()
