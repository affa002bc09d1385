"""The neutral chat layer: events that adapters make from platform payloads, the Reply handlers build, and the
ChatPort through which handlers talk back. Nothing here knows Slack, Teams or the console.

Mentions inside Reply.text are written `<@USER_ID>` with the platform's own user id; each adapter renders them
its way (Slack as is, Teams as <at> entities, the console as @Name) from Reply.mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    user_admin: bool = False  # the platform says they administer the workspace: Swarm's admin too


@dataclass(frozen=True)
class CommandEvent:
    origin: Origin
    text: str
    thread: str | None = None
    event_id: str | None = None
    trigger: str | None = None  # lets the handler open a form in reply (Slack's trigger_id)


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
class MessageEdited:
    """A person changed the words of a message they had written; `origin.user` is its author."""

    origin: Origin
    message_id: str
    text: str
    event_id: str | None = None


@dataclass(frozen=True)
class MessageDeleted:
    """A message was deleted (by its author or an admin): its words must not outlive it anywhere Swarm copied them.
    `origin.user` is its author when the platform says, else empty."""

    origin: Origin
    message_id: str
    event_id: str | None = None


@dataclass(frozen=True)
class ActionEvent:
    """A button press (Join, Resolve, …) on a message the bot posted."""

    origin: Origin
    action: str
    value: str
    message_id: str | None = None
    event_id: str | None = None
    trigger: str | None = None


@dataclass(frozen=True)
class FormEvent:
    """A submitted form: `values` maps each Field.id to what the person entered."""

    origin: Origin
    action: str
    value: str
    values: dict[str, str] = field(default_factory=dict)
    event_id: str | None = None


@dataclass(frozen=True)
class HomeEvent:
    """The person opened Swarm's home (Slack's App Home tab)."""

    origin: Origin
    event_id: str | None = None


Event = (
    CommandEvent | ReactionEvent | MessageEvent | MessageEdited | MessageDeleted | ActionEvent | FormEvent | HomeEvent
)


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
class Field:
    """One input of a form."""

    id: str
    label: str
    value: str = ""
    multiline: bool = False
    optional: bool = False
    choices: tuple[str, ...] = ()  # a pick-one list instead of free text
    hint: str = ""


@dataclass(frozen=True)
class Form:
    """A form the person fills in; submitting it comes back as a FormEvent with the same action and value."""

    action: str
    title: str
    fields: tuple[Field, ...]
    submit: str = "Submit"
    value: str = ""  # context carried to the submission, e.g. a swarm number or the channel it was asked in


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

    async def post_marked(self, channel: str, reply: Reply, key: str, thread: str | None = None) -> str:
        """Posts as `post` does, marked with `key` so that `find_post` finds it again: a step that must not be done
        twice (a case card, an announcement, a summary) even when a crash lost the answer that said it was done."""
        ...

    async def find_post(self, channel: str, key: str, since: datetime, thread: str | None = None) -> str | None:
        """The id of the bot's post marked `key` in the channel (or that thread of it) since then, or None (also where
        the platform cannot tell). Costs a look at the history: asked only when resuming an interrupted step."""
        ...

    async def post_private(self, channel: str, user: str, reply: Reply) -> None:
        """A message only `user` sees (ephemeral in Slack, a personal chat in Teams)."""
        ...

    async def direct(self, user: str, reply: Reply) -> None:
        """A message in the person's own chat with the bot (a Slack DM, a Teams 1:1 chat): nudges, reminders."""
        ...

    async def update(self, channel: str, message_id: str, reply: Reply) -> None: ...

    async def pin(self, channel: str, message_id: str) -> None:
        """Keeps a message in view at the top of the channel where the platform can (Slack pins); else nothing."""
        ...

    async def create_room(
        self, name: str, topic: str, private: bool = False, made_since: datetime | None = None
    ) -> Room:
        """Creates the swarm's room. A taken name is the adapter's to solve (it adds a suffix), except that a room of
        that name the bot itself made since `made_since` (the swarm's creation) is the swarm's own — made before a
        crash lost its id — and is returned, not made twice. The topic is set by `set_topic` once the room is saved;
        a platform that creates a room with its topic in one step uses it here."""
        ...

    async def set_topic(self, room: str, topic: str) -> None:
        """Sets (again) the room's topic; nothing where the room was created with it."""
        ...

    async def invite(self, room: str, users: list[str]) -> None:
        """Adds people to a room; people already in it are not an error."""
        ...

    async def react(self, channel: str, message_id: str, emoji: str) -> None: ...

    async def archive(self, room: str) -> None: ...

    async def open_form(self, origin: Origin, trigger: str | None, form: Form) -> bool:
        """Shows a form to the person who acted; False where the platform has no forms (the caller falls back)."""
        ...

    async def show_home(self, user: str, reply: Reply) -> None:
        """Swarm's home for one person (Slack's App Home)."""
        ...

    async def find_user(self, email: str) -> str | None:
        """The platform user id of an e-mail address, None if nobody has it."""
        ...
