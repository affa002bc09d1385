"""The console workspace: you are a person in a channel, everything the bot posts is printed.

Lines are the same in the REPL and in a script: `/swarm …`, `/as <person>`, `/in <channel>`, `/react <emoji> [n]`,
`/unreact <emoji> [n]`, `/click <button> [n]`, `/people`, `/channels`, `/help`, `/quit`; anything else is a message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from typing import TextIO

from adapters.memory import MemoryChat, Message
from bot.errors import UserError
from bot.models import Person
from bot.people import People
from handlers.chat import ActionEvent, Button, CommandEvent, Event, MessageEvent, Origin, ReactionEvent
from handlers.router import Outcome, Router

WORKSPACE = "console"
START_CHANNEL = "support"
EMOJI = {"🙋": "raising_hand", "👀": "eyes", "✅": "white_check_mark", "👍": "+1", "✋": "raising_hand"}

HELP = """Console commands:
  /swarm …               talk to Swarm (/swarm help lists what it does)
  /as <person>           become someone else from the roster (e-mail or name)
  /in <channel>          go to a channel; `/in swarm-1` is enough for a room
  /react <emoji> [n]     react to message n (default: the last one here); /unreact takes it back
  /click <button> [n]    press a button by its label (Join, Can't now, 👍 Wendy, 1–5; any case, the start of it
                         will do) on message n (default: the newest one here or in Swarm's messages to you that
                         has it)
  /people, /channels     who is in the roster, which channels exist
  /quit                  leave
Anything else is a message in the current channel."""


class ConsoleError(Exception):
    """A console line that could not be carried out (not Swarm's answer, the console's own)."""


class Console:
    def __init__(self, router: Router, chat: MemoryChat, people: People, out: TextIO, user: Person) -> None:
        self.router = router
        self.chat = chat
        self.people = people
        self.out = out
        self.user = user
        self.channel = START_CHANNEL
        self.done = False
        chat.listeners.append(self._show)

    @property
    def user_id(self) -> str:
        user = self.user.chat_id(self.chat.platform)
        assert user is not None
        return user

    @property
    def prompt(self) -> str:
        return f"{self.user.name} #{self.channel}> "

    async def line(self, text: str) -> bool:
        """Carries out one line; False if it failed (Swarm refused it, or it could not be done)."""
        text = text.strip()
        if not text or text.startswith("//"):
            return True
        try:
            return await self._line(text)
        except ConsoleError as err:
            self.out.write(f"! {err}\n")
            return False

    async def _line(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if word == "/swarm":
            return await self._send(CommandEvent(self._origin(), rest))
        if word == "/as":
            await self._become(rest)
        elif word == "/in":
            self._go(rest)
        elif word in ("/react", "/unreact"):
            emoji, message = self._target(rest)
            reactions = message.reactions.setdefault(emoji, set())
            added = word == "/react"
            (reactions.add if added else reactions.discard)(self.user_id)
            return await self._send(ReactionEvent(self._origin(message.channel), message.id, emoji, added))
        elif word == "/click":
            button, message = self._button(rest)
            return await self._click(button, message)
        elif word == "/people":
            self._roster(await self.people.roster(WORKSPACE))
        elif word == "/channels":
            self._channels()
        elif word == "/help":
            self.out.write(HELP + "\n")
        elif word in ("/quit", "/exit"):
            self.done = True
        elif word.startswith("/"):
            raise ConsoleError(f"unknown console command {word}; /help lists them")
        else:
            message = self.chat.add_message(self.channel, self.user_id, text)
            return await self._send(MessageEvent(self._origin(), message.id, text))
        return True

    async def run(self, lines: Iterable[str], echo: bool) -> list[int]:
        """Runs lines in order; returns the numbers of the lines that failed."""
        failed = []
        for number, text in enumerate(lines, 1):
            if echo and text.strip():
                self.out.write(f"{self.prompt}{text.rstrip()}\n")
            if not await self.line(text):
                failed.append(number)
            if self.done:
                break
        return failed

    async def repl(self) -> None:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - gives input() history and line editing

        self.out.write("Swarm console. /help for console commands, /swarm help for Swarm, /quit to leave.\n")
        while not self.done:
            try:
                text = await asyncio.to_thread(input, self.prompt)
            except (EOFError, KeyboardInterrupt):
                self.out.write("\n")
                break
            await self.line(text)

    # -- steps ----------------------------------------------------------------------------------------------------

    async def _send(self, event: Event) -> bool:
        outcome = await self.router.handle(event)
        return outcome in (Outcome.DONE, Outcome.DUPLICATE)

    def _origin(self, channel: str | None = None) -> Origin:
        return Origin(WORKSPACE, self.chat.platform, self.user_id, channel or self.channel, self.user.name)

    async def _become(self, who: str) -> None:
        if not who:
            raise ConsoleError("say who: /as ana@example.com")
        try:
            self.user = await self.people.find(WORKSPACE, who)
        except UserError as err:
            raise ConsoleError(f"nobody in the roster is called {who}; /people lists them") from err
        self.out.write(f"You are now {self.user.name}.\n")

    def _go(self, name: str) -> None:
        name = name.lstrip("#").strip()
        if not name:
            raise ConsoleError("say where: /in support")
        if name not in self.chat.channels:
            rooms = [c for c in self.chat.channels if c == name or c.startswith(name + "-")]
            name = rooms[0] if len(rooms) == 1 else name
        self.channel = self.chat.channel(name).name

    def _target(self, rest: str) -> tuple[str, Message]:
        parts = rest.split()
        if not parts:
            raise ConsoleError("say what, e.g. /react raising_hand 3")
        name = EMOJI.get(parts[0], parts[0].strip(":").lower())
        if len(parts) > 1:
            message = self.chat.messages.get(parts[1].lstrip("#[").rstrip("]"))
            if message is None:
                raise ConsoleError(f"there is no message {parts[1]}")
            return name, message
        return name, self._newest_here()

    def _button(self, rest: str) -> tuple[Button, Message]:
        """The button to press, by its label (any case, or the start of it if that is enough), and its message:
        message n when the line ends with n, else the newest that has it among this channel's and the ones only you
        see (such as the question Swarm asks you in your own chat after a resolve)."""
        label = rest.strip()
        if not label:
            raise ConsoleError("say which button, e.g. /click Join")
        for message in reversed(self.chat.messages.values()):
            visible = message.private_to == self.user_id or (
                message.channel == self.channel and message.private_to is None
            )
            button = button_named(label, message.reply.buttons) if visible and message.reply else None
            if button is not None:
                return button, message
        words = label.rsplit(maxsplit=1)
        if len(words) == 2 and words[1].lstrip("#[").rstrip("]") in self.chat.messages:
            label, number = words[0], words[1].lstrip("#[").rstrip("]")
            message = self.chat.messages[number]
        else:
            message = self._newest_here()  # to say which buttons there are
        button = button_named(label, message.reply.buttons if message.reply else ())
        if button is None:
            raise ConsoleError(f"message {message.id} has no {label} button{_offered(message)}")
        return button, message

    def _newest_here(self) -> Message:
        here = [m for m in self.chat.messages.values() if m.channel == self.channel and m.private_to is None]
        if not here:
            raise ConsoleError(f"there is no message in #{self.channel} yet")
        return here[-1]

    async def _click(self, button: Button, message: Message) -> bool:
        return await self._send(ActionEvent(self._origin(message.channel), button.action, button.value, message.id))

    def _roster(self, people: list[Person]) -> None:
        for person in people:
            skills = ", ".join(f"{s}:{level}" for s, level in sorted(person.skills.items()))
            role = f" ({person.role.value})" if person.role.above_agent else ""
            self.out.write(
                f"  {person.name} <{person.email}> {person.department or ''} {person.timezone} {skills}{role}\n"
            )

    def _channels(self) -> None:
        for channel in self.chat.channels.values():
            flag = " (archived)" if channel.archived else ""
            self.out.write(f"  #{channel.name}{flag} {channel.topic}\n")

    def _show(self, event: str, message: Message) -> None:
        if message.author != "swarm" or (message.private_to not in (None, self.user_id)):
            return
        where = "(only you)" if message.private_to else f"[{message.id}] #{message.channel}"
        if message.thread:
            where += f" (thread of {message.thread})"
        label = "Swarm (edited)" if event == "update" else "Swarm"
        body = message.text.replace("\n", "\n    ")
        self.out.write(f"{where} {label}: {body}\n")


def button_named(label: str, buttons: Sequence[Button]) -> Button | None:
    """The button a label names: its whole label or action, in any case, else the one label it starts; several
    that it starts is a question back (ConsoleError), none is None."""
    wanted = _folded(label)
    for button in buttons:
        if wanted in (_folded(button.label), button.action.casefold()):
            return button
    starting = [button for button in buttons if _folded(button.label).startswith(wanted)]
    if len(starting) > 1:
        raise ConsoleError(f"{label} could be {' or '.join(b.label for b in starting)}: say which")
    return starting[0] if starting else None


def _folded(label: str) -> str:
    """A label as typed and as shown compare equal: case, runs of spaces and curly apostrophes aside."""
    return " ".join(label.replace("\u2019", "'").casefold().split())


def _offered(message: Message) -> str:
    labels = [button.label for button in message.reply.buttons] if message.reply else []
    return f" (it has {', '.join(labels)})" if labels else ""
