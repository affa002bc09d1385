"""Every Teams payload of ../shared/real-payloads (Microsoft's documentation examples, botbuilder-js and teams.net
fixtures, captured deliveries) replayed through the real server: each has its effect or is deliberately ignored,
never an error. They are read where they are, never copied into the repository; without the folder, skipped.

Only what would leave the machine is changed: the serviceUrl becomes the fake connector's."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.teams.conftest import TeamsScenario

# What each payload must do; the others are deliberately ignored (membership and team changes, reactions to
# messages that are not Swarm's, card actions whose data is not Swarm's, a documentation example whose bot id is a
# placeholder).
ANSWERED = {
    "botbuilderjs_channel_message": "Open a swarm for the case “hi”?",
    "botbuilderjs_groupchat_message": "Nothing was opened",
    "botbuilderjs_personal_message": "Swarms start in a team channel",
    "teamsnet_channel_thread_reply_with_mention": "Swarm 1: reply to thread",
}
FOLDER = Path(__file__).resolve().parents[3].parent / "shared" / "real-payloads" / "teams"
PAYLOADS = sorted(FOLDER.glob("*.json")) if FOLDER.is_dir() else []


def replayable(path: Path, teams: TeamsScenario) -> dict[str, Any]:
    """The payload sent to the fake connector, which knows its sender as their tenant would."""
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["payload"]
    sender = payload.get("from") or {}
    aad = sender.get("aadObjectId") or f"aad-of-{sender['id'][-8:]}"
    teams.fake.add_member(sender["id"], aad, sender.get("name") or "Someone", f"{aad}@example.com")
    return payload | {"serviceUrl": teams.fake.url}


@pytest.mark.skipif(not PAYLOADS, reason=f"no real payloads at {FOLDER}")
@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
async def test_a_real_payload_has_its_effect_or_none_and_never_an_error(
    teams: TeamsScenario, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        status, _ = await teams.send(replayable(path, teams))
    assert status in (200, 202)
    assert [r.getMessage() for r in caplog.records] == []
    assert all(call.ok for call in teams.fake.calls), [(c.route, c.status) for c in teams.fake.calls]
    answer = ANSWERED.get(path.stem)
    posted = [m.text for m in teams.fake.posts()]
    if answer is None:
        assert posted == []
    else:
        assert answer in posted[0]
