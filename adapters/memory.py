"""An in-memory chat platform: records every call so tests can assert on it, and backs the console workspace.

Channels are known by name (`support`, `swarm-1-acme-cannot-export-invoices`); message ids are "1", "2", … in the
order the workspace saw them, shared by people's messages and the bot's posts, like a console's line numbers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.chat import ChatPort, Form, Origin, Reply, Room

MENTION = re.compile(r"<@([^>]+)>")


@dataclass
class Call:
    """One request the handlers made of the platform."""

    method: str
    args: dict[str, Any]


@dataclass
class Message:
    id: str
    channel: str
    author: str  # a user id, or "swarm" for the bot
    text: str
    reply: Reply | None = None
    thread: str | None = None
    private_to: str | None = None
    reactions: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Channel:
    id: str
    name: str
    topic: str = ""
    private: bool = False
    archived: bool = False
    members: set[str] = field(default_factory=set)


class MemoryChat(ChatPort):
    def __init__(self, platform: str = "console", workspace: str = "console", forms: bool = False) -> None:
        self.platform = platform
        self.workspace = workspace
        self.forms = forms  # the console has no forms; tests switch them on to drive form flows
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, Message] = {}
        self.marks: dict[str, str] = {}  # post_marked's keys → message ids
        self.listeners: list[Callable[[str, Message], None]] = []  # told ("post" | "update", message) as it happens
        self._ids = itertools.count(1)

    # -- ChatPort -------------------------------------------------------------------------------------------------

    async def post(self, channel: str, reply: Reply, thread: str | None = None) -> str:
        self.calls.append(Call("post", {"channel": channel, "reply": reply, "thread": thread}))
        message = self.add_message(channel, "swarm", render(reply), reply=reply, thread=thread)
        self._tell("post", message)
        return message.id

    async def post_marked(self, channel: str, reply: Reply, key: str, thread: str | None = None) -> str:
        message_id = await self.post(channel, reply, thread)
        self.marks[key] = message_id
        return message_id

    async def find_post(self, channel: str, key: str, since: datetime, thread: str | None = None) -> str | None:
        self.calls.append(Call("find_post", {"channel": channel, "key": key, "thread": thread}))
        found = self.marks.get(key)
        if found is None or (self.messages[found].channel, self.messages[found].thread) != (channel, thread):
            return None
        return found

    async def post_private(self, channel: str, user: str, reply: Reply) -> None:
        self.calls.append(Call("post_private", {"channel": channel, "user": user, "reply": reply}))
        self._tell("post", self.add_message(channel, "swarm", render(reply), reply=reply, private_to=user))

    async def direct(self, user: str, reply: Reply) -> None:
        self.calls.append(Call("direct", {"user": user, "reply": reply}))
        self._tell("post", self.add_message(f"@{user}", "swarm", render(reply), reply=reply, private_to=user))

    async def pin(self, channel: str, message_id: str) -> None:
        self.calls.append(Call("pin", {"channel": channel, "message_id": message_id}))

    async def update(self, channel: str, message_id: str, reply: Reply) -> None:
        self.calls.append(Call("update", {"channel": channel, "message_id": message_id, "reply": reply}))
        message = self.messages[message_id]
        message.text, message.reply = render(reply), reply
        self._tell("update", message)

    async def create_room(
        self, name: str, topic: str, private: bool = False, made_since: datetime | None = None
    ) -> Room:
        self.calls.append(Call("create_room", {"name": name, "topic": topic, "private": private}))
        unique, suffix = name, 1
        while unique in self.channels:
            suffix += 1
            unique = f"{name[: 80 - len(str(suffix)) - 1]}-{suffix}"
        self.channels[unique] = Channel(unique, unique, topic, private)
        return Room(unique, unique)

    async def set_topic(self, room: str, topic: str) -> None:
        self.channel(room).topic = topic

    async def invite(self, room: str, users: list[str]) -> None:
        self.calls.append(Call("invite", {"room": room, "users": list(users)}))
        self.channel(room).members.update(users)

    async def react(self, channel: str, message_id: str, emoji: str) -> None:
        self.calls.append(Call("react", {"channel": channel, "message_id": message_id, "emoji": emoji}))
        self.messages[message_id].reactions.setdefault(emoji, set()).add("swarm")

    async def archive(self, room: str) -> None:
        self.calls.append(Call("archive", {"room": room}))
        self.channel(room).archived = True

    async def open_form(self, origin: Origin, trigger: str | None, form: Form) -> bool:
        self.calls.append(Call("open_form", {"user": origin.user, "trigger": trigger, "form": form}))
        return self.forms

    async def show_home(self, user: str, reply: Reply) -> None:
        self.calls.append(Call("show_home", {"user": user, "reply": reply}))

    async def find_user(self, email: str) -> str | None:
        self.calls.append(Call("find_user", {"email": email}))
        return email if self.platform == "console" else None

    # -- the workspace itself -------------------------------------------------------------------------------------

    def _tell(self, event: str, message: Message) -> None:
        for listener in self.listeners:
            listener(event, message)

    def channel(self, name: str) -> Channel:
        if name not in self.channels:
            self.channels[name] = Channel(name, name)
        return self.channels[name]

    def add_message(
        self,
        channel: str,
        author: str,
        text: str,
        reply: Reply | None = None,
        thread: str | None = None,
        private_to: str | None = None,
    ) -> Message:
        self.channel(channel)
        message = Message(str(next(self._ids)), channel, author, text, reply, thread, private_to)
        self.messages[message.id] = message
        return message

    def posts(self, channel: str | None = None, method: str = "post") -> list[Reply]:
        """What the bot sent, oldest first; `channel` narrows it to one channel."""
        return [c.args["reply"] for c in self.calls if c.method == method and channel in (None, c.args.get("channel"))]

    def private(self, user: str | None = None) -> list[Reply]:
        """What the bot told people privately, in a channel or in their own chat; `user` narrows it to one person."""
        return [
            c.args["reply"]
            for c in self.calls
            if c.method in ("post_private", "direct") and user in (None, c.args["user"])
        ]

    def direct_messages(self, user: str | None = None) -> list[Reply]:
        """What the bot sent people in their own chat with it (nudges, reminders)."""
        return [c.args["reply"] for c in self.calls if c.method == "direct" and user in (None, c.args["user"])]

    def last_private(self, user: str) -> str:
        replies = self.private(user)
        return replies[-1].plain() if replies else ""

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]


def render(reply: Reply) -> str:
    """The reply as console text: mentions become @Name, escapes are undone, buttons show as [Label]."""
    text = reply.plain()
    if reply.buttons:
        text += "\n" + "  ".join(f"[{b.label}]" for b in reply.buttons)
    text = MENTION.sub(lambda m: "@" + reply.mentions.get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
