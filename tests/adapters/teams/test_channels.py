"""Whose activities are served: the Bot Framework's token vouches for its service, not for the channel or the
tenant the body names. Teams only (the emulator only in emulator mode); a SingleTenant app serves its own tenant."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.cli import teams_emulator_start_up
from adapters.settings import Settings
from adapters.teams.mount import authentication
from storage.database import SqlStore
from tests.adapters.teams.conftest import TENANT, TeamsScenario, start_teams, teams_id

APP_ID = "3f1c2a7e-0d3b-4c8e-9a41-1e6b2f0c9d01"


def asking_for_help(teams: TeamsScenario, channel_id: str = "msteams", tenant: str = TENANT) -> dict[str, Any]:
    chat = teams.fake.personal_chat(teams_id("ana"))
    activity = teams.activity("message", "ana", chat, teams.fake.new_id(), text="help")
    activity["channelId"] = channel_id
    activity["channelData"]["tenant"]["id"] = tenant
    activity["conversation"]["tenantId"] = tenant
    return activity


def emulated(activity: dict[str, Any]) -> dict[str, Any]:
    """What the Bot Framework Emulator sends: channel `emulator`, no tenant, no AAD object id."""
    del activity["channelData"], activity["conversation"]["tenantId"], activity["from"]["aadObjectId"]
    return activity | {"channelId": "emulator"}


@pytest.mark.parametrize("channel_id", ["webchat", "directline", "slack", "emulator", None])
async def test_activities_of_other_bot_framework_channels_are_refused(teams: TeamsScenario, channel_id: Any) -> None:
    status, _ = await teams.send(asking_for_help(teams, channel_id))
    assert status == 403
    assert teams.fake.calls == []


async def test_a_teams_activity_is_served(teams: TeamsScenario) -> None:
    status, _ = await teams.send(asking_for_help(teams))
    assert status == 202
    assert teams.told("ana")


async def test_a_single_tenant_app_refuses_other_tenants(store: SqlStore) -> None:
    single = {"MICROSOFT_APP_TYPE": "SingleTenant", "MICROSOFT_APP_TENANT_ID": TENANT}
    # Authentication off (no app id) so that no token is needed: the tenant is checked after it, from the body.
    auth = authentication(Settings(_env_file=None))  # type: ignore[call-arg]
    async with start_teams(store, auth=auth, **single) as teams:
        status, _ = await teams.send(asking_for_help(teams, tenant="tenant-elsewhere"))
        assert status == 403
        assert teams.fake.calls == []
        status, _ = await teams.send(asking_for_help(teams))
        assert status == 202
        assert teams.told("ana")


async def test_a_multi_tenant_app_serves_any_tenant(teams: TeamsScenario) -> None:
    status, _ = await teams.send(asking_for_help(teams, tenant="tenant-elsewhere"))
    assert status == 202


async def test_emulator_mode_serves_the_emulator_without_a_token(store: SqlStore) -> None:
    # Even with an app id set, emulator mode is authentication off: the emulator sends no token.
    async with start_teams(store, MICROSOFT_APP_ID=APP_ID, SWARM_TEAMS_EMULATOR="true") as teams:
        status, _ = await teams.send(emulated(asking_for_help(teams)))
        assert status == 202
        assert teams.told("ana")


async def test_without_emulator_mode_a_request_without_a_token_is_refused(store: SqlStore) -> None:
    async with start_teams(store, MICROSOFT_APP_ID=APP_ID) as teams:
        status, _ = await teams.send(asking_for_help(teams))
        assert status == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.net"])
def test_emulator_mode_is_refused_on_an_address_others_can_reach(host: str) -> None:
    settings = Settings(_env_file=None, SWARM_TEAMS_EMULATOR="true")  # type: ignore[call-arg]
    problem = teams_emulator_start_up(settings, host)
    assert problem is not None and "loopback" in problem


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost"])
def test_emulator_mode_on_loopback_says_loudly_that_nothing_is_authenticated(
    host: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, SWARM_TEAMS_EMULATOR="true")  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING):
        assert teams_emulator_start_up(settings, host) is None
    assert "NOT authenticated" in caplog.text


def test_us_government_is_the_sdks_own_government_cloud() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, MICROSOFT_APP_ID=APP_ID, MICROSOFT_CHANNEL_SERVICE="https://botframework.azure.us"
    )
    assert "Government" in type(authentication(settings)._inner).__name__


def test_the_endpoints_of_another_cloud_go_together() -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(_env_file=None, MICROSOFT_OPENID_METADATA_URL="https://login.example/openid")  # type: ignore[call-arg]
