"""Bot Framework activities from Teams as neutral events. Pure: what needs a lookup (the person's e-mail, whether a
thread is a swarm's room, which announcement a room card stands for) is found by the mount and passed in `Known`.

- workspace: the tenant id; channel: the conversation id (for a channel thread `19:…@thread.tacv2;messageid=…`);
  user: the person's Azure AD object id; event_id: the activity id.
- A message that @mentions the bot, or any message in the personal chat, is a command: the mention is taken out
  and `/swarm` or `swarm` in front is optional. A message in a room thread without the mention is a room message.
- `messageReaction`: Teams sends reactions only for the bot's own posts, as types (like, heart, …) on `replyToId`;
  `like` means the workspace's join emoji and `heart` its observe emoji, so the shared handlers read them as 🙋/👀.
- A message or `adaptiveCard/action` invoke whose value carries our card data is a button press or a form.
- The bot added to a personal chat opens the person's home.
- `messageUpdate` (channelData.eventType `editMessage`) and `messageDelete` (`softDeleteMessage`) of a message in a
  room: its id is the activity's; the edit has the new words. Undeleting (`undeleteMessage`) is ignored: the words
  were removed everywhere Swarm had copied them, and the restored message does not bring them back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.teams import cards
from handlers import replies
from handlers.chat import (
    ActionEvent,
    CommandEvent,
    Event,
    FormEvent,
    HomeEvent,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    Origin,
    ReactionEvent,
)

PLATFORM = "teams"
HANDLED = frozenset({"message", "messageReaction", "invoke", "conversationUpdate", "messageUpdate", "messageDelete"})
CHANGES = frozenset({"messageUpdate", "messageDelete"})
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
PREFIX = re.compile(r"^\s*/?swarm\b[:,]?\s*", re.IGNORECASE)
PLACEHOLDER = "\x00{}\x00"


class Malformed(ValueError):
    """The activity lacks what any answer to it needs (conversation, sender, service URL)."""


@dataclass(frozen=True)
class Basics:
    """Who, where and what of one activity, read once."""

    type: str
    id: str | None
    tenant: str
    conversation: str
    conversation_type: str  # "channel" | "groupChat" | "personal"
    service_url: str
    user: str  # the Teams user id (29:…)
    aad: str | None
    name: str | None
    bot: str
    reply_to: str | None
    channel: str | None  # the team channel (19:…@thread.tacv2) for channel conversations
    team: str | None

    @property
    def person(self) -> str:
        """The id the roster knows the sender by: the Azure AD object id."""
        return self.aad or self.user

    @property
    def personal(self) -> bool:
        return self.conversation_type == "personal"


@dataclass(frozen=True)
class Known:
    """What the mount looked up for this activity."""

    email: str | None = None
    in_room: bool = False
    people: Mapping[str, str] = field(default_factory=dict)  # Teams user id (29:…) → Azure AD object id
    reaction_target: str | None = None  # the announcement a reaction on a room card stands for
    card_of: int | None = None  # the swarm whose room card a reaction is on


def basics(activity: Mapping[str, Any]) -> Basics:
    kind = _str(activity.get("type"))
    if not kind:
        raise Malformed("no type")
    conversation = _map(activity.get("conversation"))
    sender = _map(activity.get("from"))
    recipient = _map(activity.get("recipient"))
    channel_data = _map(activity.get("channelData"))
    conversation_id = _str(conversation.get("id"))
    user = _str(sender.get("id"))
    service_url = _str(activity.get("serviceUrl"))
    if kind in HANDLED and not (conversation_id and user and service_url):
        raise Malformed("conversation.id, from.id and serviceUrl are required")
    tenant = (
        _str(_map(channel_data.get("tenant")).get("id"))
        or _str(conversation.get("tenantId"))
        or _str(activity.get("channelId"))
        or PLATFORM
    )
    conversation_type = _str(conversation.get("conversationType")) or (
        "channel"
        if _map(channel_data.get("channel"))
        else "personal"
        if not conversation.get("isGroup")
        else "groupChat"
    )
    channel = _str(_map(channel_data.get("channel")).get("id")) or _str(channel_data.get("teamsChannelId"))
    if conversation_type == "channel" and not channel:
        channel = conversation_id.split(";", 1)[0]
    team = _str(_map(channel_data.get("team")).get("id")) or _str(channel_data.get("teamsTeamId")) or None
    return Basics(
        type=kind,
        id=_str(activity.get("id")) or None,
        tenant=tenant,
        conversation=conversation_id,
        conversation_type=conversation_type,
        service_url=service_url,
        user=user,
        aad=_str(sender.get("aadObjectId")) or None,
        name=_str(sender.get("name")) or None,
        bot=_str(recipient.get("id")),
        reply_to=_str(activity.get("replyToId")) or None,
        channel=channel or None,
        team=team,
    )


def mentioned_people(activity: Mapping[str, Any], bot: str) -> list[str]:
    """The Teams user ids of the people (not the bot) a message @mentions."""
    return [user for user, _ in _mentions(activity) if user != bot]


def addressed(activity: Mapping[str, Any], facts: Basics) -> bool:
    """Whether a message is said to the bot: in the personal chat, or with an @mention of the bot."""
    return facts.personal or any(user == facts.bot for user, _ in _mentions(activity))


def command_text(activity: Mapping[str, Any], facts: Basics, people: Mapping[str, str] | None = None) -> str:
    """The words after the bot's @mention (and an optional `/swarm`), people's mentions as <@AAD_ID>."""
    return PREFIX.sub("", text_of(activity, facts, people or {}), count=1).strip()


def events(
    activity: Mapping[str, Any], facts: Basics, known: Known, join_emoji: str, observe_emoji: str
) -> list[Event]:
    if facts.user == facts.bot:
        return []
    origin = Origin(facts.tenant, PLATFORM, facts.person, facts.conversation, facts.name, known.email)
    if facts.type == "messageReaction":
        return _reactions(activity, facts, known, origin, {"like": join_emoji, "heart": observe_emoji})
    if facts.type in CHANGES:
        return _changed(activity, facts, known, origin)
    if facts.type == "conversationUpdate":
        added = [_str(_map(m).get("id")) for m in _list(activity.get("membersAdded"))]
        return [HomeEvent(origin, facts.id)] if facts.personal and facts.bot in added else []
    if facts.type == "invoke":
        if activity.get("name") != "adaptiveCard/action":
            return []
        action = _map(_map(activity.get("value")).get("action"))
        return _submitted(_map(action.get("data")), facts, origin)
    if facts.type != "message":
        return []
    value = activity.get("value")
    if isinstance(value, Mapping):
        return _submitted(value, facts, origin)
    if addressed(activity, facts):
        return [CommandEvent(origin, command_text(activity, facts, known.people), event_id=facts.id)]
    if known.in_room and facts.id:
        text = text_of(activity, facts, known.people)
        return [MessageEvent(origin, facts.id, text, event_id=facts.id)] if text.strip() else []
    return []


def text_of(activity: Mapping[str, Any], facts: Basics, people: Mapping[str, str]) -> str:
    """A message's text as the person meant it: no HTML, the bot's mention gone, people's as <@AAD_ID>."""
    text = _str(activity.get("text"))
    spots: list[str] = []
    for user, tag in _mentions(activity):
        if not tag or tag not in text:
            continue
        if user == facts.bot:
            text = text.replace(tag, " ")
            continue
        aad = people.get(user)
        name = TAG.sub("", tag)
        spots.append(f"<@{aad}>" if aad else html.unescape(name))
        text = text.replace(tag, PLACEHOLDER.format(len(spots) - 1))
    text = html.unescape(TAG.sub("", text.replace("<br>", "\n").replace("<br/>", "\n"))).replace("\xa0", " ")
    for i, spot in enumerate(spots):
        text = text.replace(PLACEHOLDER.format(i), spot)
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()


def _reactions(
    activity: Mapping[str, Any], facts: Basics, known: Known, origin: Origin, meaning: Mapping[str, str]
) -> list[Event]:
    target = known.reaction_target or facts.reply_to
    if not target:
        return []
    found: list[Event] = []
    for key, added in (("reactionsAdded", True), ("reactionsRemoved", False)):
        for reaction in _list(activity.get(key)):
            emoji = meaning.get(_str(_map(reaction).get("type")))
            if emoji is None:
                continue
            # One delivery may carry several reactions; each needs a key of its own to be handled once.
            event_id = None if facts.id is None else facts.id if not found else f"{facts.id}:{len(found)}"
            if known.card_of is not None and known.reaction_target is None:
                # A room card whose announcement is not posted yet: a 👍 is still a Join.
                if added and emoji == meaning["like"]:
                    found.append(ActionEvent(origin, replies.JOIN, str(known.card_of), target, event_id))
                continue
            found.append(ReactionEvent(origin, target, emoji, added, event_id))
    return found


def _changed(activity: Mapping[str, Any], facts: Basics, known: Known, origin: Origin) -> list[Event]:
    """An edit or a deletion of a message in a room. Each edit is its own delivery (one message may be edited many
    times): its key is the message id with the edit's time."""
    if not known.in_room or not facts.id:
        return []
    change = _str(_map(activity.get("channelData")).get("eventType"))
    if facts.type == "messageDelete":
        if change not in ("", "softDeleteMessage"):
            return []
        return [MessageDeleted(origin, facts.id, event_id=f"{facts.id}:deleted")]
    if change not in ("", "editMessage"):
        return []
    text = text_of(activity, facts, known.people)
    if not text.strip():
        return []
    edited = f"{facts.id}:edited:{_str(activity.get('timestamp'))}"
    return [MessageEdited(origin, facts.id, text, event_id=edited)]


def _submitted(value: Mapping[str, Any], facts: Basics, origin: Origin) -> list[Event]:
    data = cards.submitted(value)
    if data is None:
        return []
    kind, action, argument, inputs = data
    if kind == "form":
        return [FormEvent(origin, action, argument, inputs, event_id=facts.id)]
    return [ActionEvent(origin, action, argument, message_id=facts.reply_to, event_id=facts.id)]


def _mentions(activity: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = []
    for entity in _list(activity.get("entities")):
        entity = _map(entity)
        if entity.get("type") == "mention":
            found.append((_str(_map(entity.get("mentioned")).get("id")), _str(entity.get("text"))))
    return found


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else []
