"""Multi-workspace installs through OAuth, and one workspace never seeing another's swarms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
import sqlalchemy as sa

from adapters import scheduler
from adapters.throttle import OAUTH_STATES_PER_MINUTE
from tests.adapters.slack.conftest import SUPPORT, SlackScenario, start_slack


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="shh"):
        yield scenario


async def install(slack: SlackScenario, team: str, token: str, code: str) -> None:
    slack.api.install(code, team, token)
    base = slack.sender.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install", allow_redirects=False) as page:
            assert page.status in (200, 302)
            location = page.headers.get("Location") or ""
            html = await page.text()
            cookie = SimpleCookie(page.headers.get("Set-Cookie", ""))
        authorize_url = location or html[html.index("https://slack.com/oauth/v2/authorize") :].split('"')[0]
        state = parse_qs(urlparse(authorize_url.replace("&amp;", "&")).query)["state"][0]
        assert "client_id=111.222" in authorize_url
        cookies = {key: morsel.value for key, morsel in cookie.items()}
        async with session.get(
            f"{base}/slack/oauth_redirect", params={"code": code, "state": state}, cookies=cookies
        ) as done:
            assert done.status == 200, await done.text()


async def test_installing_stores_the_workspace_and_its_commands_work(slack: SlackScenario) -> None:
    await install(slack, "T0001", "xoxb-test", "code-1")
    status, _ = await slack.command("/swarm Export fails #pdf")
    assert status == 200
    assert slack.room().name == "swarm-1-export-fails"
    exchange = slack.api.calls_to("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0].ok


async def test_a_workspace_never_sees_another_workspaces_swarms(slack: SlackScenario) -> None:
    await install(slack, "T0001", "xoxb-test", "code-1")
    await install(slack, "T0002", "xoxb-two", "code-2")
    await slack.command("/swarm Export fails for ACME #pdf")
    slack.api.add_user("UOTHER", "other", "other@two.example")
    slack.api.channels[SUPPORT].members.append("UOTHER")
    other = slack.sender
    other.team_id = "T0002"
    for text in ("list", "kb export", "status 1"):
        await other.slash(text, "UOTHER", SUPPORT)
        await slack.mount.idle()
    answers = [c.args["text"] for c in slack.api.calls_to("chat.postEphemeral") if c.args["user"] == "UOTHER"]
    assert "No swarms are open" in answers[0]
    assert "No article matches" in answers[1]
    assert "There is no swarm 1 here" in answers[2]
    tokens = {c.token for c in slack.api.calls_to("chat.postEphemeral") if c.args["user"] == "UOTHER"}
    assert tokens == {"xoxb-two"}


async def test_an_uninstalled_workspace_is_refused(slack: SlackScenario) -> None:
    slack.sender.team_id = "T0009"
    status, _ = await slack.sender.slash("list", "UX", SUPPORT)
    await slack.mount.idle()
    assert status != 200 or not slack.api.calls_to("chat.postEphemeral")


# -- OAuth states: an install page stores one; nothing may let them pile up -----------------------------------------


async def install_page(slack: SlackScenario) -> aiohttp.ClientResponse:
    base = slack.sender.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as session, session.get(f"{base}/slack/install", allow_redirects=False) as page:
        await page.read()
        return page


async def states(slack: SlackScenario) -> int:
    async with slack.app.store.engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT count(*) FROM slack_oauth_states"))).scalar_one())


async def test_one_client_asking_for_install_pages_in_a_loop_is_told_to_wait(slack: SlackScenario) -> None:
    answers = [await install_page(slack) for _ in range(OAUTH_STATES_PER_MINUTE + 5)]
    assert all(page.status in (200, 302) for page in answers[:OAUTH_STATES_PER_MINUTE])
    refused = answers[OAUTH_STATES_PER_MINUTE:]
    assert {page.status for page in refused} == {429}
    assert all(1 <= int(page.headers["Retry-After"]) <= 60 for page in refused)
    assert await states(slack) == OAUTH_STATES_PER_MINUTE


async def test_install_pages_and_sign_ins_with_slack_take_from_one_bucket_per_client(slack: SlackScenario) -> None:
    for _ in range(OAUTH_STATES_PER_MINUTE):
        await install_page(slack)
    base = slack.sender.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as session, session.get(f"{base}/auth/slack", allow_redirects=False) as page:
        assert page.status == 429
    assert await states(slack) == OAUTH_STATES_PER_MINUTE


async def test_the_scheduler_purges_the_expired_states_and_keeps_the_others(slack: SlackScenario) -> None:
    for _ in range(4):
        await install_page(slack)
    async with slack.app.store.engine.begin() as conn:  # three pages opened long ago and never used
        ids = (await conn.execute(sa.text("SELECT id FROM slack_oauth_states ORDER BY id LIMIT 3"))).scalars().all()
        for id_ in ids:
            past = {"past": datetime(2020, 1, 1), "id": id_}
            await conn.execute(sa.text("UPDATE slack_oauth_states SET expire_at = :past WHERE id = :id"), past)
    chores = slack.mount.chores()
    assert "purge-oauth-states" in scheduler.schedules(slack.app.settings, chores=chores)

    done = await scheduler.Runner([slack.mount], chores=chores).run("purge-oauth-states")
    assert done.failed == []
    assert await states(slack) == 1


async def test_with_one_token_there_are_no_states_to_purge(database_url: str) -> None:
    async for single in start_slack(database_url):
        assert single.mount.chores() == {}
