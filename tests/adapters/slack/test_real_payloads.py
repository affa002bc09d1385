"""Real Slack deliveries (SDK fixtures, captured deliveries, documentation examples, in ../shared/real-payloads, with
their sources) replayed through the real server, signed as Slack signs: each has its effect, or is a deliberate
no-op, never an error. Only what would leave the machine (response_url hosts) and, for the effects, the channel and
people ids are changed. Skipped where the folder is absent: the payloads are not copied into the repository."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.models import EventKind
from tests.adapters.slack.conftest import SlackScenario
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_signing import message_event

FOLDER = (Path(__file__).parents[3] / "../shared/real-payloads/slack").resolve()
RECORDS = sorted(FOLDER.glob("*.json")) if FOLDER.is_dir() else []
SLACK_HOOKS = "https://hooks.slack.com/"


def record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    return loaded


def request(slack: SlackScenario, kept: dict[str, Any]) -> tuple[bytes, str]:
    """The body and content type Slack sends a record's payload with; a Socket Mode envelope's payload is sent as
    the same delivery over HTTP. response_urls point at the fake Slack, not at hooks.slack.com."""
    payload, kind = kept["payload"], kept["kind"]
    if kind == "socket":
        kind = {"events_api": "event", "interactive": "interactive", "slash_commands": "command"}[payload["type"]]
        payload = payload["payload"]
        if kind == "command":
            payload = urlencode(payload)
    hooks = slack.api.hooks_url.rstrip("/") + "/"
    if kind in ("command", "raw_form"):
        fields = [(k, v.replace(SLACK_HOOKS, hooks)) for k, v in parse_qsl(payload, keep_blank_values=True)]
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    text = json.dumps(payload).replace(SLACK_HOOKS, hooks)
    if kind == "interactive":
        return urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"
    return text.encode(), "application/json"


needs_them = pytest.mark.skipif(not RECORDS, reason="../shared/real-payloads is absent")


@needs_them
@pytest.mark.parametrize("path", RECORDS, ids=[p.stem for p in RECORDS])
async def test_every_real_delivery_is_answered_and_makes_no_error(
    slack: SlackScenario, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As the sources have them (ids of other workspaces, people Slack's fake does not know): what Swarm has no use
    for is acked and ignored (200, never bolt's 404 that Slack retries), what fails to look someone up is a
    warning."""
    body, content_type = request(slack, record(path.name))
    status, _ = await slack.sender.raw(body, {"Content-Type": content_type})
    await slack.mount.idle()
    assert status == 200
    assert [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR] == []


def into_room(payload: dict[str, Any], room: str, user: str) -> dict[str, Any]:
    """The delivery as if it came from our workspace, in the swarm's room, from one of the roster: every field that
    names the source's team, the event's channel or its author is given ours. Nothing else changes."""
    event = payload["event"]
    authors = {m.get("user") for m in (event, event.get("message") or {}, event.get("previous_message") or {})}
    ids = {event.get("channel"): room} | {author: user for author in authors if author}
    teams = {"team_id", "team", "channel_team", "context_team_id"}

    def mapped(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: mapped(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [mapped(v, key) for v in value]
        if isinstance(value, str) and key in teams:
            return TEAM_ID
        return ids.get(value, value) if isinstance(value, str) else value

    kept: dict[str, Any] = mapped(payload)
    return kept


# What the swarm's timeline holds after each message-like delivery, replayed in its room (`before`: what the room
# said first, for an edit or a deletion of it).
ROOM_EFFECTS: dict[str, tuple[list[str], list[str]]] = {
    "bolt_message": ([], ["Hello World!"]),
    "mercury_message": ([], ["dgsfklsdgf"]),
    "mercury_message_rich_text": (
        [],
        ["<#C043YJGBY49|general> :cat: <@U043H11ES4V> <https://google.com> text text text"],
    ),
    "sdk_socket_message": ([], ["<@U111> Hi here!"]),
    "bolt_message_thread_broadcast": ([], ["Hi there!"]),
    "bolt_message_file_share": ([], ["Hi there!"]),
    "mercury_forwarded_message": ([], ["123"]),  # text "", the words in attachments
    "bolt_message_changed": (["original message"], ["updated message"]),
    "mercury_message_changed_unfurl": (  # Slack added a link preview: the words did not change
        ["<https://jadeapptesting.slack.com/archives/C043YJGBY49/p1663966292304369>"],
        ["<https://jadeapptesting.slack.com/archives/C043YJGBY49/p1663966292304369>"],
    ),
    "bolt_message_deleted": (["Delete this message"], []),
    "mercury_message_deleted": (["This message will be deleted"], []),
    "bolt_message_bot_other_app": ([], []),
    "bolt_message_classic_bot_message": ([], []),
    "mercury_bot_message_own_app": ([], []),
    "mercury_message_subtype_bot_message": ([], []),
    "mercury_channel_join": ([], []),
}


@needs_them
@pytest.mark.parametrize("name", sorted(ROOM_EFFECTS))
async def test_each_real_room_message_has_its_effect_on_the_timeline(
    slack: SlackScenario, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    await slack.command("/swarm ACME cannot export invoices to PDF since 4.2 #billing")
    room = slack.room().id
    kept = record(f"{name}.json")
    if kept["kind"] == "socket":
        kept = {**kept, "kind": "event", "payload": kept["payload"]["payload"]}
    kept["payload"] = into_room(kept["payload"], room, "UCHEN")
    before, after = ROOM_EFFECTS[name]
    earlier = kept["payload"]["event"].get("previous_message") or {}
    for words in before:  # the message as it was said, with the ts the edit or deletion names
        await slack.event(message_event(room, "UCHEN", words, earlier["ts"]))
    assert await said(slack) == before

    body, content_type = request(slack, kept)
    status, _ = await slack.sender.raw(body, {"Content-Type": content_type})
    await slack.mount.idle()
    assert status == 200
    assert await said(slack) == after
    assert [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.WARNING] == []


async def said(slack: SlackScenario) -> list[str]:
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        return [e.text for e in await uow.swarms.timeline(swarm.id) if e.kind is EventKind.MESSAGE]
