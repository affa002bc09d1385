"""Slack OAuth tokens encrypted at rest with SWARM_SECRET_KEY (adapters/slack/tokens.py)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import text

from adapters.cli import parser, run
from adapters.sealing import PREFIX
from adapters.slack.tokens import SealedInstallationStore, TokenKeyError
from storage.database import SqlStore
from tests.adapters.slack.conftest import SlackScenario, start_slack
from tests.adapters.slack.test_oauth import install

KEY = "a-long-random-test-secret-for-tokens"
CLIENT_ID = "111.222"


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(
        database_url, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET="shh", SWARM_SECRET_KEY=KEY
    ):
        yield scenario


async def _raw_tokens(store: SqlStore) -> list[str]:
    async with store.engine.connect() as connection:
        rows = [
            *(await connection.execute(text("SELECT bot_token, user_token FROM slack_installations"))).all(),
            *(await connection.execute(text("SELECT bot_token, bot_refresh_token FROM slack_bots"))).all(),
        ]
    return [value for row in rows for value in row if value is not None]


async def test_an_installed_token_is_stored_encrypted_and_still_works(slack: SlackScenario) -> None:
    await install(slack, "T0001", "xoxb-secret-bot-token", "code-1")
    raw = await _raw_tokens(slack.app.store)
    assert raw and all(value.startswith(PREFIX) for value in raw)
    assert not any("xoxb-secret-bot-token" in value for value in raw)
    status, _ = await slack.command("/swarm Export fails #pdf")
    assert status == 200
    assert slack.room().name == "swarm-1-export-fails"
    assert {c.token for c in slack.api.calls_to("conversations.create")} == {"xoxb-secret-bot-token"}


async def test_a_wrong_key_is_a_clear_error(slack: SlackScenario) -> None:
    await install(slack, "T0001", "xoxb-secret-bot-token", "code-1")
    wrong = SealedInstallationStore(CLIENT_ID, slack.app.store.engine, "another-key")
    with pytest.raises(TokenKeyError, match="cannot be decrypted with SWARM_SECRET_KEY"):
        await wrong.async_find_bot(enterprise_id=None, team_id="T0001")
    keyless = SealedInstallationStore(CLIENT_ID, slack.app.store.engine, None)
    with pytest.raises(TokenKeyError, match="SWARM_SECRET_KEY is not set"):
        await keyless.async_find_installation(enterprise_id=None, team_id="T0001")


async def test_plaintext_rows_keep_working_and_are_sealed_on_the_next_save(store: SqlStore) -> None:
    installation = Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T0001",
        user_id="U1",
        bot_token="xoxb-old-plain",
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write",
        user_token="xoxp-old-user",
        installed_at=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
    )
    await AsyncSQLAlchemyInstallationStore(CLIENT_ID, store.engine).async_save(installation)
    sealed = SealedInstallationStore(CLIENT_ID, store.engine, KEY)
    bot = await sealed.async_find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None and bot.bot_token == "xoxb-old-plain"
    found = await sealed.async_find_installation(enterprise_id=None, team_id="T0001")
    assert found is not None and (found.bot_token, found.user_token) == ("xoxb-old-plain", "xoxp-old-user")

    await sealed.async_save(found)
    raw = await _raw_tokens(store)
    assert raw and all(value.startswith(PREFIX) for value in raw)
    again = await sealed.async_find_installation(enterprise_id=None, team_id="T0001", user_id="U1")
    assert again is not None and (again.bot_token, again.user_token) == ("xoxb-old-plain", "xoxp-old-user")


async def test_a_long_rotating_token_fits_once_sealed(store: SqlStore) -> None:
    token = "xoxe.xoxb-1-" + "A" * 180
    sealed = SealedInstallationStore(CLIENT_ID, store.engine, KEY)
    installation = Installation(
        app_id="A1", enterprise_id=None, team_id="T0002", user_id="U1", bot_token=token, bot_refresh_token=token
    )
    await sealed.async_save(installation)
    bot = await sealed.async_find_bot(enterprise_id=None, team_id="T0002")
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == (token, token)


async def test_serve_refuses_oauth_without_a_secret_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "SWARM_DATABASE_URL": database_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "shh",
        "SLACK_SIGNING_SECRET": "signing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SWARM_SECRET_KEY", raising=False)
    code = await run(parser().parse_args(["serve", "--port", "0"]), io.StringIO())
    assert code == 2
    assert "set SWARM_SECRET_KEY" in capsys.readouterr().err
