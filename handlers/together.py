"""Chat calls about different rooms, made side by side: each waits on the platform, not on the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Slack's and Teams' limits are per method and per channel; a few calls in flight at once stay well inside them,
# while the ones after a slow answer do not wait for it.
AT_ONCE = 8


async def side_by_side(items: Iterable[T], work: Callable[[T], Awaitable[None]], at_once: int = AT_ONCE) -> None:
    """`work(item)` for every item, at most `at_once` of them waiting at a time. Each item's work handles its own
    failures: one that raises anyway does not stop the others, and the first such error is raised when all are done."""
    slots = asyncio.Semaphore(at_once)

    async def one(item: T) -> None:
        async with slots:
            await work(item)

    outcomes = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
