"""Every `/swarm` subcommand, declared once: its name, what to type, what it does, and who may run it.

Everything else is derived from `SUBCOMMANDS`: the dispatch table (`handlers.commands.COMMANDS`), the help text and
the hints in errors (`handlers.replies`), the unknown-subcommand "did you mean", the Teams app's command menu
(`adapters/teams/package.py`), the table `swarm commands` prints (and docs/commands.md holds), and `opens_swarm`, the
one rule for whether a text opens a swarm (and `meant`, what a text that is asked about probably meant).

The handler of each subcommand is a function in handlers/commands.py marked `@handles("name")`: replies reads this
module to say what can be typed, and the handlers use replies, so this module imports no handler.

In a usage, `[x]` may be left out and `<x>` may not; `[n]` is a swarm's number, which can be left out in the swarm's
room (every subcommand that acts on one swarm takes it, first: a leading number is the swarm's); `<article>` is an
article's number; `a/b` is one of those words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from bot import tickets
from bot.curation import DEFAULT_VALIDATE_AFTER_REUSES
from bot.permissions import RULES, Action


def _rule(action: Action) -> str:
    """Who may, as bot/permissions.py declares it (which bot/ enforces), in the words of the docs table."""
    rule = RULES[action]
    who = ", ".join(p.value for p in rule.who)
    return f"{who} ({rule.note})" if rule.note else who


class Who(Enum):
    """Who may run a subcommand: told from bot/permissions.py, which bot/ enforces (docs/permissions.md)."""

    ANYONE = "anyone"  # anyone Swarm knows: in the roster, or met on the platform
    MEMBER = _rule(Action.LINK)  # its owner, anyone in it now (invited, joined, asked and accepted), a lead or admin
    OWNER = _rule(Action.HAND_OVER)  # its owner, or a lead or admin
    RESOLVER = _rule(Action.RESOLVE) + "; a member's resolve is a proposal the owner confirms"
    CANCELLER = _rule(Action.CANCEL)
    IN_IT = "someone in it (its owner hands it over first)"  # leaving: only who is in it, never its owner
    ASKED = "an expert it asked"  # only the experts the matcher asked to swarm on it
    PUBLISHER = _rule(Action.VALIDATE).replace("often enough", f"{DEFAULT_VALIDATE_AFTER_REUSES} times")
    CURATOR = _rule(Action.ARCHIVE).split(" (")[0] + " of its swarm"
    SWITCH = f"anyone for themselves; for everyone, {_rule(Action.WORKSPACE_SWITCH).split(' (')[0]}"


@dataclass(frozen=True)
class Usage:
    """One way to type a subcommand (after `/swarm `), what it does, and who may do it."""

    usage: str
    summary: str
    who: Who = Who.ANYONE

    def described(self, today: date | None = None) -> str:
        """The summary as said on `today`: a date in it (`{date}`) is one to come, two weeks on, as an example of
        what to type; with no day (the docs, the Teams menu), it says its form."""
        example = (today + timedelta(days=14)).isoformat() if today else "YYYY-MM-DD"
        return self.summary.replace("{date}", example)

    @property
    def names_swarm(self) -> bool:
        """True if the swarm may be named by its number (`[n]`); else it is the room's swarm, or none."""
        return "[n]" in self.usage.split()


@dataclass(frozen=True)
class Subcommand(Usage):
    """A subcommand: its first word (`name`), its main usage, and the other forms of it (`more`, e.g. `kb edit`)."""

    name: str = ""
    teams: bool = False  # one of the commands the Teams app lists in its menu (at most 10; every one works typed)
    more: tuple[Usage, ...] = ()

    def __post_init__(self) -> None:
        if self.usage.split()[0] != self.name or any(u.usage.split()[0] != self.name for u in self.more):
            raise ValueError(f"every usage of {self.name!r} starts with its name")

    @property
    def usages(self) -> tuple[Usage, ...]:
        return (self, *self.more)


def _sub(
    usage: str, summary: str, who: Who = Who.ANYONE, *, teams: bool = False, more: tuple[Usage, ...] = ()
) -> Subcommand:
    return Subcommand(usage, summary, who, name=usage.split()[0], teams=teams, more=more)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    _sub("help", "what Swarm can do: this list", teams=True),
    _sub("list", "the open swarms", teams=True),
    _sub("status [n]", "one swarm: who is in it, how long it has been open", teams=True),
    _sub("join [n]", "join a swarm as a helper", teams=True),
    _sub("accept [n]", '"I can help": say yes when a swarm asked you', Who.ASKED),
    _sub("decline [n]", '"Can\'t now": the next-best expert is asked instead', Who.ASKED),
    _sub("leave [n]", "leave a swarm; its owner hands it over first", Who.IN_IT),
    _sub("invite [n] @person …", "bring people into a swarm", Who.MEMBER),
    _sub("owner [n] @person", "hand the swarm over to someone else", Who.OWNER),
    _sub(
        "resolve [n] [what fixed it] [cause: why]",
        "close the swarm and save its article",
        Who.RESOLVER,
        teams=True,
    ),
    _sub("link [n] <article>", "link a known article to the swarm", Who.MEMBER),
    _sub("cancel [n] <reason>", "close the swarm without an article, saying why", Who.CANCELLER),
    _sub("reopen [n]", "open a resolved or cancelled swarm again", Who.OWNER),
    _sub("snooze [n]", 'still working: no "quiet room" nudge for a day', Who.MEMBER),
    _sub("experts <case or #skills>", "who would be asked, and why; opens nothing", teams=True),
    _sub(
        "kb <words>",
        "search the knowledge base",
        teams=True,
        more=(
            Usage("kb <article>", "read an article"),
            Usage("kb history <article>", "its versions: who changed what, and when"),
            Usage("kb edit <article> [field: text …]", "fix it: title, issue, environment, resolution, cause"),
            Usage("kb flag <article> <what is wrong>", "say it is wrong or stale; its swarm's owner is told"),
            Usage("kb validate <article>", "check a draft and publish it as validated", Who.PUBLISHER),
            Usage("kb archive/restore <article>", "take it out of search, or put it back", Who.CURATOR),
        ),
    ),
    _sub(
        "skills [@person]",
        "your skills and what your swarms taught Swarm, or someone else's",
        teams=True,
        more=(
            Usage("skills add <skill>[:level] …", "add skills, e.g. `billing:4 sso` (levels 1–5, 3 if left out)"),
            Usage("skills remove <skill> …", "remove skills"),
            Usage("skills confirm/hide/unhide <skill>", "keep, hide or show again a skill learned from your swarms"),
        ),
    ),
    _sub("learn <skill>", "be asked along as a learner on swarms that need it"),
    _sub(
        "away [until]",
        "stop being asked until `2h`, `tomorrow`, `friday`, `17:00` or `{date}`; without a time, until you say "
        "`/swarm back`",
        teams=True,
    ),
    _sub("back", "be asked to swarm again"),
    _sub(
        "stats [period]",
        "how swarming is going, against the period before: `7d`, `30d` (the default) or `90d`",
        teams=True,
    ),
    _sub("thanks @person [for what]", "say thank you; the weekly digest and the analytics count it"),
    _sub(
        "nudges on/off [everyone]",
        "reminders to you about quiet rooms and unwritten fixes; with `everyone`, to the whole workspace",
        Who.SWITCH,
    ),
    _sub(
        "digest on/off [everyone]",
        "your mentions in the digests; with `everyone`, the workspace's digests",
        Who.SWITCH,
        more=(Usage("digest here", "post the daily digest in this channel", Who.SWITCH),),
    ),
)

BY_NAME: dict[str, Subcommand] = {s.name: s for s in SUBCOMMANDS}


def declared(words: str) -> Usage:
    """The declared usage that begins with `words`: `declared("kb edit")` is `kb edit <article> [field: text …]`.
    An alternative (`kb archive/restore`) matches each of its words (`declared("kb restore")`)."""
    wanted = words.split()
    for subcommand in SUBCOMMANDS:
        for usage in subcommand.usages:
            said = usage.usage.split()
            if len(said) >= len(wanted) and all(w in s.split("/") for w, s in zip(wanted, said, strict=False)):
                return usage
    raise KeyError(f"no subcommand is declared as {words!r}")


def example(usage: str, number: int = 42) -> str:
    """The usage as a hint to type: the swarm's number in, the other optional parts out (`cancel 42`)."""
    return without_options(usage.replace("[n]", str(number)))


def without_options(usage: str) -> str:
    """The usage with its optional parts left out: `skills [@person]` is `skills`."""
    return " ".join(re.sub(r"\[[^\]]*\]", " ", usage).split())


def split(text: str) -> tuple[str, str]:
    """The first word of what was typed after `/swarm`, and the rest."""
    words = text.strip().split(maxsplit=1)
    return (words[0], words[1]) if len(words) == 2 else (words[0] if words else "", "")


def opens_swarm(text: str) -> bool:
    """Whether what was typed after `/swarm` opens a swarm at once, rather than running a subcommand, being refused
    or being asked about first (`meant`).

    A subcommand's name first runs it. Nothing at all opens a swarm (the form, where the platform has one), and so do
    a ticket's reference (`zd:4521`, or its URL: bot/tickets.py) and two words or more that read as a case. Anything
    else is asked about before a swarm opens: a first word that is a subcommand's name mistyped (`stauts 1`), one word
    alone unless it is a #skill, or only numbers. A mistyped command that opened a swarm would ask experts for nothing
    and use up a place of the person's open limit; asking costs one click."""
    word, rest = split(text)
    if word.lower() in BY_NAME:
        return False
    if not word or word.startswith("#") or tickets.mentions_ticket(text):
        return True
    return bool(rest) and close_subcommand(word) is None and not only_numbers(text)


def only_numbers(text: str) -> bool:
    """`42`, `#42 7`: nothing a case is written with."""
    return all(w.lstrip("#").isdecimal() for w in text.split())


def close_subcommand(word: str) -> str | None:
    """The subcommand whose name `word` is a slip of the keyboard away from (`stauts` is `status`), or None.

    A slip is two neighbouring letters swapped, or, in words of five letters or more, one letter missing, added or
    changed (two from eight letters). Shorter words need the swap: `list` and `last`, `join` and `coin`, `help` and
    `held` are one letter apart, and a case that starts "Last invoice missing" is a case."""
    typed = word.lower()
    for name in BY_NAME:
        if typed == name:
            return name
    for name in BY_NAME:
        if _swapped(typed, name):
            return name
    if len(typed) >= 5:
        most = 2 if len(typed) >= 8 else 1
        near = [(distance, name) for name in BY_NAME if (distance := _edits(typed, name, most)) <= most]
        if near:
            # Of two as near (`statu`: `stats`, `status`), the one more alike.
            return min(near, key=lambda n: (n[0], -difflib.SequenceMatcher(None, typed, n[1]).ratio()))[1]
    return None


def meant(text: str) -> str | None:
    """What someone who typed `text` probably meant to run: `stauts 1` is `status 1`, `42` is `status 42`."""
    word, rest = split(text)
    if only_numbers(text) and len(text.split()) == 1:
        return f"status {word.lstrip('#')}"
    name = close_subcommand(word) if word else None
    if name is None and word and not rest:
        # One word alone is asked about anyway: a looser likeness costs nothing (`leav` is `leave`).
        name = next(iter(difflib.get_close_matches(word.lower(), BY_NAME, n=1)), None)
    if name is None:
        return None
    return f"{name} {rest}".strip()


def _swapped(typed: str, name: str) -> bool:
    """Two neighbouring letters swapped: `jion` is `join`."""
    if len(typed) != len(name) or typed == name:
        return False
    differ = [i for i, (a, b) in enumerate(zip(typed, name, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and typed[differ[0]] == name[differ[1]]
        and (typed[differ[1]] == name[differ[0]])
    )


def _edits(a: str, b: str, most: int) -> int:
    """Letters missing, added or changed to turn `a` into `b` (Levenshtein), or `most + 1` once past `most`."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return min(previous[-1], most + 1)
