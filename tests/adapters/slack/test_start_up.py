"""`swarm serve` starting with Slack set up wrong or out of reach: one line of what to check, not a traceback; a
non-zero exit where nothing can be served, else /healthz live and /readyz not ready until Slack answers."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.cli import parser, run
from tests.adapters.web.test_serve import free_port
from tests.fakes.slack_api import DEFAULT_TOKEN, TEAM_ID, FakeSlack

SECRET = "test-signing-secret"


@pytest.fixture
def slack_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Slack for one workspace, as docs/slack.md sets it up; each test changes what it is about."""
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_TOKEN)
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID", "SWARM_WEB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def serve(*argv: str, port: int | None = None) -> int:
    args = ["serve", "--host", "127.0.0.1", "--port", str(port or free_port()), *argv]
    return await run(parser().parse_args(args), io.StringIO())


def one_line(err: str) -> str:
    """What `swarm serve` said on standard error: exactly one line, and no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


async def test_a_rejected_bot_token_stops_the_start_with_one_line(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeSlack() as slack:
        slack_env.setenv("SLACK_API_URL", slack.url)
        slack_env.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
        assert await serve() == 2
    assert one_line(capsys.readouterr().err).startswith(
        "Slack rejected SLACK_BOT_TOKEN (invalid_auth): check that it is this app's token"
    )


async def test_a_signing_secret_alone_says_what_else_slack_needs(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.delenv("SLACK_BOT_TOKEN")
    assert await serve() == 2
    assert one_line(capsys.readouterr().err).startswith(
        "SLACK_SIGNING_SECRET is set, but no way to act in Slack: set SLACK_BOT_TOKEN"
    )


async def test_socket_mode_without_its_app_token_says_so(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await serve("--socket-mode") == 2
    assert one_line(capsys.readouterr().err).startswith("--socket-mode needs SLACK_APP_TOKEN, the app-level token")


@contextlib.asynccontextmanager
async def refusing_app_tokens() -> AsyncIterator[str]:
    """Slack that takes the bot token (auth.test) and refuses the app-level token (apps.connections.open), as it
    answers a revoked or mistyped xapp- token; its base URL."""

    async def auth_test(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "team_id": TEAM_ID, "user_id": "UBOT", "bot_id": "B0001"})

    async def connections_open(_: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error": "invalid_auth"})

    api = web.Application()
    api.router.add_post("/api/auth.test", auth_test)
    api.router.add_post("/api/apps.connections.open", connections_open)
    server = TestServer(api, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/api/"))
    finally:
        await server.close()


async def test_socket_mode_with_a_rejected_app_token_stops_instead_of_retrying_for_ever(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with refusing_app_tokens() as url:
        slack_env.setenv("SLACK_API_URL", url)
        slack_env.setenv("SLACK_APP_TOKEN", "xapp-revoked")
        assert await asyncio.wait_for(serve("--socket-mode"), 30) == 2
    assert one_line(capsys.readouterr().err).startswith("Slack rejected SLACK_APP_TOKEN (invalid_auth)")


async def test_socket_mode_with_no_way_to_slack_stops(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeSlack() as slack:
        slack_env.setenv("SLACK_API_URL", slack.url)
        slack_env.setenv("SLACK_APP_TOKEN", "xapp-test")
        slack.drop("auth.test", times=10)  # every connection closed unanswered, as with no network
        assert await serve("--socket-mode") == 2
    assert one_line(capsys.readouterr().err).startswith(f"Cannot reach Slack at {slack.url} (")


async def test_over_http_slack_out_of_reach_is_not_ready_until_it_answers(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.setenv("SWARM_LOG_LEVEL", "INFO")
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        slack_env.setenv("SLACK_API_URL", slack.url)
        slack.drop("auth.test", times=1000)
        port = free_port()
        server = asyncio.create_task(serve(port=port))
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"{url}/healthz") as health:
                        if health.status == 200:
                            break
                assert not server.done(), capsys.readouterr().err
                await asyncio.sleep(0.05)
            async with http.get(f"{url}/readyz") as ready:
                assert ready.status == 503
                reasons = (await ready.json())["reasons"]
                assert len(reasons) == 1 and reasons[0].startswith(f"Cannot reach Slack at {slack.url} (")
            slack.clear_faults()
            async with http.get(f"{url}/readyz") as ready:
                assert (ready.status, await ready.json()) == (200, {"ready": True})
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "Cannot reach Slack" in err and "Serving anyway; /readyz says not ready until Slack answers." in err
    # A good start is news, not a warning: INFO, shown when asked for.
    assert re.search(rf"INFO +adapters\.web: Swarm is listening on http://127\.0\.0\.1:{port}\n", err), err
