"""The neutral chat layer: events that adapters make from platform payloads, the Reply handlers build, and the
ChatPort through which handlers talk back. Nothing here knows Slack, Teams or the console.

Mentions inside Reply.text are written `<@USER_ID>` with the platform's own user id; each adapter renders them
its way (Slack as is, Teams as <at> entities, the console as @Name) from Reply.mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Origin:
    """Where and by whom an event happened."""

    workspace: str
    platform: str
    user: str
    channel: str
    user_name: str | None = None
    user_email: str | None = None


@dataclass(frozen=True)
class CommandEvent:
    origin: Origin
    text: str
    thread: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class ReactionEvent:
    origin: Origin
    message_id: str
    emoji: str
    added: bool = True
    event_id: str | None = None


@dataclass(frozen=True)
class MessageEvent:
    origin: Origin
    message_id: str
    text: str
    thread: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class ActionEvent:
    """A button press (Join, Resolve, …) on a message the bot posted."""

    origin: Origin
    action: str
    value: str
    message_id: str | None = None
    event_id: str | None = None


Event = CommandEvent | ReactionEvent | MessageEvent | ActionEvent


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Reply:
    """What the bot says, platform-neutral. `text` alone must read well: it is the fallback everywhere."""

    text: str
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    mentions: dict[str, str] = field(default_factory=dict)  # user id → display name

    def plain(self) -> str:
        """Everything in the reply as text, mentions left as <@id>."""
        parts = [self.title] if self.title else []
        if self.text != self.title:
            parts.append(self.text)
        parts.extend(f"{label}: {value}" for label, value in self.fields)
        parts.extend(self.lines)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Room:
    id: str
    name: str


class ChatPort(Protocol):
    """Everything the handlers may ask of a chat platform."""

    platform: str

    async def post(self, channel: str, reply: Reply, thread: str | None = None) -> str:
        """Posts in a channel (or a thread of it); returns the new message's id."""
        ...

    async def post_private(self, channel: str, user: str, reply: Reply) -> None:
        """A message only `user` sees (ephemeral in Slack, a personal chat in Teams)."""
        ...

    async def update(self, channel: str, message_id: str, reply: Reply) -> None: ...

    async def create_room(self, name: str, topic: str, private: bool = False) -> Room:
        """Creates the swarm's room. A taken name is the adapter's to solve (it adds a suffix)."""
        ...

    async def invite(self, room: str, users: list[str]) -> None:
        """Adds people to a room; people already in it are not an error."""
        ...

    async def react(self, channel: str, message_id: str, emoji: str) -> None: ...

    async def archive(self, room: str) -> None: ...
