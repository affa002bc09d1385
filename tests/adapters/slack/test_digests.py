"""The daily digest in Slack: the job's post reaches the fake Web API as chat.postMessage in the digest channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError

from handlers.digests import daily_digest
from tests.adapters.slack.conftest import SlackScenario, start_slack
from tests.fakes.slack_api import TEAM_ID
from tests.harness import Clock

LEADS = "C0LEADS"


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, SWARM_DIGEST_CHANNEL=LEADS):
        scenario.api.add_channel(LEADS, "support-leads", members=["UANA", "UBOT"])
        yield scenario


async def a_day_after_a_resolved_swarm(slack: SlackScenario) -> None:
    await slack.command("ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME")
    room = slack.room().id
    await slack.say("The 4.2 template cache is stale; clearing it fixes the export", user="ben", channel=room)
    await slack.command("/swarm resolve cleared the template cache", channel=room)
    clock = slack.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(days=1)


async def run_daily(slack: SlackScenario) -> bool:
    chat = await slack.mount.chat_for(TEAM_ID)
    return await daily_digest(slack.app.router(chat).context, TEAM_ID)


async def test_the_daily_digest_is_posted_in_the_digest_channel(slack: SlackScenario) -> None:
    await a_day_after_a_resolved_swarm(slack)
    assert await run_daily(slack) is True
    assert await run_daily(slack) is False

    (post,) = slack.posts(LEADS)
    assert post["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Swarm daily digest · Wed 25 Nov"},
    }
    assert "*Resolved yesterday (1)*" in post["text"]
    assert "Thanks for helping: <@UBEN>." in post["text"]
    assert "`/swarm digest off everyone`" in post["text"]


async def test_a_refused_post_is_tried_again_on_the_next_run(slack: SlackScenario) -> None:
    await a_day_after_a_resolved_swarm(slack)
    slack.api.fail("chat.postMessage", status=200, error="not_in_channel")
    with pytest.raises(SlackApiError):
        await run_daily(slack)
    assert slack.posts(LEADS) == []
    assert await run_daily(slack) is True
    assert len(slack.posts(LEADS)) == 1
