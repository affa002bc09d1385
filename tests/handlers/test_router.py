"""One error policy: what a user did wrong is answered privately; our own failures are logged and apologised for."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from handlers.chat import CommandEvent, Origin
from handlers.router import Outcome
from tests.harness import WORKSPACE, ScenarioBot


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


async def test_a_failure_logs_ids_and_kinds_not_what_people_typed_nor_their_email(
    bot: ScenarioBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The failure is in the database, whose error text would quote the statement's parameters."""
    typed = "ACME payroll password is hunter2-Zebra"
    email = "ana.private@example.org"

    async def broken(*args: object, **kwargs: object) -> None:
        async with bot.store.unit() as unit:  # type: ignore[attr-defined]
            await unit.session.exec(text("INSERT INTO no_such_table VALUES (:w, :e)").bindparams(w=typed, e=email))

    bot.core.swarms.list_open = broken  # type: ignore[method-assign]
    origin = Origin(WORKSPACE, "console", "U-ana", "support", "Ana", email)
    with caplog.at_level(logging.INFO):
        event = CommandEvent(origin, f"list {typed}", event_id="E-log")
        assert await bot.router.handle(event) is Outcome.FAILED
    assert "no_such_table" in caplog.text
    assert "CommandEvent E-log" in caplog.text
    assert "hunter2" not in caplog.text
    assert email not in caplog.text
