"""A workspace that uninstalls Swarm, or revokes its bot token, is let go: no more jobs there, no more sign-in to the
web pages (sessions open there end), and its data kept or deleted as SWARM_UNINSTALL_DATA says."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.scheduler import Runner
from tests.adapters.slack.conftest import SlackScenario, start_slack
from tests.adapters.slack.test_oauth import install
from tests.fakes.slack_api import TEAM_ID

OAUTH = {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "shh", "SWARM_SECRET_KEY": "k" * 40}


@pytest.fixture
async def installed(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, **OAUTH):
        await install(scenario, "T0001", "xoxb-one", "code-1")
        await install(scenario, "T0002", "xoxb-two", "code-2")
        for team in ("T0001", "T0002"):  # jobs run where Swarm has data: a first command makes the workspace
            scenario.sender.team_id = team
            await scenario.command("/swarm list")
        yield scenario


async def from_team(slack: SlackScenario, team: str, event: dict[str, object]) -> int:
    slack.sender.team_id = team
    status, _ = await slack.event(event)
    return status


async def keys(slack: SlackScenario) -> list[str]:
    async with slack.app.store.unit() as uow:
        return await uow.workspaces.keys()


async def test_an_uninstall_stops_the_jobs_there_and_keeps_the_data(installed: SlackScenario) -> None:
    installed.sender.team_id = "T0001"
    await installed.command("/swarm Export fails for ACME #pdf")
    assert sorted(await installed.mount.workspaces()) == ["T0001", "T0002"]

    assert await from_team(installed, "T0001", {"type": "app_uninstalled"}) == 200

    assert await installed.mount.workspaces() == ["T0002"]
    done = await Runner([installed.mount]).run("tick")
    assert (done.ran, done.failed) == (["T0002"], [])
    assert "T0001" in await keys(installed)  # SWARM_UNINSTALL_DATA=keep, the default


async def test_a_revoked_bot_token_is_an_uninstall_and_a_revoked_person_token_is_not(
    installed: SlackScenario,
) -> None:
    revoked_people = {"type": "tokens_revoked", "tokens": {"oauth": ["UANA"]}}
    assert await from_team(installed, "T0002", revoked_people) == 200
    assert sorted(await installed.mount.workspaces()) == ["T0001", "T0002"]

    revoked_bot = {"type": "tokens_revoked", "tokens": {"oauth": ["UANA"], "bot": ["UBOT"]}}
    assert await from_team(installed, "T0002", revoked_bot) == 200
    assert await installed.mount.workspaces() == ["T0001"]


async def test_after_an_uninstall_nobody_signs_in_and_open_sessions_end(installed: SlackScenario) -> None:
    base = installed.sender.url.removesuffix("/slack/events")
    installed.api.sign_in_with_slack("UANA", "T0001", name="Ana Ruiz")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # cookies on an IP
        async with browser.get(f"{base}/auth/slack?next=/kb") as page:
            assert page.status == 200 and str(page.url).endswith("/kb"), await page.text()

        await from_team(installed, "T0001", {"type": "app_uninstalled"})

        async with browser.get(f"{base}/kb", allow_redirects=False) as page:
            assert page.status == 302 and page.headers["Location"].startswith("/signin")
        async with browser.get(f"{base}/auth/slack?next=/kb") as page:
            assert page.status == 403


async def test_with_delete_an_uninstall_deletes_the_workspaces_data(database_url: str) -> None:
    async for slack in start_slack(database_url, **OAUTH, SWARM_UNINSTALL_DATA="delete"):
        await install(slack, "T0002", "xoxb-two", "code-2")
        slack.sender.team_id = "T0002"
        await slack.command("/swarm Export fails for ACME #pdf")
        assert "T0002" in await keys(slack)

        await from_team(slack, "T0002", {"type": "app_uninstalled"})

        assert "T0002" not in await keys(slack)
        assert TEAM_ID in await keys(slack)  # another workspace's roster stays


async def test_with_one_token_an_uninstall_stops_the_jobs(database_url: str) -> None:
    async for slack in start_slack(database_url):
        assert await slack.mount.workspaces() == [TEAM_ID]
        assert await from_team(slack, TEAM_ID, {"type": "app_uninstalled"}) == 200
        assert await slack.mount.workspaces() == []
