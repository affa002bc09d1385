"""Who may do what, through signed Slack requests: refusals are ephemeral and change nothing, and Slack's own
workspace admins and owners (users.info) count as Swarm's admins."""

from __future__ import annotations

from bot.models import RosterRole, SwarmStatus
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_api import TEAM_ID


async def _workspace_digest_off(slack: SlackScenario) -> bool:
    async with slack.app.store.unit() as uow:
        return (await uow.workspaces.ensure(TEAM_ID)).digest_off


async def test_a_member_s_cancel_is_refused_privately_and_the_swarm_stays_open(slack: SlackScenario) -> None:
    await slack.command("ACME export fails #billing", user="ana")
    room = slack.room().id
    await slack.command("join 1", user="fay")
    posted = len(slack.posts(room))

    assert await slack.command("cancel not a real issue", user="fay", channel=room) == (200, "")

    assert "Only its owner, Ana Ruiz, or a lead or admin" in slack.ephemerals("fay")[-1]
    assert len(slack.posts(room)) == posted
    swarm = await slack.app.core.swarms.crew(1)
    assert swarm.swarm.status is SwarmStatus.OPEN


async def test_slack_s_workspace_owner_is_an_admin_and_an_agent_is_not(slack: SlackScenario) -> None:
    slack.api.add_user("UBOSS", "boss", "boss@example.com", real_name="Bo Sato", is_owner=True)

    await slack.command("digest off everyone", user="fay")
    assert "Only a lead or admin" in slack.ephemerals("fay")[-1]
    assert not await _workspace_digest_off(slack)

    await slack.command("digest off everyone", user="UBOSS", channel=SUPPORT)
    assert await _workspace_digest_off(slack)
    assert (await slack.app.core.people.find(TEAM_ID, "boss@example.com")).role is RosterRole.ADMIN
    # Asked once, when Swarm first met them: not at every command.
    await slack.command("digest on everyone", user="UBOSS", channel=SUPPORT)
    assert len([c for c in slack.api.calls_to("users.info") if c.args.get("user") == "UBOSS"]) == 1
    assert not await _workspace_digest_off(slack)
