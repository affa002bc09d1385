"""No accidental swarms: a mistyped subcommand, one word or a bare number is asked about before anything opens."""

from __future__ import annotations

import pytest

from handlers import replies
from handlers.router import Outcome
from tests.harness import ScenarioBot


def buttons(bot: ScenarioBot, user: str) -> dict[str, tuple[str, str]]:
    """The buttons of the last thing the bot told `user` privately: label → (action, value)."""
    (*_, last) = bot.chat.private(bot.user(user))
    return {b.label: (b.action, b.value) for b in last.buttons}


async def test_a_mistyped_status_asks_and_runs_what_was_meant(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")

    assert await bot.command("/swarm stauts 1", user="ana") is Outcome.DONE
    assert bot.last_told("ana").startswith("Did you mean `/swarm status 1`? Nothing was opened.")
    assert len(bot.chat.called("create_room")) == 1
    assert buttons(bot, "ana") == {
        "Run it": (replies.RUN, "status 1"),
        "Open a swarm": (replies.OPEN_CASE, "support\nstauts 1"),
    }

    await bot.click(replies.RUN, "status 1", user="ana")
    assert bot.last_told("ana").startswith("Swarm 1: ACME export fails\nStatus: open")
    assert len(bot.chat.called("create_room")) == 1


async def test_open_anyway_opens_the_text_as_typed(bot: ScenarioBot) -> None:
    await bot.command("/swarm reoopen 3 please", user="ana")
    assert bot.last_told("ana").startswith("Did you mean `/swarm reopen 3 please`?")
    assert bot.chat.called("create_room") == []

    await bot.click(replies.OPEN_CASE, "support\nreoopen 3 please", user="ana")
    assert bot.room(1).startswith("swarm-1-reoopen-3-please")


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("42", "Did you mean `/swarm status 42`?"),
        ("frobnicate", "Open a swarm for the case “frobnicate”?"),
        ("lsit", "Did you mean `/swarm list`?"),
    ],
)
async def test_one_word_or_a_number_asks_before_opening(bot: ScenarioBot, typed: str, question: str) -> None:
    await bot.command(f"/swarm {typed}", user="ana")
    assert bot.last_told("ana").startswith(question)
    assert "Open a swarm" in buttons(bot, "ana")
    assert bot.chat.called("create_room") == [] and bot.said("support") == []


async def test_a_case_that_starts_like_a_word_of_ours_still_opens(bot: ScenarioBot) -> None:
    await bot.command("/swarm Login fails for ACME #sso", user="ana")
    await bot.command("/swarm Last invoice missing #billing", user="ana")
    assert len(bot.chat.called("create_room")) == 2


async def test_a_run_button_never_opens_a_swarm(bot: ScenarioBot) -> None:
    assert await bot.click(replies.RUN, "ACME export fails", user="ana") is Outcome.REFUSED
    assert bot.chat.called("create_room") == []


async def test_a_text_too_long_for_a_button_is_asked_about_without_one(bot: ScenarioBot) -> None:
    typed = "stauts " + "the export keeps failing " * 90
    await bot.command(f"/swarm {typed}", user="ana")
    assert "send it again starting with another word" in bot.last_told("ana")
    assert list(buttons(bot, "ana")) == ["Run it"]
    assert bot.chat.called("create_room") == []
