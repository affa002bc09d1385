"""Slack payloads → neutral events. Pure functions: what is a user action, and what is noise (the bot's own posts,
edits, joins) is decided here, once."""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import form_context, submitted_values
from handlers.chat import ActionEvent, CommandEvent, FormEvent, HomeEvent, MessageEvent, Origin, ReactionEvent

# Message subtypes that are something a person said; every other subtype (joins, edits, bot posts) is not.
SPOKEN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


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


def message(team: str, event: dict[str, Any], event_id: str | None, bot_user: str | None) -> MessageEvent | None:
    if event.get("subtype") not in SPOKEN_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return None
    if event["user"] == bot_user:
        return None
    return MessageEvent(
        origin(team, event["user"], event["channel"]),
        str(event["ts"]),
        event.get("text", ""),
        thread=event.get("thread_ts"),
        event_id=event_id,
    )


def reaction(team: str, event: dict[str, Any], event_id: str | None, bot_user: str | None) -> ReactionEvent | None:
    item = event.get("item", {})
    if item.get("type") != "message" or event.get("user") in (None, bot_user):
        return None
    return ReactionEvent(
        origin(team, event["user"], item["channel"]),
        str(item["ts"]),
        str(event["reaction"]).split("::")[0],  # skin tones ("raising_hand::skin-tone-3") are the same emoji
        added=event.get("type") == "reaction_added",
        event_id=event_id,
    )


def home(team: str, event: dict[str, Any], event_id: str | None) -> HomeEvent | None:
    if event.get("tab", "home") != "home":
        return None
    return HomeEvent(origin(team, event["user"], event.get("channel", "")), event_id)


def action(team: str, body: dict[str, Any]) -> ActionEvent | None:
    actions = body.get("actions") or []
    if not actions:
        return None
    pressed = actions[0]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    trigger = body.get("trigger_id")
    return ActionEvent(
        origin(team, body["user"]["id"], channel),
        str(pressed.get("action_id", "")),
        str(pressed.get("value", "")),
        message_id=message_ts,
        event_id=f"action:{trigger}:{pressed.get('action_ts', '')}" if trigger else None,
        trigger=trigger,
    )


def form(team: str, body: dict[str, Any]) -> FormEvent:
    view = body["view"]
    value, channel = form_context(view)
    return FormEvent(
        origin(team, body["user"]["id"], channel),
        str(view.get("callback_id", "")),
        value,
        submitted_values(view),
        event_id=f"view:{view.get('id', '')}:{view.get('hash', '')}",
    )
