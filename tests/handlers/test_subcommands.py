"""Each /swarm subcommand is declared once (handlers/subcommands.py); every place that shows or runs one agrees."""

from __future__ import annotations

import re

import pytest

from handlers import replies
from handlers.commands import COMMANDS, CURATION
from handlers.subcommands import BY_NAME, SUBCOMMANDS, Usage, declared, opens_swarm, without_options
from tests.harness import ScenarioBot

USAGES = [usage for subcommand in SUBCOMMANDS for usage in subcommand.usages]

# What was typed after /swarm, and whether it opens a swarm (Teams asks the same question: tests/adapters/teams).
OPENS = [
    ("status 1", False),  # a subcommand
    ("Status 1", False),
    ("help", False),
    ("stauts", False),  # one word alone: a mistyped subcommand, refused with a "did you mean"
    ("stauts 1", True),  # a typo'd word and a number: two words are a case
    ("#billing", True),  # a case with a skill and no words (refused as empty, as a case is)
    ("ACME export fails", True),
    ("", True),  # the form, where the platform has one
]


def test_every_subcommand_runs_its_declared_handler_in_the_declared_order() -> None:
    assert list(COMMANDS) == [s.name for s in SUBCOMMANDS]
    assert len(set(COMMANDS.values())) == len(COMMANDS)


def test_every_word_a_subcommand_reads_is_declared() -> None:
    for word in (*CURATION, "edit"):
        assert declared(f"kb {word}").usage.startswith("kb "), word
    for word in ("add", "remove", "confirm", "hide", "unhide"):
        assert word in declared(f"skills {word}").usage.split()[1].split("/"), word
    assert declared("digest here").usage == "digest here"
    with pytest.raises(KeyError):
        declared("kb frobnicate")


async def test_help_lists_every_declared_usage_with_its_summary(bot: ScenarioBot) -> None:
    await bot.command("/swarm help", user="fay")
    help_text = bot.last_told("fay")
    for usage in USAGES:
        assert f"`/swarm {usage.usage}` {usage.summary}" in help_text, usage.usage
    assert help_text == replies.help_text().text


def test_every_usage_an_error_shows_is_a_declared_one() -> None:
    def forms(usage: Usage) -> set[str]:
        numbered = usage.usage.replace("[n]", "{number}").replace("<article>", "{number}")
        return {usage.usage, without_options(usage.usage), without_options(numbered)}

    shown = {form for usage in USAGES for form in forms(usage)}
    checked = 0
    for reason, template in replies.ERRORS.items():
        for typed in re.findall(r"`/swarm ([^`]*)`", template):
            if typed.startswith("{"):
                # Filled in when the error is raised: what was typed, or a declared name or usage.
                assert typed.split()[0] in ("{word}", "{command}", "{usage}"), reason
            elif typed.split()[0] in BY_NAME:
                assert typed in shown, f"ERRORS[{reason!r}] shows `/swarm {typed}`, which is not declared"
                checked += 1
            else:
                assert opens_swarm(typed), f"ERRORS[{reason!r}]: `/swarm {typed}` is neither a subcommand nor a case"
    assert checked >= 15


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/swarm leave", "`/swarm leave [n]`"),
        ("/swarm status", "`/swarm status [n]`"),
        ("/swarm resolve it works", "`/swarm resolve [what fixed it] [cause: why]` works only there"),
        ("/swarm cancel", "`/swarm cancel <reason>` works only there"),
        ("/swarm nudges sometimes", "`/swarm nudges on/off [everyone]`"),
        ("/swarm kb flag 3", "`/swarm kb flag 3 <what is wrong>`"),
    ],
)
async def test_a_subcommand_used_wrongly_shows_its_own_usage(bot: ScenarioBot, text: str, usage: str) -> None:
    await bot.command(text, user="fay")
    assert usage in bot.last_told("fay")
    assert bot.chat.called("post") == []


async def test_a_mistyped_subcommand_is_told_the_declared_one(bot: ScenarioBot) -> None:
    for subcommand in SUBCOMMANDS:
        if len(subcommand.name) < 5:
            continue
        typo = subcommand.name[:-1]  # "resolv", "decline" → "declin"
        await bot.command(f"/swarm {typo}", user="fay")
        assert f"Did you mean `/swarm {subcommand.name}`?" in bot.last_told("fay"), typo


@pytest.mark.parametrize(("text", "opens"), OPENS)
async def test_what_opens_a_swarm_is_one_rule(bot: ScenarioBot, text: str, opens: bool) -> None:
    assert opens_swarm(text) is opens
    await bot.command(f"/swarm {text}", user="ana")
    opened = bool(bot.chat.called("create_room")) or bot.last_told("ana").startswith("Tell me what the case is")
    assert opened is opens
    if not opens and text and text.split()[0].lower() not in COMMANDS:
        assert bot.last_told("ana").startswith(f"I don't know `/swarm {text}`")


def test_whitespace_other_than_a_space_separates_words_too() -> None:
    assert not opens_swarm("status\t1") and not opens_swarm("resolve\nrestarted the worker")
    assert opens_swarm("ACME\nexport fails")


def test_the_teams_menu_is_at_most_ten_short_declared_subcommands() -> None:
    menu = [s for s in SUBCOMMANDS if s.teams]
    assert 0 < len(menu) <= 10
    assert all(len(s.name) <= 32 and 0 < len(s.summary) <= 128 for s in menu)
