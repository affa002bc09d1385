"""The daily digest in Teams: the job reaches the tenant through its stored conversation reference and starts a new
post in the digest channel, its mentions as <at> entities."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.digests import daily_digest
from storage.database import SqlStore
from tests.adapters.teams.conftest import TENANT, TeamsScenario, aad, start_teams
from tests.fakes.teams_connector import mention_entities
from tests.harness import Clock

LEADS = "19:leads@thread.tacv2"


@pytest.fixture
async def teams(store: SqlStore) -> AsyncIterator[TeamsScenario]:
    async with start_teams(store, SWARM_DIGEST_CHANNEL=LEADS) as scenario:
        yield scenario


async def run_daily(teams: TeamsScenario) -> bool:
    chat = await teams.mount.chat_for(TENANT)
    try:
        return await daily_digest(teams.app.router(chat).context, TENANT)
    finally:
        await chat.flush()


async def test_the_daily_digest_starts_a_post_in_the_digest_channel(teams: TeamsScenario) -> None:
    await teams.message("ACME tax totals round wrong #tax sev2", user="ana")
    room = teams.room(1)
    await teams.message("The 4.2 rounding mode is half-even", user="dana", thread=room, mention=False)
    await teams.message("resolve set rounding to half-up", user="ana", thread=room)
    clock = teams.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(days=1)

    assert await run_daily(teams) is True
    assert await run_daily(teams) is False

    # A post to the bare channel: Teams starts a new thread with it.
    assert [c.conversation for c in teams.fake.calls_to("send", ok=True) if c.conversation.startswith(LEADS)] == [LEADS]
    (post,) = [p for p in teams.fake.posts() if p.conversation.startswith(LEADS)]
    assert post.card is not None and post.card["body"][0]["text"] == "Swarm daily digest · Wed 25 Nov"
    assert "Resolved yesterday (1)" in post.text
    assert "Thanks for helping: <at>Dana Cohen</at>." in post.text
    assert any(e["mentioned"]["id"] == aad("dana") for e in mention_entities(post.activity))
