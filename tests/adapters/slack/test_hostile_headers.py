"""Signature headers of any shape, fuzzed and sent to the real server: a timestamp that is no number (`abc`, `1.5`),
a signature that is no hex, odd Content-Types on signed requests. Unsigned is 401, signed but malformed is 400;
never a 5xx, nothing logged at ERROR, nothing done."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.metrics import Metrics
from tests.adapters.slack.conftest import SECRET, SlackScenario, start_slack
from tests.adapters.slack.test_wire_fuzz import Recorder, recording
from tests.fakes.slack_signing import sign

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COMMAND = b"command=%2Fswarm&text=list&user_id=UANA&channel_id=C0SUPPORT&team_id=T0001&trigger_id=1.2.3"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# What a header can carry that aiohttp's client sends as it is: no control characters, no lone surrogates.
HEADER_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=80)


def server_errors(metrics: Metrics) -> int:
    """How many answers were 5xx: what the 5xx alert counts."""
    return sum(
        int(sample.value)
        for family in metrics.http_requests.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels["status"].startswith("5")
    )


class Hostile:
    def __init__(self, slack: SlackScenario, recorder: Recorder) -> None:
        self.slack = slack
        self.recorder = recorder

    def check(self, status: int, expected: tuple[int, ...]) -> None:
        assert status in expected, status
        errors = self.recorder.errors()
        self.recorder.records.clear()
        assert not errors, "\n".join(errors)
        assert server_errors(self.slack.app.metrics) == 0


@pytest.fixture
async def hostile(database_url: str) -> AsyncIterator[Hostile]:
    async for slack in start_slack(database_url):
        with recording() as recorder:
            yield Hostile(slack, recorder)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("abc", None),
        ("1.5", None),
        ("", None),
        (" 1700000000 ", None),
        ("1_700_000_000", None),
        ("١٧٠٠٠٠٠٠٠٠", None),  # Arabic-Indic digits: int() reads them
        ("9" * 5000, None),  # longer than int() converts
        ("-1", None),
        ("now", "v0=zz"),
        (None, "v0=é"),  # non-ASCII: hmac.compare_digest raises TypeError
        (None, "v1=" + "0" * 64),
        (None, "v0=" + "0" * 64 + "\t"),
    ],
)
async def test_signature_headers_of_the_wrong_shape_are_refused(
    hostile: Hostile, timestamp: str | None, signature: str | None
) -> None:
    stamp = str(int(time.time())) if timestamp in (None, "now") else timestamp
    status, _ = await hostile.slack.sender.raw(COMMAND, FORM, timestamp=stamp, signature=signature or "v0=" + "0" * 64)
    hostile.check(status, (401,))


async def test_a_body_nested_too_deeply_is_a_bad_request_even_signed(hostile: Hostile) -> None:
    status, _ = await hostile.slack.sender.raw(b"[" * 100_000, {"Content-Type": "application/json"})
    hostile.check(status, (400,))
    status, _ = await hostile.slack.sender.raw(b"payload=" + b"%5B" * 100_000, FORM)
    hostile.check(status, (400,))


@FUZZ
@given(timestamp=HEADER_TEXT | st.integers().map(str) | st.floats().map(str), signature=HEADER_TEXT)
async def test_fuzzed_signature_headers_are_refused(hostile: Hostile, timestamp: str, signature: str) -> None:
    # Empty means "leave the header out" to raw(); a signature of the right shape is still the wrong one.
    status, _ = await hostile.slack.sender.raw(COMMAND, FORM, timestamp=timestamp, signature=signature or "v0=00")
    hostile.check(status, (401,))


@FUZZ
@given(
    content_type=HEADER_TEXT,
    extra=st.dictionaries(
        st.sampled_from(["X-Slack-Retry-Num", "X-Slack-Retry-Reason", "Content-Length-Extra", "Accept"]),
        HEADER_TEXT,
        max_size=2,
    ),
)
async def test_signed_requests_with_fuzzed_headers_never_fail(
    hostile: Hostile, content_type: str, extra: dict[str, Any]
) -> None:
    stamp = int(time.time())
    headers = {**extra, "Content-Type": content_type}
    status, _ = await hostile.slack.sender.raw(
        COMMAND, headers, timestamp=stamp, signature=sign(SECRET, stamp, COMMAND)
    )
    await hostile.slack.mount.idle()
    hostile.check(status, (200, 400))
