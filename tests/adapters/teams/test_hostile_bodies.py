"""Bodies that blow up a naive JSON reader, sent to /api/messages before anyone is authenticated: refused as
malformed (400), never a 5xx, nothing logged at ERROR, nothing done."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.adapters.slack.test_hostile_headers import server_errors
from tests.adapters.slack.test_wire_fuzz import recording
from tests.adapters.teams.conftest import TeamsScenario


def nested(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"x": [value]}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"type": "message", "channelData": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"{" + b'"a":{' * 50_000 + b"}" * 50_001,
    ],
    ids=["100,000 [", "deep channelData", "50,000 objects"],
)
async def test_a_body_nested_too_deeply_is_a_bad_request(teams: TeamsScenario, body: bytes) -> None:
    with recording() as recorder:
        status, text = await teams.send(None, raw=body)
    assert status == 400
    assert "nests deeper" in text
    assert recorder.errors() == []
    assert server_errors(teams.app.metrics) == 0
    assert teams.fake.calls == []


async def test_an_activity_nested_within_reason_is_read(teams: TeamsScenario) -> None:
    activity = teams.activity("typing", "ana", "a:dm-29:ana", "1", channelData={"deep": nested(20)})
    assert (await teams.send(activity))[0] == 200
    deeper = teams.activity("typing", "ana", "a:dm-29:ana", "2", channelData={"deep": nested(40)})
    assert json.dumps(deeper).count("[") == 40
    assert (await teams.send(deeper))[0] == 400
