"""The ChatPort in Teams: one TeamsChat per turn (or per proactive job), talking to the Bot Framework connector.

- A room is a thread the bot starts in the swarm channel (`create_conversation` with the channel in its channel
  data). Its first post is a placeholder that the case card then replaces, so the thread opens with the card.
- Teams has no channel invites: the people a handler invites are mentioned in the room thread, unless the next
  post in the room mentions them anyway (a join is announced with their name) — `flush` posts what is left.
- Private answers go to the person's 1:1 chat with the bot; where Teams will not open one, to the conversation they
  asked in, with an @mention.
- The message-id → swarm map: room cards and announcements are recognised by their buttons when posted and
  remembered, so a 👍 on a room card can join like one on the announcement, and the room card can follow the
  announcement when a swarm is resolved, cancelled or reopened.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.teams import cards
from adapters.teams.activities import Basics
from adapters.teams.connector import Connector, ConnectorError
from adapters.teams.state import TeamsState
from handlers import replies
from handlers.chat import ChatPort, Form, Origin, Reply, Room

log = logging.getLogger(__name__)

INVITED = "{people}: this thread is the swarm's room, and you are in it."
CHANNEL_ID = "msteams"
NO_PERSONAL_CHAT_FOR = 3600.0  # seconds before trying again to open a 1:1 chat Teams refused
# The announcement gives the swarm's status in brackets (replies.announcement_status); the room card follows it.


class NoSwarmChannel(RuntimeError):
    """A room was asked for where no team channel is known (a personal or group chat, no SWARM_TEAMS_CHANNEL)."""


@dataclass
class Teams:
    """What every TeamsChat of one server shares."""

    state: TeamsState
    app_id: str
    swarm_channel: str
    glyphs: dict[str, str]
    # A connector for proactive use (no turn): the mount opens it from a stored conversation reference.
    connect: Callable[[str], Awaitable[Connector]]
    refused_personal: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """The activity a TeamsChat answers, and the connector its turn came with."""

    facts: Basics
    connector: Connector


def reference(service_url: str, conversation: str, kind: str, tenant: str, bot: str) -> dict[str, Any]:
    """A ConversationReference as JSON: enough for `continue_conversation` to reach the conversation later."""
    return {
        "bot": {"id": bot},
        "channelId": CHANNEL_ID,
        "conversation": {
            "id": conversation,
            "conversationType": kind,
            "tenantId": tenant,
            "isGroup": kind != "personal",
        },
        "serviceUrl": service_url,
    }


class TeamsChat(ChatPort):
    platform = "teams"

    def __init__(self, teams: Teams, workspace: str, turn: Turn | None = None, room_channel: str | None = None) -> None:
        self.teams = teams
        self.workspace = workspace
        self.turn = turn
        # Where rooms start when SWARM_TEAMS_CHANNEL is not set: the team channel the swarm was asked in.
        self.room_channel = teams.swarm_channel or room_channel
        self._connector: Connector | None = turn.connector if turn else None
        self._pending: dict[str, list[str]] = {}  # room → people invited but not mentioned there yet
        self._names: dict[str, str] = {}

    @property
    def state(self) -> TeamsState:
        return self.teams.state

    async def connector(self) -> Connector:
        if self._connector is None:
            self._connector = await self.teams.connect(self.workspace)
        return self._connector

    async def bot(self) -> str:
        if self.turn is not None and self.turn.facts.bot:
            return self.turn.facts.bot
        known = await self.state.get(self.workspace, "tenant", "last")
        return str(known["bot"]) if known and known.get("bot") else f"28:{self.teams.app_id}"

    # -- ChatPort -------------------------------------------------------------------------------------------------

    async def post(self, channel: str, reply: Reply, thread: str | None = None) -> str:
        self._names.update(reply.mentions)
        connector = await self.connector()
        message = cards.message(reply, self.teams.glyphs)
        room = await self.state.room(self.workspace, channel) if thread is None else None
        if room is not None and not room.get("filled") and _number(reply, replies.RESOLVE):
            await connector.update(channel, str(room["root"]), message)
            await self.state.put(self.workspace, "room", channel, room | {"filled": True})
            message_id = str(room["root"])
        else:
            sent = connector.reply(channel, thread, message) if thread else connector.send(channel, message)
            message_id = await sent
            self._mentioned(channel, reply)
        await self._remember(channel, message_id, reply)
        return message_id

    async def post_private(self, channel: str, user: str, reply: Reply) -> None:
        self._names.update(reply.mentions)
        await self._privately(channel, user, cards.message(reply, self.teams.glyphs), reply)

    async def direct(self, user: str, reply: Reply) -> None:
        self._names.update(reply.mentions)
        conversation = await self._personal_chat(user)
        if conversation is None:
            raise LookupError(f"Teams will not open a 1:1 chat with {user}")
        await (await self.connector()).send(conversation, cards.message(reply, self.teams.glyphs))

    async def pin(self, channel: str, message_id: str) -> None:
        """Teams bots cannot pin; the card itself, edited in place, is the summary."""

    async def update(self, channel: str, message_id: str, reply: Reply) -> None:
        connector = await self.connector()
        await connector.update(channel, message_id, cards.message(reply, self.teams.glyphs))

    async def post_marked(self, channel: str, reply: Reply, key: str, thread: str | None = None) -> str:
        return await self.post(channel, reply, thread)

    async def find_post(self, channel: str, key: str, since: datetime, thread: str | None = None) -> str | None:
        """The Bot Framework reads no channel history: an interrupted post is made again."""
        return None

    async def set_topic(self, room: str, topic: str) -> None:
        """A Teams room is a thread: its root card, posted by create_room, carries the topic."""

    async def create_room(
        self, name: str, topic: str, private: bool = False, made_since: datetime | None = None
    ) -> Room:
        channel = self.room_channel
        if not channel:
            raise NoSwarmChannel("no team channel to start the room in: set SWARM_TEAMS_CHANNEL")
        if private:
            log.info("Teams threads cannot be private; the room is a thread in %s", channel)
        connector = await self.connector()
        conversation, root = await connector.create(
            {
                "is_group": True,
                "bot": await self.bot(),
                "tenant_id": self.workspace,
                "channel_data": {"channel": {"id": channel}, "tenant": {"id": self.workspace}},
                "activity": cards.placeholder(name, topic),
            }
        )
        root = root or conversation.partition(";messageid=")[2]
        await self.state.put(self.workspace, "room", conversation, {"root": root, "title": name, "filled": False})
        service_url = await self._service_url()
        if service_url:
            ref = reference(service_url, conversation, "channel", self.workspace, await self.bot())
            await self.state.put(self.workspace, "conversation", conversation, ref)
        return Room(conversation, name)

    async def invite(self, room: str, users: list[str]) -> None:
        pending = self._pending.setdefault(room, [])
        pending += [u for u in users if u not in pending]

    async def react(self, channel: str, message_id: str, emoji: str) -> None:
        """Bots cannot react in Teams."""

    async def archive(self, room: str) -> None:
        """A thread cannot be archived; the room card shows the swarm is closed."""

    async def open_form(self, origin: Origin, trigger: str | None, form: Form) -> bool:
        await self._privately(origin.channel, origin.user, cards.form_message(form), None)
        return True

    async def show_home(self, user: str, reply: Reply) -> None:
        message = cards.message(reply, self.teams.glyphs)
        conversation = await self._personal_chat(user)
        home = await self.state.get(self.workspace, "home", user)
        pressed = self.turn.facts.reply_to if self.turn else None
        connector = await self.connector()
        if conversation and home and pressed and home.get("message") == pressed:
            await connector.update(conversation, pressed, message)
            return
        if conversation is None:
            if self.turn is None:
                raise ConnectorError("home", None, f"no 1:1 chat with {user}")
            conversation = self.turn.facts.conversation
        message_id = await connector.send(conversation, message)
        await self.state.put(self.workspace, "home", user, {"message": message_id, "conversation": conversation})

    async def find_user(self, email: str) -> str | None:
        known = await self.state.aad_by_email(self.workspace, email)
        if known or self.turn is None:
            return known
        member = await (await self.connector()).member(self.turn.facts.conversation, email)
        aad = str(member.get("aadObjectId") or member.get("objectId") or "") if member else ""
        if not member or not aad:
            return None
        await self.state.remember_user(self.workspace, aad, str(member.get("id") or ""), member.get("name"), email)
        return aad

    # -- Teams-only -----------------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Mentions, in their room, the people invited there whom no post has mentioned yet."""
        pending, self._pending = self._pending, {}
        for room, users in pending.items():
            if not users:
                continue
            names = {u: self._names.get(u) or await self._name(u) for u in users}
            people = ", ".join(f"<@{u}>" for u in users)
            await self.post(room, Reply(INVITED.format(people=people), mentions=names))

    async def close_form(self, conversation: str, message_id: str, title: str, note: str) -> None:
        await (await self.connector()).update(conversation, message_id, cards.closed_form(title, note))

    # -- helpers --------------------------------------------------------------------------------------------------

    def _mentioned(self, channel: str, reply: Reply) -> None:
        if channel in self._pending:
            self._pending[channel] = [u for u in self._pending[channel] if u not in reply.mentions]

    async def _name(self, user: str) -> str:
        known = await self.state.user(self.workspace, user)
        return str(known["name"]) if known and known.get("name") else user

    async def _service_url(self) -> str | None:
        if self.turn is not None:
            return self.turn.facts.service_url
        known = await self.state.get(self.workspace, "tenant", "last")
        return str(known["serviceUrl"]) if known else None

    async def _privately(self, channel: str, user: str, message: dict[str, Any], reply: Reply | None) -> None:
        connector = await self.connector()
        if await self._is_personal(channel):
            await connector.send(channel, message)
            return
        conversation = await self._personal_chat(user)
        if conversation is not None:
            try:
                await connector.send(conversation, message)
                return
            except ConnectorError as err:
                if err.status in (429, 412) or err.status is None or err.status >= 500:
                    raise
                log.info("Teams refused the 1:1 chat with %s (%s); answering in the conversation", user, err.status)
                self.teams.refused_personal[(self.workspace, user)] = time.monotonic() + NO_PERSONAL_CHAT_FOR
        name = self._names.get(user) or await self._name(user)
        if reply is not None:
            message = cards.message(_addressed(reply, user, name), self.teams.glyphs)
        else:
            message = _address_card(message, user, name)
        await connector.send(channel, message)

    async def _is_personal(self, conversation: str) -> bool:
        if self.turn is not None and conversation == self.turn.facts.conversation:
            return self.turn.facts.personal
        known = await self.state.get(self.workspace, "conversation", conversation)
        kind = (known or {}).get("conversation", {}).get("conversationType")
        return bool(kind == "personal")

    async def _personal_chat(self, user: str) -> str | None:
        """The person's 1:1 chat with the bot, opened if need be; None where Teams will not open one."""
        known = await self.state.get(self.workspace, "personal", user)
        if known:
            return str(known["conversation"])
        refused_until = self.teams.refused_personal.get((self.workspace, user), 0.0)
        if refused_until > time.monotonic():
            return None
        teams_id = await self._teams_id(user)
        if teams_id is None:
            return None
        try:
            conversation, _ = await (await self.connector()).create(
                {
                    "is_group": False,
                    "bot": await self.bot(),
                    "members": [teams_id],
                    "tenant_id": self.workspace,
                    "channel_data": {"tenant": {"id": self.workspace}},
                }
            )
        except ConnectorError as err:
            if err.status in (429, 412) or err.status is None or err.status >= 500:
                raise
            log.info("Teams would not open a 1:1 chat with %s (HTTP %s)", user, err.status)
            self.teams.refused_personal[(self.workspace, user)] = time.monotonic() + NO_PERSONAL_CHAT_FOR
            return None
        await self.state.put(self.workspace, "personal", user, {"conversation": conversation})
        service_url = await self._service_url()
        if service_url:
            ref = reference(service_url, conversation, "personal", self.workspace, await self.bot())
            await self.state.put(self.workspace, "conversation", conversation, ref)
        return conversation

    async def _teams_id(self, user: str) -> str | None:
        if self.turn is not None and user == self.turn.facts.person:
            return self.turn.facts.user
        known = await self.state.user(self.workspace, user)
        # Never seen in Teams: try the AAD object id; if Teams will not take it, the answer goes to the conversation.
        return str(known["id"]) if known and known.get("id") else user

    async def _remember(self, channel: str, message_id: str, reply: Reply) -> None:
        """Keeps which swarm a room card or an announcement belongs to, by the buttons on it."""
        card = _number(reply, replies.RESOLVE)
        if card is not None:
            await self.state.put(self.workspace, "card", message_id, {"swarm": card, "conversation": channel})
            await self.state.merge(self.workspace, "swarm", str(card), card=message_id, card_conversation=channel)
            return
        announced = _number(reply, replies.JOIN)
        if announced is not None:
            await self.state.put(self.workspace, "announcement", message_id, {"swarm": announced})
            await self.state.merge(
                self.workspace, "swarm", str(announced), announcement=message_id, announcement_conversation=channel
            )


def _number(reply: Reply, action: str) -> int | None:
    for button in reply.buttons:
        if button.action == action and button.value.isdecimal():
            return int(button.value)
    return None


def _addressed(reply: Reply, user: str, name: str) -> Reply:
    """The reply with the person @mentioned in front, for when it cannot go to them alone."""
    mentions = {**reply.mentions, user: name}
    if reply.title:
        return dataclasses.replace(reply, title=f"<@{user}> {reply.title}", mentions=mentions)
    return dataclasses.replace(reply, text=f"<@{user}> {reply.text}", mentions=mentions)


def _address_card(message: dict[str, Any], user: str, name: str) -> dict[str, Any]:
    """A form card with the person @mentioned on top, for when it cannot go to them alone."""
    mention = cards.Mentioned(user, " ".join(re.sub(r"[<>&]", "", name).split()) or "someone")
    content = dict(message["attachments"][0]["content"])
    content["body"] = [{"type": "TextBlock", "text": mention.tag, "wrap": True}, *content["body"]]
    content["msteams"] = {**content.get("msteams", {}), "entities": [mention.entity()]}
    return {**message, "attachments": [{**message["attachments"][0], "content": content}]}
