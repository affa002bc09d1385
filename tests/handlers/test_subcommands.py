"""Each /swarm subcommand is declared once (handlers/subcommands.py); every place that shows or runs one agrees."""

from __future__ import annotations

import inspect
import re

import pytest

from handlers import replies
from handlers.commands import COMMANDS, CURATION
from handlers.subcommands import BY_NAME, SUBCOMMANDS, Usage, declared, example, opens_swarm, without_options
from tests.harness import ScenarioBot

USAGES = [usage for subcommand in SUBCOMMANDS for usage in subcommand.usages]

# What was typed after /swarm, and whether it opens a swarm (Teams asks the same question: tests/adapters/teams).
OPENS = [
    ("status 1", False),  # a subcommand
    ("Status 1", False),
    ("help", False),
    ("stauts", False),  # one word alone: asked first, "did you mean"
    ("stauts 1", False),  # a first word a slip away from a subcommand: asked first, however many words follow
    ("reoopen 3 please", False),
    ("42", False),  # only a number: asked first
    ("frobnicate", False),  # one word: asked first
    ("Login fails for ACME", True),  # `login` is two letters from `join`: a case
    ("Last invoice missing", True),  # `last` is one letter from `list`, but short words need a swap
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
        assert f"`/swarm {usage.usage}` {usage.described(bot.clock().date())}" in help_text, usage.usage
    assert help_text == replies.help_text(today=bot.clock().date()).text


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
        ("/swarm leave", "`/swarm leave 42`"),
        ("/swarm status", "`/swarm status 42`"),
        ("/swarm resolve it works", "name the swarm by its number: `/swarm resolve 42`"),
        ("/swarm cancel", "name the swarm by its number: `/swarm cancel 42 <reason>`"),
        ("/swarm invite @ben", "name the swarm by its number: `/swarm invite 42 @person …`"),
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
        assert "Nothing was opened" in bot.last_told("ana")


def test_whitespace_other_than_a_space_separates_words_too() -> None:
    assert not opens_swarm("status\t1") and not opens_swarm("resolve\nrestarted the worker")
    assert opens_swarm("ACME\nexport fails")


def test_the_teams_menu_is_at_most_ten_short_declared_subcommands() -> None:
    menu = [s for s in SUBCOMMANDS if s.teams]
    assert 0 < len(menu) <= 10
    assert all(len(s.name) <= 32 and 0 < len(s.described()) <= 128 for s in menu)


# What a hint's placeholders are filled with before it is run, as a person would fill them in.
FILLED = {
    ": …": ": stale cache",
    "<case>": "ACME export fails",
    "<article>": "1",
    "<n>": "1",
    "<skill>": "billing",
    "<words>": "export",
    "<case or #skills>": "export fails #billing",
    "<what is wrong>": "the fix no longer works",
    "<what fixed it>": "restarted the worker",
    "<why>": "stale cache",
    "<reason>": "not a real issue",
    "@person": "@ben",
    "…": "",
}
# The answers that say a command was typed wrongly, rather than refused for what it asked (no such swarm, not yours).
MALFORMED = (
    "bad_number",
    "room_or_number",
    "room_only",
    "not_in_room",
    "invite_whom",
    "owner_whom",
    "kb_what",
    "experts_for_what",
    "no_skills",
    "bad_skill_level",
    "bad_skill_name",
    "learn_what",
    "bad_until",
    "edit_what",
    "flag_why",
    "link_what",
    "skills_what",
    "thanks_whom",
    "unknown_switch",
    "switch_how",
)


def _hints() -> set[str]:
    """Every `/swarm …` a reply can show as something to type, its numbers filled in as when it is shown."""
    shown: list[str] = []
    source = inspect.getsource(replies)
    for typed in re.findall(r"`/swarm ([^`]*)`", source):
        if "usage" in typed or "escape(" in typed or typed.startswith(("<case>", "{")):
            continue  # the help's usages, what was typed given back, how to open a swarm, the errors' (below)
        shown.append(re.sub(r"\{[^}]*\}", "1", typed))
    for template in replies.ERRORS.values():
        for typed in re.findall(r"`/swarm ([^`]*)`", template):
            if typed.startswith("{usage}"):
                shown += [example(u.usage.replace("<article>", "42")) for u in USAGES if "[n]" in u.usage]
                shown += ["nudges on", "digest off"]
            else:
                shown.append(typed.replace("{number}", "1"))
    hints = set()
    for typed in shown:
        # The swarm's number, and the fields to change where there is no form to change them in, are filled in.
        typed = without_options(typed.replace("[n]", "1").replace("[field: text …]", "cause: stale cache"))
        for placeholder, value in FILLED.items():
            typed = typed.replace(placeholder, value)
        typed = re.sub(r"(\w+)/\w+(?:/\w+)*", r"\1", typed)  # `on/off` is one of them
        hints.add(" ".join(typed.split()))
    return hints - {""}  # `/swarm …` itself, in a docstring


def _malformed(told: str) -> str | None:
    for reason in MALFORMED:
        pattern = ".*?".join(re.escape(part) for part in re.split(r"\{[^}]*\}", replies.ERRORS[reason]))
        if re.fullmatch(pattern, told, re.DOTALL):
            return reason
    if told.startswith(("Did you mean", "Open a swarm for the case")):
        return "did you mean"
    return None


async def test_every_hint_a_reply_shows_is_a_command_that_works(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    await bot.command("/swarm resolve restarted the worker", user="ana", channel=bot.room(1))
    await bot.command("/swarm Tax totals wrong #tax", user="ana")
    hints = _hints()
    assert {
        "cancel 42 not a real issue",
        "resolve 42",
        "invite 42 @ben",
        "reopen 1",
        "resolve 1 restarted the worker",
    } <= hints
    failed = []
    for hint in sorted(hints):
        if opens_swarm(hint):
            assert hint.split()[0].lower() not in BY_NAME, hint
            continue
        rooms, before = len(bot.chat.called("create_room")), len(bot.told("ana"))
        await bot.command(f"/swarm {hint}", user="ana")
        told = "\n".join(bot.told("ana")[before:])
        if _malformed(told) is not None or len(bot.chat.called("create_room")) != rooms:
            failed.append(f"`/swarm {hint}` is shown as a hint but answers: {told}")
    assert not failed, "\n".join(failed)
