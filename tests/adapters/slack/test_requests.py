"""What reaches /slack/events that is not a good request: forged, stale, malformed. Nothing changes."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from adapters.slack.mount import SCOPES
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_signing import message_event, sign

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]


async def nothing_happened(slack: SlackScenario) -> None:
    await slack.mount.idle()
    assert [c.method for c in slack.api.calls if c.method != "auth.test"] == []
    await slack.command("/swarm list", user="fay")
    assert "No swarms are open" in slack.ephemerals("fay")[-1]


async def test_a_forged_signature_is_refused(slack: SlackScenario) -> None:
    body = b"command=%2Fswarm&text=Export+fails&user_id=UANA&channel_id=C0SUPPORT&team_id=T0001&trigger_id=1.2.3"
    status, _ = await slack.sender.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}, signature="v0=00")
    assert status == 401
    await nothing_happened(slack)


async def test_a_stale_timestamp_is_refused(slack: SlackScenario) -> None:
    body = b"command=%2Fswarm&text=Export+fails&user_id=UANA&channel_id=C0SUPPORT&team_id=T0001&trigger_id=1.2.3"
    stale = int(time.time()) - 6 * 60
    status, _ = await slack.sender.raw(
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
        timestamp=stale,
        signature=sign("test-signing-secret", stale, body),
    )
    assert status == 401
    await nothing_happened(slack)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (json.dumps({"type": "event_callback", "team_id": "T0001"}).encode(), "application/json"),
        (b"", "application/json"),
        (b"\x80 not utf-8", "application/json"),
        (b"0", "application/json"),
        (b"[]", "application/json"),
        (b'payload="text"', "application/x-www-form-urlencoded"),
    ],
)
async def test_a_malformed_body_is_a_bad_request(slack: SlackScenario, body: bytes, content_type: str) -> None:
    status, _ = await slack.sender.raw(body, {"Content-Type": content_type})
    assert status == 400
    await nothing_happened(slack)


async def test_url_verification_answers_the_challenge(slack: SlackScenario) -> None:
    status, body = await slack.sender.url_verification("abc123")
    assert status == 200 and "abc123" in body


async def test_a_message_outside_any_room_is_ignored(slack: SlackScenario) -> None:
    await slack.event(message_event(SUPPORT, "UFAY", "hello", "1700000003.000100"))
    await nothing_happened(slack)


def test_the_manifest_asks_for_what_the_app_uses() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/swarm"]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_home_opened",
        "message.channels",
        "message.groups",
        "reaction_added",
        "reaction_removed",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
