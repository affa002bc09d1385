"""One error policy: what a user did wrong is answered privately; our own failures are logged and apologised for."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from bot.errors import Busy
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


# -- a delivery's work killed half way (bot/deliveries.py) -----------------------------------------------------------
# A worker killed mid-work is modelled by the task being cancelled at a platform call: nothing after that point runs,
# neither the work nor the ending of its claim, as when the process dies.


def killed_at(bot: ScenarioBot, method: str) -> None:
    """The next call of the platform's `method` is where the process dies; later calls work."""
    working = getattr(bot.chat, method)

    async def dies(*args: object, **kwargs: object) -> object:
        setattr(bot.chat, method, working)
        raise asyncio.CancelledError

    setattr(bot.chat, method, dies)


async def _claim(bot: ScenarioBot, key: str) -> tuple[str | None, bool]:
    async with bot.store.unit() as uow:  # type: ignore[attr-defined]
        row = (
            await uow.session.exec(
                text("SELECT holder, held_until FROM processed_event WHERE key = :k").bindparams(k=key)
            )
        ).one()
    return row[0], row[1] is not None


async def test_work_killed_after_its_first_write_is_never_done_twice(bot: ScenarioBot) -> None:
    killed_at(bot, "create_room")
    with pytest.raises(asyncio.CancelledError):
        await bot.command("/swarm Tax rounding wrong #tax", event_id="E-open")
    # The room was never made; the swarm's row was, and with it the claim was settled: a resume finishes the opening.
    holder, held = await _claim(bot, "E-open")
    assert (holder, held) == (None, False)
    bot.clock.advance(minutes=5)
    assert await bot.command("/swarm Tax rounding wrong #tax", event_id="E-open") is Outcome.DUPLICATE
    async with bot.store.unit() as uow:  # type: ignore[attr-defined]
        assert (await uow.session.exec(text("SELECT count(*) FROM swarm"))).one()[0] == 1


async def test_work_killed_before_any_write_is_done_again_after_its_lease_not_before(bot: ScenarioBot) -> None:
    killed_at(bot, "post_private")
    with pytest.raises(asyncio.CancelledError):
        await bot.command("/swarm help", user="fay", event_id="E-help")
    holder, held = await _claim(bot, "E-help")
    assert holder is not None and held
    assert bot.told("fay") == []
    # The same delivery again while the claim is held: work may still be under way elsewhere.
    assert await bot.command("/swarm help", user="fay", event_id="E-help") is Outcome.DUPLICATE
    bot.clock.advance(minutes=2)  # past the claim's lease: its worker is dead
    assert await bot.command("/swarm help", user="fay", event_id="E-help") is Outcome.DONE
    assert len(bot.told("fay")) == 1
    assert await _claim(bot, "E-help") == (None, False)
    assert await bot.command("/swarm help", user="fay", event_id="E-help") is Outcome.DUPLICATE


async def test_a_busy_database_gives_the_delivery_back_and_keeps_nothing(bot: ScenarioBot) -> None:
    async def busy(*args: object, **kwargs: object) -> None:
        raise Busy("database is locked")

    opening = bot.core.swarms.open
    bot.core.swarms.open = busy  # type: ignore[method-assign]
    with pytest.raises(Busy):
        await bot.command("/swarm Tax rounding wrong #tax", event_id="E-busy")
    assert bot.told("ana") == []  # no apology: the delivery is tried again
    bot.core.swarms.open = opening  # type: ignore[method-assign]
    assert await bot.command("/swarm Tax rounding wrong #tax", event_id="E-busy") is Outcome.DONE
    assert len(bot.chat.called("create_room")) == 1


async def test_without_a_delivery_id_a_busy_database_is_apologised_for(bot: ScenarioBot) -> None:
    async def busy(*args: object, **kwargs: object) -> None:
        raise Busy("database is locked")

    bot.core.swarms.list_open = busy  # type: ignore[method-assign]
    assert await bot.command("/swarm list", user="fay") is Outcome.FAILED
    assert "Sorry, something went wrong on my side" in bot.last_told("fay")


async def test_work_whose_claim_was_taken_over_keeps_nothing(bot: ScenarioBot) -> None:
    """A worker so slow that its claim lapsed and another took the delivery over: its first write is refused."""
    async with bot.core.deliveries.claimed(WORKSPACE, "E-slow") as first:
        assert first
        bot.clock.advance(minutes=2)
        assert await bot.command("/swarm Tax rounding wrong #tax", event_id="E-slow") is Outcome.DONE
        # Back in the slow worker's work, which now writes for the first time.
        assert await bot.command("/swarm Tax rounding wrong #tax") is Outcome.DUPLICATE
    async with bot.store.unit() as uow:  # type: ignore[attr-defined]
        assert (await uow.session.exec(text("SELECT count(*) FROM swarm"))).one()[0] == 1
