"""Chat calls about different rooms side by side: all done, never more than asked at once, one failure not stopping
the others."""

from __future__ import annotations

import asyncio

import pytest

from handlers.together import side_by_side


async def test_every_item_is_done_with_at_most_so_many_waiting_at_once() -> None:
    waiting, most, done = 0, 0, []

    async def call(room: str) -> None:
        nonlocal waiting, most
        waiting += 1
        most = max(most, waiting)
        await asyncio.sleep(0.01)
        waiting -= 1
        done.append(room)

    await side_by_side([f"room-{i}" for i in range(20)], call, at_once=4)

    assert sorted(done) == sorted(f"room-{i}" for i in range(20))
    assert most == 4


async def test_a_slow_room_does_not_hold_up_the_others() -> None:
    finished: list[str] = []

    async def call(room: str) -> None:
        await asyncio.sleep(0.2 if room == "slow" else 0.0)
        finished.append(room)

    await side_by_side(["slow", "a", "b"], call)

    assert finished == ["a", "b", "slow"]


async def test_one_that_raises_lets_the_others_finish_and_is_raised_after() -> None:
    finished: list[str] = []

    async def call(room: str) -> None:
        if room == "broken":
            raise RuntimeError("platform down")
        await asyncio.sleep(0.01)
        finished.append(room)

    with pytest.raises(RuntimeError, match="platform down"):
        await side_by_side(["broken", "a", "b"], call)

    assert sorted(finished) == ["a", "b"]
