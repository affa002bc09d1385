"""The Web API client: slack_sdk's debug lines (a call's whole request and answer) are built only while DEBUG is on."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.mount import CALLS_LOGGER, web_client
from tests.fakes.slack_api import FakeSlack

ANSWERED = "Received the following response"


async def test_without_debug_a_call_builds_no_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="slack_sdk")
    async with FakeSlack() as fake:
        client = web_client(fake.url, token="xoxb-test")
        # slack_sdk formats its debug lines whenever `logger.level <= DEBUG`, NOTSET (0) included.
        assert client.logger.level == logging.INFO
        await client.auth_test()
    assert not [r for r in caplog.records if ANSWERED in r.getMessage()]


async def test_debug_turned_on_after_the_client_was_made_logs_each_call(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="slack_sdk")
    async with FakeSlack() as fake:
        client = web_client(fake.url, token="xoxb-test")
        caplog.set_level(logging.DEBUG, logger="slack_sdk")
        await client.auth_test()
    answered = [r for r in caplog.records if ANSWERED in r.getMessage()]
    assert len(answered) == 1
    assert answered[0].name == CALLS_LOGGER
