"""Hostile input: one person cannot flood the workspace with swarms (SWARM_OPEN_LIMIT)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.settings import Settings
from bot.ports import Store
from handlers.router import Outcome
from tests.harness import WORKSPACE, ScenarioBot


async def _swarm_count(store: Store) -> int:
    async with store.unit() as uow:
        workspace = await uow.workspaces.get(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        return len(await uow.swarms.list(workspace.id))


async def test_the_sixth_opening_in_ten_minutes_is_refused_and_works_again_later(bot: ScenarioBot) -> None:
    for i in range(5):
        assert await bot.command(f"/swarm case {i} export fails #billing", user="ana") is Outcome.DONE
        bot.clock.advance(minutes=1)
    rooms, posts = len(bot.chat.channels), len(bot.chat.messages)

    assert await bot.command("/swarm case 6 export fails #billing", user="ana") is Outcome.REFUSED
    told = bot.last_told("ana")
    assert "You have opened 5 swarms in the last 10m" in told
    assert "next one in 5m" in told  # the first was opened at 9:00; it is 9:05 now
    assert await _swarm_count(bot.store) == 5
    assert len(bot.chat.channels) == rooms
    assert len(bot.chat.messages) == posts + 1  # only the private answer

    # Someone else is not held back by Ana's openings.
    assert await bot.command("/swarm ben's own case #pdf", user="ben") is Outcome.DONE

    bot.clock.advance(minutes=5, seconds=1)  # the first opening left the window
    assert await bot.command("/swarm case 6 export fails #billing", user="ana") is Outcome.DONE
    assert await bot.command("/swarm case 7 export fails #billing", user="ana") is Outcome.REFUSED
    assert await _swarm_count(bot.store) == 7


async def test_the_limit_follows_the_policy_and_can_be_switched_off(store: Store) -> None:
    strict = ScenarioBot(store, policy=Settings(SWARM_OPEN_LIMIT="1/1h").policy())
    await strict.load_roster()
    assert await strict.command("/swarm first case #billing") is Outcome.DONE
    assert await strict.command("/swarm second case #billing") is Outcome.REFUSED
    assert "next one in 1h 0m" in strict.last_told("ana")

    unlimited = Settings(SWARM_OPEN_LIMIT="off").policy()
    assert unlimited.open_limit is None
    strict.clock.advance(hours=2)
    free = ScenarioBot(store, policy=unlimited, clock=strict.clock)
    for i in range(8):
        assert await free.command(f"/swarm case {i} #billing") is Outcome.DONE


@pytest.mark.parametrize("value", ["5", "five/10m", "5/10y", "0/10m", "5/0m", "5/-1h"])
def test_a_malformed_limit_is_refused_at_startup(value: str) -> None:
    with pytest.raises(ValueError, match="SWARM_OPEN_LIMIT"):
        Settings(SWARM_OPEN_LIMIT=value)


def test_the_default_is_five_per_ten_minutes() -> None:
    policy = Settings().policy()
    assert (policy.open_limit, policy.open_window) == (5, timedelta(minutes=10))
