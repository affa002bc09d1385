"""One conversation, three platforms: the console, Slack and Teams must leave the same swarms, members and articles
in the database. The proof that the core is platform-neutral."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from storage.database import SqlStore
from tests.adapters.slack.conftest import SUPPORT, start_slack
from tests.adapters.teams.conftest import TENANT, start_teams
from tests.harness import WORKSPACE, ScenarioBot

CASE = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"
FIX = "The 4.2 template cache is stale; clearing it fixes the export"
RESOLVE = "resolve cleared the template cache cause: stale cache after the upgrade"

EXPECTED: dict[str, Any] = {
    "swarms": [
        {
            "number": 1,
            "status": "resolved",
            "text": "ACME cannot export invoices to PDF since 4.2",
            "skills": ["billing", "pdf", "export"],
            "severity": 2,
            "customer": "ACME",
            "members": [
                ("Ana Ruiz", "owner", True),
                ("Ben Okafor", "expert", False),
                ("Chen Wei", "expert", True),
                ("Fay Singh", "helper", True),
            ],
            "messages": 1,
        }
    ],
    "articles": [
        {
            "number": 1,
            "state": "draft",
            "title": "ACME cannot export invoices to PDF since 4.2",
            "environment": "Version: 4.2 · Customer: ACME · Severity: sev2",
            "resolution": "cleared the template cache",
            "cause": "stale cache after the upgrade",
            "contributors": ["Ana Ruiz", "Chen Wei"],
            "tags": ["billing", "pdf"],
        }
    ],
}


async def snapshot(core: Core, workspace: str) -> dict[str, Any]:
    """What the database holds for a workspace, in platform-neutral terms."""
    async with core.store.unit() as uow:
        ws = await uow.workspaces.ensure(workspace)
        swarms = []
        for swarm in reversed(await uow.swarms.list(ws.id)):
            assert swarm.id is not None
            members = []
            for member in await uow.swarms.members(swarm.id):
                person = await uow.people.get(member.person_id)
                assert person is not None
                members.append((person.name, member.role.value, member.active))
            timeline = await uow.swarms.timeline(swarm.id)
            swarms.append(
                {
                    "number": swarm.number,
                    "status": swarm.status.value,
                    "text": swarm.case.text,
                    "skills": list(swarm.skills),
                    "severity": swarm.case.severity,
                    "customer": swarm.case.customer,
                    "members": sorted(members),
                    "messages": sum(1 for e in timeline if e.kind.value == "message"),
                }
            )
        articles = []
        for number in range(1, 10):
            article = await uow.articles.get(ws.id, number)
            if article is not None:
                articles.append(
                    {
                        "number": article.number,
                        "state": article.state.value,
                        "title": article.title,
                        "environment": article.environment,
                        "resolution": article.resolution,
                        "cause": article.cause,
                        "contributors": article.contributors,
                        "tags": article.tags,
                    }
                )
        await uow.commit()
    return {"swarms": swarms, "articles": articles}


async def on_console(store: SqlStore, database_url: str) -> dict[str, Any]:
    bot = ScenarioBot(store)
    await bot.load_roster()
    await bot.command(f"/swarm {CASE}", user="ana")
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    room = bot.room(1)
    await bot.say(FIX, user="chen", channel=room)
    await bot.command(f"/swarm {RESOLVE}", user="ana", channel=room)
    return await snapshot(bot.core, WORKSPACE)


async def on_slack(store: SqlStore, database_url: str) -> dict[str, Any]:
    async for slack in start_slack(database_url):
        await slack.command(f"/swarm {CASE}", user="ana")
        announcement = slack.api.messages(SUPPORT)[-1]["ts"]
        await slack.react("raising_hand", SUPPORT, announcement, user="fay")
        room = slack.room().id
        await slack.say(FIX, user="chen", channel=room)
        await slack.command(f"/swarm {RESOLVE}", user="ana", channel=room)
        return await snapshot(slack.app.core, "T0001")
    raise AssertionError("the Slack scenario did not start")


async def on_teams(store: SqlStore, database_url: str) -> dict[str, Any]:
    async with start_teams(store) as teams:
        await teams.message(CASE, user="ana")
        await teams.react(teams.announcement(1), user="fay")
        room = teams.room(1)
        await teams.message(FIX, user="chen", thread=room, mention=False)
        await teams.message(RESOLVE, user="ana", thread=room)
        await teams.mount.idle()
        return await snapshot(teams.app.core, TENANT)


@pytest.mark.parametrize("platform", [on_console, on_slack, on_teams], ids=["console", "slack", "teams"])
async def test_the_same_conversation_leaves_the_same_data(platform: Any, store: SqlStore, database_url: str) -> None:
    assert await platform(store, database_url) == EXPECTED
