"""One error policy: what a user did wrong is answered privately; our own failures are logged and apologised for."""

from __future__ import annotations

import logging

import pytest

from handlers.router import Outcome
from tests.harness import ScenarioBot


async def test_a_crash_is_logged_and_apologised_for(bot: ScenarioBot, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    bot.core.swarms.list_open = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        assert await bot.command("/swarm list", user="fay") is Outcome.FAILED
    assert "Sorry, something went wrong on my side" in bot.last_told("fay")
    assert "What you typed: `/swarm list`" in bot.last_told("fay")
    assert "disk on fire" in caplog.text
    assert "CommandEvent" in caplog.text


async def test_a_retried_command_runs_once(bot: ScenarioBot) -> None:
    assert await bot.command("/swarm Tax rounding wrong #tax", event_id="E1") is Outcome.DONE
    assert await bot.command("/swarm Tax rounding wrong #tax", event_id="E1") is Outcome.DUPLICATE
    assert len(bot.chat.called("create_room")) == 1


async def test_messages_outside_rooms_are_ignored_quietly(bot: ScenarioBot) -> None:
    await bot.say("hello all", user="fay", channel="support")
    assert bot.chat.calls == []
