"""Secrets never reach the logs: every record of every logger (slack_sdk, slack_bolt, aiohttp, botbuilder, msrest,
sqlalchemy, ours) at DEBUG, through the handler `swarm serve` installs (adapters/logs.py), during a whole Slack
scenario (an OAuth install, open, join, resolve) and a whole Teams scenario (authentication on), in both formats.
The formatted output is searched for each secret's value."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adapters import logs
from adapters.settings import Settings
from storage.database import SqlStore
from tests.adapters.slack.conftest import SECRET, SUPPORT, SlackScenario, start_slack
from tests.adapters.slack.test_oauth import install
from tests.adapters.teams import test_auth
from tests.adapters.teams.conftest import TENANT, start_teams
from tests.fakes.teams_connector import FakeConnector

BOT_TOKEN = "xoxb-1111-2222-SeCrEtBoTtOkEn0001"
SIGNING_SECRET = SECRET  # "test-signing-secret": start_slack signs with it
CLIENT_SECRET = "client-SeCrEt-77aa99bb"
SECRET_KEY = "swarm-key-SeCrEt-kf83hs92jd72hs"
APP_PASSWORD = "teams-app-password-SeCrEt-9x8y7z"
OUTBOUND = test_auth.OUTBOUND  # the Bot Framework token the bot sends to the connector
SECRETS = [BOT_TOKEN, SIGNING_SECRET, CLIENT_SECRET, SECRET_KEY, APP_PASSWORD]


@contextmanager
def everything_logged(settings: Any, fmt: str) -> Iterator[io.StringIO]:
    """The handler Swarm installs, at DEBUG, writing to a buffer; the root logger's level put back after."""
    out = io.StringIO()
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy")  # SQLAlchemy sets its own level to WARNING
    levels = root.level, sql.level
    handler = logs.configure(settings, stream=out, level="DEBUG", fmt=fmt)  # type: ignore[arg-type]
    sql.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        sql.setLevel(levels[1])


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the logs"
    # The libraries did log at DEBUG, so the search searched something.
    for name in ("sqlalchemy.engine", "aiohttp.access"):
        assert name in text, f"no record from {name}"


@pytest.fixture(params=["text", "json"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(
        database_url,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SWARM_SECRET_KEY=SECRET_KEY,
    ):
        yield scenario


async def test_a_whole_slack_scenario_logs_no_secret(slack: SlackScenario, fmt: str) -> None:
    with everything_logged(slack.app.settings, fmt) as out:
        await install(slack, "T0001", BOT_TOKEN, "code-1")
        status, _ = await slack.command("/swarm ACME cannot export invoices #billing #pdf sev2")
        assert status == 200
        room = slack.room().id
        announcement = next(m["ts"] for m in slack.api.messages(SUPPORT) if "is open for" in m.get("text", ""))
        await slack.react("raising_hand", SUPPORT, announcement, user="fay")
        await slack.say("restarting the export worker fixed it", user="ben", channel=room)
        await slack.command("/swarm resolve restarted the export worker cause: stale cache", channel=room)
    assert "is resolved" in slack.posts(room)[-1]["text"]
    assert {c.token for c in slack.api.calls_to("chat.postMessage")} == {BOT_TOKEN}
    text = out.getvalue()
    assert "slack_sdk.web" in text and "slack_sdk.oauth" in text
    assert_no_secret(text, SECRETS)
    assert logs.REDACTED in text  # slack_sdk logged oauth.v2.access's answer, token and all, and it was redacted
    if fmt == "json":
        assert all(json.loads(line)["level"] for line in text.splitlines())


@pytest.fixture
async def teams(store: SqlStore) -> AsyncIterator[Any]:
    fake = FakeConnector(TENANT, token=OUTBOUND)
    jwk = json.loads(__import__("jwt").algorithms.RSAAlgorithm.to_jwk(test_auth.KEY.public_key()))
    fake.jwks = [jwk | {"kid": test_auth.KEY_ID, "use": "sig", "endorsements": ["msteams"]}]
    async with fake:
        auth = test_auth.checked_by(fake.openid_url)
        async with start_teams(
            store,
            fake=fake,
            auth=auth,
            MICROSOFT_APP_ID=test_auth.APP_ID,
            MICROSOFT_APP_PASSWORD=APP_PASSWORD,
            SWARM_SECRET_KEY=SECRET_KEY,
        ) as scenario:
            yield scenario


async def test_a_whole_teams_scenario_logs_no_secret(teams: Any, fmt: str) -> None:
    bearer = {"Authorization": f"Bearer {test_auth.token(teams.fake.url)}"}
    teams.headers.update(bearer)
    with everything_logged(teams.app.settings, fmt) as out:
        await teams.message("ACME cannot export invoices #billing sev2", user="ana")
        await teams.react(teams.announcement(1), user="fay")
        await teams.message(
            "resolve set rounding to half-up cause: 4.2 default changed", user="ana", thread=teams.room(1)
        )
    assert any("resolved" in text for text in teams.said(teams.room(1)))
    text = out.getvalue()
    assert "botbuilder" in text or "msrest" in text
    assert_no_secret(text, [*SECRETS, OUTBOUND])


def test_settings_name_every_secret_to_redact() -> None:
    settings = Settings(
        _env_file=None,
        SWARM_DATABASE_URL="postgresql://swarm:db-password-SeCrEt@db/swarm",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_APP_TOKEN="xapp-1-A111-222-SeCrEtAppToken",
        MICROSOFT_APP_PASSWORD=APP_PASSWORD,
        SWARM_SECRET_KEY=SECRET_KEY,
        SWARM_WEB_TOKEN="web-token-SeCrEt-1234",
    )
    out = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure(settings, stream=out, level="INFO")
    try:
        log = logging.getLogger("tests.secrets")
        for value in logs.secrets_of(settings):
            log.info("the value is %s", value)
            log.info("quoted %s", json.dumps({"v": value}))
        log.info("an unknown workspace's token xoxb-9999-8888-AnotherWorkspaceToken in a response")
        try:
            raise RuntimeError(f"failed with {CLIENT_SECRET}")
        except RuntimeError:
            log.exception("boom")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = out.getvalue()
    assert len(logs.secrets_of(settings)) == 8
    assert "SeCrEt" not in text and SIGNING_SECRET not in text and "AnotherWorkspaceToken" not in text
    assert text.count(logs.REDACTED) >= 2 * 8 + 2
    assert "RuntimeError: failed with [redacted]" in text


async def test_swarm_log_format_json_makes_every_line_a_json_object(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.app import App

    monkeypatch.setenv("SWARM_LOG_FORMAT", "json")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    root = logging.getLogger()
    level = root.level
    app = await App.start(Settings(_env_file=None, SWARM_DATABASE_URL=database_url))
    try:
        log = logging.getLogger("handlers.router")
        try:
            raise ValueError(f"bad {CLIENT_SECRET}")
        except ValueError:
            log.exception("failed to handle %s", "an event")
        log.warning("plain\nwith a newline")
    finally:
        await app.close()
        for handler in [h for h in root.handlers if isinstance(h, logs.SwarmHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    failed, plain = lines[-2], lines[-1]
    assert set(failed) == {"ts", "level", "logger", "message", "exc_info"}
    assert (failed["level"], failed["logger"], failed["message"]) == (
        "ERROR",
        "handlers.router",
        "failed to handle an event",
    )
    assert failed["exc_info"].startswith("Traceback") and "ValueError: bad [redacted]" in failed["exc_info"]
    assert failed["ts"].endswith("+00:00")
    assert plain["message"] == "plain\nwith a newline" and "exc_info" not in plain
