"""The Web API client: slack_sdk's debug lines (a call's whole request and answer) are built only when DEBUG is on."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from adapters.slack.mount import CALLS_LOGGER, web_client
from tests.fakes.slack_api import FakeSlack


@pytest.fixture(autouse=True)
def calls_logger_as_found() -> Iterator[None]:
    logger = logging.getLogger(CALLS_LOGGER)
    level = logger.level
    yield
    logger.setLevel(level)


async def test_without_debug_a_call_builds_no_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="slack_sdk")
    async with FakeSlack() as fake:
        client = web_client(fake.url, token="xoxb-test")
        # slack_sdk formats its debug lines whenever `logger.level <= DEBUG`, NOTSET (0) included.
        assert client.logger.level > logging.DEBUG
        await client.auth_test()
    assert not [r for r in caplog.records if "Received the following response" in r.getMessage()]


async def test_with_debug_on_each_call_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    async with FakeSlack() as fake:
        client = web_client(fake.url, token="xoxb-test")
        await client.auth_test()
    answered = [r for r in caplog.records if "Received the following response" in r.getMessage()]
    assert len(answered) == 1
    assert answered[0].name == CALLS_LOGGER
