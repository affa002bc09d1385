"""`GET /metrics` on the real server with the Slack mount: Prometheus' text format, behind the token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.metrics import CONTENT_TYPE, Metrics
from tests.adapters.slack.conftest import SlackScenario, start_slack
from tests.adapters.web.conftest import TOKEN, serve
from tests.fakes.slack_api import TEAM_ID

BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, SWARM_WEB_TOKEN=TOKEN):
        yield scenario


def base(slack: SlackScenario) -> str:
    return slack.sender.url.removesuffix("/slack/events")


async def scrape(url: str, headers: dict[str, str] | None = None) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=BEARER | (headers or {})) as page:
        assert page.status == 200
        assert page.headers["Content-Type"] == CONTENT_TYPE  # prometheus_client's text format
        return await page.text()


def value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. `swarm_open_swarms{workspace="T0001"}`; 0 when it is absent."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_counters_move_with_signed_slack_requests_and_web_api_calls(slack: SlackScenario) -> None:
    before = await scrape(base(slack))
    assert value(before, 'swarm_slack_requests_total{kind="command",status="200"}') == 0
    status, _ = await slack.command("/swarm ACME export fails #pdf")
    assert status == 200
    after = await scrape(base(slack))
    assert value(after, 'swarm_slack_requests_total{kind="command",status="200"}') == 1
    assert value(after, 'swarm_slack_ack_seconds_count{kind="command"}') == 1
    assert value(after, 'swarm_slack_api_calls_total{method="conversations.create"}') == 1
    assert value(after, 'swarm_http_requests_total{method="POST",route="/slack/events",status="200"}') == 1
    assert value(after, 'swarm_queue_depth{queue="slack"}') == 0  # all work done (the scenario waits for it)
    assert value(after, f'swarm_open_swarms{{workspace="{TEAM_ID}"}}') == 1
    assert value(after, f'swarm_articles{{state="wip",workspace="{TEAM_ID}"}}') == 1
    assert value(after, "swarm_database_up") == 1

    room = slack.room()
    await slack.say("done", user="ana", channel=room.id)
    events = await scrape(base(slack))
    assert value(events, 'swarm_slack_requests_total{kind="event:message",status="200"}') == 1


async def test_web_api_errors_and_retries_are_counted_by_method(slack: SlackScenario) -> None:
    slack.api.fail("conversations.create", times=1, status=429, retry_after=0)
    await slack.command("/swarm ACME export fails #pdf")
    text = await scrape(base(slack))
    assert value(text, 'swarm_slack_api_calls_total{method="conversations.create"}') == 2
    assert value(text, 'swarm_slack_api_retries_total{method="conversations.create"}') == 1
    assert value(text, 'swarm_slack_api_errors_total{error="ratelimited",method="conversations.create"}') == 1


async def test_metrics_need_the_token_unless_made_public(database_url: str) -> None:
    async with serve(database_url) as site:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{site.url}/metrics") as page:
                assert page.status == 401
            async with http.get(f"{site.url}/metrics", headers={"Authorization": "Bearer wrong"}) as page:
                assert page.status == 401
        text = await scrape(site.url)
        assert value(text, 'swarm_open_swarms{workspace="T-test"}') == 2
        assert value(text, 'swarm_open_swarms{workspace="T-other"}') == 4
        assert value(text, 'swarm_articles{state="draft",workspace="T-test"}') == 1
        site.app.settings.metrics_public = True  # SWARM_METRICS_PUBLIC=true
        async with aiohttp.ClientSession() as http, http.get(f"{site.url}/metrics") as page:
            assert page.status == 200


async def test_pages_are_counted_by_route_not_by_address(database_url: str) -> None:
    async with serve(database_url) as site, aiohttp.ClientSession() as http:
        for path in ("/kb/1", "/kb/2", "/kb/999", "/nowhere"):
            async with http.get(site.url + path, headers=BEARER):
                pass
        text = await scrape(site.url)
    assert value(text, r'swarm_http_requests_total{method="GET",route="/kb/{number}",status="200"}') == 2
    assert value(text, r'swarm_http_requests_total{method="GET",route="/kb/{number}",status="404"}') == 1
    assert value(text, 'swarm_http_requests_total{method="GET",route="unmatched",status="404"}') == 1


def test_job_runs_are_counted_by_job_and_outcome() -> None:
    metrics = Metrics()
    metrics.job_run("digest", ok=True, seconds=0.5)
    metrics.job_run("digest", ok=False)
    text = metrics.render().decode()
    assert value(text, 'swarm_job_runs_total{job="digest",outcome="ok"}') == 1
    assert value(text, 'swarm_job_runs_total{job="digest",outcome="failed"}') == 1
    assert value(text, 'swarm_job_duration_seconds_count{job="digest"}') == 1


def test_each_app_has_a_registry_of_its_own() -> None:
    one, two = Metrics(), Metrics()
    one.job_run("nudges", ok=True)
    assert value(two.render().decode(), 'swarm_job_runs_total{job="nudges",outcome="ok"}') == 0
