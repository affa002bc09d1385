"""Connector retries and credentials, without a server: what is retried, how long it waits, what is never done on
the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import jwt
import pytest
import requests
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.connector import Backoff, ConnectorError, Credentials, TokenCache, failure, retrying


class Refused(HttpOperationError):
    def __init__(self, status: int, retry_after: str | None = None) -> None:
        response = requests.Response()
        response.status_code = status
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        self.response = response
        self.message = f"HTTP {status}"


def backoff(slept: list[float], attempts: int = 4) -> Backoff:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return Backoff(attempts=attempts, base=0.5, cap=4.0, sleep=sleep)


async def run(errors: list[BaseException], slept: list[float], attempts: int = 4) -> str:
    async def call() -> str:
        if errors:
            raise errors.pop(0)
        return "done"

    return await retrying("send", call, backoff(slept, attempts))


@pytest.mark.parametrize("status", [412, 429, 502, 503, 504])
async def test_transient_answers_are_retried(status: int) -> None:
    slept: list[float] = []
    assert await run([Refused(status), Refused(status)], slept) == "done"
    assert len(slept) == 2
    assert 0.25 <= slept[0] <= 0.5 and 0.5 <= slept[1] <= 1.0


async def test_timeouts_and_dropped_connections_are_retried() -> None:
    slept: list[float] = []
    assert await run([ClientRequestError("timed out"), TimeoutError()], slept) == "done"
    assert len(slept) == 2


async def test_retry_after_is_honoured_in_seconds_or_as_a_date() -> None:
    slept: list[float] = []
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert await run([Refused(429, "7"), Refused(503, later)], slept) == "done"
    assert slept[0] == 7
    assert 25 <= slept[1] <= 31


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 500])
async def test_other_failures_are_not_retried(status: int) -> None:
    slept: list[float] = []
    with pytest.raises(ConnectorError) as raised:
        await run([Refused(status)], slept)
    assert raised.value.status == status and slept == []


async def test_retries_are_bounded() -> None:
    slept: list[float] = []
    with pytest.raises(ConnectorError) as raised:
        await run([Refused(429)] * 10, slept, attempts=3)
    assert raised.value.status == 429 and len(slept) == 2


async def test_a_retry_after_longer_than_we_wait_gives_up_at_once() -> None:
    slept: list[float] = []
    with pytest.raises(ConnectorError):
        await run([Refused(429, "3600")], slept)
    assert slept == []


def test_failure_reads_status_and_retry_after() -> None:
    assert failure(Refused(429, "2")) == (429, 2.0)
    assert failure(Refused(502)) == (502, None)
    assert failure(ValueError()) == (None, None)


class AppCredentials:
    """Stands in for botframework's MicrosoftAppCredentials: a blocking token fetch that counts where it ran."""

    def __init__(self) -> None:
        self.microsoft_app_id = "app"
        self.threads: list[int] = []

    def get_access_token(self) -> str:
        self.threads.append(threading.get_ident())
        return jwt.encode({"exp": int(time.time()) + 3600}, "a-test-secret-long-enough-for-hs256", algorithm="HS256")

    def signed_session(self, session: Any = None) -> Any:
        raise AssertionError("the blocking path must not be taken")


class Factory:
    def __init__(self) -> None:
        self.made = 0

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == "app"

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(self, app_id: str, scope: str, login: str, validate: bool) -> AppCredentials:
        self.made += 1
        return AppCredentials()


async def test_one_set_of_credentials_per_app_and_scope_with_its_token_fetched_off_the_loop() -> None:
    inner = Factory()
    cache = TokenCache(inner)
    first = await cache.create_credentials("app", "https://api.botframework.com", "https://login", True)
    again = await cache.create_credentials("app", "https://api.botframework.com", "https://login", True)
    assert first is again and inner.made == 1
    assert await cache.is_valid_app_id("app") and not await cache.is_authentication_disabled()

    await asyncio.gather(first.ready(), first.ready())
    await first.ready()
    assert isinstance(first, Credentials) and isinstance(first.inner, AppCredentials)
    assert len(first.inner.threads) == 1
    assert first.inner.threads[0] != threading.get_ident()
    session = first.signed_session(requests.Session())
    assert session.headers["Authorization"] == f"Bearer {first.token}"
