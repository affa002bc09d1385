"""Slack payloads → neutral events. Pure functions: what is a user action, and what is noise (the bot's own posts,
edits, joins) is decided here, once. A payload whose fields are missing or of the wrong type (a forged or broken
request with a valid signature) is noise too: None, never an exception in a listener."""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.blocks import form_context, submitted_values
from handlers.chat import (
    ActionEvent,
    CommandEvent,
    FormEvent,
    HomeEvent,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    Origin,
    ReactionEvent,
)

# Message subtypes that are something a person said; every other subtype (joins, edits, bot posts) is not.
SPOKEN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}
SLACK_ID = re.compile(r"[A-Z0-9]{2,40}")


def _id(value: Any) -> str | None:
    """A Slack id (U0123ABCD, C0123ABCD, D…, W…): uppercase letters and digits; None for anything else."""
    return value if isinstance(value, str) and SLACK_ID.fullmatch(value) else None


def _text(value: Any) -> str | None:
    """A non-empty string field, or None (missing, empty, or not a string)."""
    return value if isinstance(value, str) and value else None


def _ts(value: Any) -> str | None:
    """A Slack timestamp ("1700000000.000100"), or None."""
    text = _text(value)
    return text if text is not None and len(text) <= 32 and "\x00" not in text else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def origin(team: str, user: str, channel: str, name: str | None = None, email: str | None = None) -> Origin:
    return Origin(team, "slack", user, channel, name, email)


def command(team: str, body: dict[str, Any]) -> CommandEvent:
    trigger = body.get("trigger_id")
    return CommandEvent(
        origin(team, body["user_id"], body["channel_id"], body.get("user_name")),
        body.get("text", ""),
        event_id=f"command:{trigger}" if trigger else None,
        trigger=trigger,
    )


def message(
    team: str, event: dict[str, Any], event_id: str | None, bot_user: str | None
) -> MessageEvent | MessageEdited | MessageDeleted | None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return edited(team, event, event_id, bot_user)
    if subtype == "message_deleted":
        return deleted(team, event, event_id)
    if (subtype is not None and not isinstance(subtype, str)) or subtype not in SPOKEN_SUBTYPES:
        return None
    user, channel, ts = _id(event.get("user")), _id(event.get("channel")), _ts(event.get("ts"))
    if event.get("bot_id") or user is None or user == bot_user or channel is None or ts is None:
        return None
    return MessageEvent(
        origin(team, user, channel),
        ts,
        words(event),
        thread=_ts(event.get("thread_ts")),
        event_id=event_id,
    )


def words(message: dict[str, Any]) -> str:
    """What a message says: its text, or, for a forwarded (shared) message, whose `text` is empty, the words of the
    messages it forwards, which Slack puts in `attachments`. Link previews (unfurls) of a message with words of its
    own add nothing: they are what a link points to, not what the person said."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return ""
    shared = [_dict(a).get("text") for a in attachments if _dict(a).get("is_share") or _dict(a).get("is_msg_unfurl")]
    return "\n".join(t for t in shared if isinstance(t, str) and t.strip())


def edited(team: str, event: dict[str, Any], event_id: str | None, bot_user: str | None) -> MessageEdited | None:
    """A `message_changed`: Slack nests the message as it is now in `message` and as it was in `previous_message`
    (the top level is the change itself: its own ts, no user). Slack sends one too when it adds a link preview or a
    reply count: only a change of the words is an edit."""
    now, before = _dict(event.get("message")), _dict(event.get("previous_message"))
    channel, user = _id(event.get("channel")), _id(now.get("user"))
    ts = _ts(now.get("ts")) or _ts(before.get("ts"))
    if channel is None or user is None or ts is None or now.get("bot_id") or user == bot_user:
        return None
    text = words(now)
    if not text.strip() or text == words(before):
        return None
    return MessageEdited(origin(team, user, channel), ts, text, event_id=event_id)


def deleted(team: str, event: dict[str, Any], event_id: str | None) -> MessageDeleted | None:
    """A `message_deleted`: `deleted_ts` is the message that is gone (the top-level ts is the deletion's own)."""
    before = _dict(event.get("previous_message"))
    channel, ts = _id(event.get("channel")), _ts(event.get("deleted_ts")) or _ts(before.get("ts"))
    if channel is None or ts is None:
        return None
    return MessageDeleted(origin(team, _id(before.get("user")) or "", channel), ts, event_id=event_id)


def reaction(team: str, event: dict[str, Any], event_id: str | None, bot_user: str | None) -> ReactionEvent | None:
    item = _dict(event.get("item"))
    user, channel, ts = _id(event.get("user")), _id(item.get("channel")), _ts(item.get("ts"))
    emoji = _text(event.get("reaction"))
    if item.get("type") != "message" or user is None or user == bot_user:
        return None
    if channel is None or ts is None or emoji is None:
        return None
    return ReactionEvent(
        origin(team, user, channel),
        ts,
        emoji.split("::")[0],  # skin tones ("raising_hand::skin-tone-3") are the same emoji
        added=event.get("type") == "reaction_added",
        event_id=event_id,
    )


def home(team: str, event: dict[str, Any], event_id: str | None) -> HomeEvent | None:
    user = _id(event.get("user"))
    if event.get("tab", "home") != "home" or user is None:
        return None
    return HomeEvent(origin(team, user, _id(event.get("channel")) or ""), event_id)


def action(team: str, body: dict[str, Any]) -> ActionEvent | None:
    actions = body.get("actions")
    user = _id(_dict(body.get("user")).get("id"))
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict) or user is None:
        return None
    pressed = actions[0]
    container = _dict(body.get("container"))
    channel = _id(_dict(body.get("channel")).get("id")) or _id(container.get("channel_id")) or ""
    message_ts = _ts(_dict(body.get("message")).get("ts")) or _ts(container.get("message_ts"))
    trigger = _text(body.get("trigger_id"))
    return ActionEvent(
        origin(team, user, channel),
        str(pressed.get("action_id", "")),
        str(pressed.get("value", "")),
        message_id=message_ts,
        event_id=f"action:{trigger}:{pressed.get('action_ts', '')}" if trigger else None,
        trigger=trigger,
    )


def form(team: str, body: dict[str, Any]) -> FormEvent | None:
    view, user = body.get("view"), _id(_dict(body.get("user")).get("id"))
    if not isinstance(view, dict) or user is None:
        return None
    metadata = view.get("private_metadata")
    value, channel = form_context({"private_metadata": metadata if isinstance(metadata, str) else ""})
    return FormEvent(
        origin(team, user, channel),
        str(view.get("callback_id", "")),
        value,
        _submitted(view),
        event_id=f"view:{view.get('id', '')}:{view.get('hash', '')}",
    )


def _submitted(view: dict[str, Any]) -> dict[str, str]:
    """What was entered, from view.state, keeping only the entries shaped as Slack sends them."""
    values = _dict(_dict(view.get("state")).get("values"))
    state: dict[str, Any] = {}
    for block_id, actions in values.items():
        entry = _dict(_dict(actions).get("value"))
        if entry.get("type") == "static_select":
            entry = {"type": "static_select", "selected_option": _dict(entry.get("selected_option"))}
        state[str(block_id)] = {"value": entry}
    return submitted_values({"state": {"values": state}})


def routable(body: dict[str, Any]) -> bool:
    """Whether bolt can route an interaction payload without failing: it reads `actions[0]["action_id"]` of a
    block_actions (and matches it as a string) and `view["callback_id"]` and `view["type"]` of a view payload,
    unchecked, and answers 500 when they are missing or of another type. A payload it cannot route is malformed
    (400). Other payloads are not checked here."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        return (
            isinstance(actions, list)
            and bool(actions)
            and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        )
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return isinstance(view, dict) and isinstance(view.get("callback_id"), str) and isinstance(view.get("type"), str)
    return True
