"""The log handler `swarm serve` installs keeps e-mail addresses out of every record above DEBUG, whoever logs it:
a library's error text may quote one."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from adapters.logs import configure

EMAIL = "ana.private@example.org"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure(object(), stream=stream, level="DEBUG")
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_an_email_in_an_error_and_its_traceback_is_hidden(logged: io.StringIO) -> None:
    log = logging.getLogger("sqlalchemy.test")
    try:
        raise RuntimeError(f"duplicate key value violates unique constraint\nDETAIL:  Key (email)=({EMAIL}) exists.")
    except RuntimeError:
        log.exception("could not import the roster row of %s", EMAIL)
    log.warning("plain %s", EMAIL.upper())
    text = logged.getvalue()
    assert "RuntimeError: duplicate key value" in text
    assert "Key (email)=([e-mail])" in text
    assert EMAIL not in text and EMAIL.upper() not in text


def test_debug_keeps_what_it_logs(logged: io.StringIO) -> None:
    logging.getLogger("slack_sdk.test").debug("users.info answered %s", EMAIL)
    assert EMAIL in logged.getvalue()
