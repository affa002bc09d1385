"""The scheduler's jobs in Slack: the workspace is the app's team, and a job posts there with the bot's token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.scheduler import Runner
from tests.adapters.slack.conftest import SlackScenario, start_slack
from tests.adapters.slack.test_oauth import install
from tests.fakes.slack_api import TEAM_ID
from tests.harness import Clock

CASE = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


async def test_the_tick_job_runs_in_the_apps_team_and_announces_lapsed_invitations(slack: SlackScenario) -> None:
    assert await slack.mount.workspaces() == [TEAM_ID]
    await slack.command(CASE)
    room = slack.room().id
    clock = slack.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(minutes=16)

    done = await Runner([slack.mount]).run("tick")
    assert (done.ran, done.failed) == ([TEAM_ID], [])
    assert any("did not answer in time for swarm 1" in post["text"] for post in slack.posts(room))


@pytest.fixture
async def installed(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="shh"):
        yield scenario


async def test_with_oauth_jobs_run_in_every_team_that_installed_the_app(installed: SlackScenario) -> None:
    await install(installed, "T0001", "xoxb-test", "code-1")
    await install(installed, "T0002", "xoxb-two", "code-2")
    async with installed.app.store.unit() as uow:
        for key in ("T0002", "T0009", "console"):  # T0009 has data but uninstalled Swarm; console is not Slack
            await uow.workspaces.ensure(key)
        await uow.commit()
    assert sorted(await installed.mount.workspaces()) == ["T0001", "T0002"]
    done = await Runner([installed.mount]).run("tick")
    assert (sorted(done.ran), done.failed) == (["T0001", "T0002"], [])
