"""Who may do what (bot/permissions.py, docs/permissions.md), as people meet it: refusals say who can and change
nothing."""

from __future__ import annotations

from bot.models import RosterRole, SwarmStatus
from handlers import replies
from handlers.router import Outcome
from tests.harness import ROSTER, WORKSPACE, ScenarioBot

WITH_LEAD = [*ROSTER, {"name": "Lea Moreau", "email": "lea@example.com", "role": "lead"}]


async def _status(bot: ScenarioBot, number: int) -> SwarmStatus:
    crew, _ = await bot.core.swarms.status(bot.router.context.actor(bot.origin("ana", "support")), number, "")
    return crew.swarm.status


async def test_joining_a_swarm_does_not_let_a_stranger_cancel_it(bot: ScenarioBot) -> None:
    await bot.load_roster(WITH_LEAD)
    await bot.command("/swarm ACME export fails #billing", user="ana")
    room = bot.room(1)
    await bot.command("/swarm join 1", user="fay")

    assert await bot.command("/swarm cancel not a real issue", user="fay", channel=room) is Outcome.REFUSED

    told = bot.last_told("fay")
    assert "Only its owner, Ana Ruiz, or a lead or admin (Lea Moreau) can cancel swarm 1." in told
    assert not any("cancelled" in m for m in bot.said(room))
    assert await _status(bot, 1) is SwarmStatus.OPEN


async def test_the_owner_cancels_with_a_reason_and_is_asked_for_one_without(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    room = bot.room(1)

    assert await bot.command("/swarm cancel", user="ana", channel=room) is Outcome.REFUSED
    assert "Say why" in bot.last_told("ana")
    assert await _status(bot, 1) is SwarmStatus.OPEN

    await bot.command("/swarm cancel duplicate of swarm 12", user="ana", channel=room)
    assert any("cancelled by" in m and "duplicate of swarm 12" in m for m in bot.said(room))


async def test_a_lead_cancels_or_hands_over_anyone_s_swarm(bot: ScenarioBot) -> None:
    await bot.load_roster(WITH_LEAD)
    await bot.command("/swarm ACME export fails #billing", user="ana")
    await bot.command("/swarm Globex SSO loops #sso", user="ana")

    await bot.command("/swarm owner 1 fay@example.com", user="lea")
    assert any("@Fay Singh now owns swarm 1, taking over from @Ana Ruiz" in m for m in bot.said(bot.room(1)))
    await bot.command("/swarm cancel opened twice", user="lea", channel=bot.room(2))
    assert await _status(bot, 2) is SwarmStatus.CANCELLED


async def test_a_stranger_s_check_mark_is_not_the_fix(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    room = bot.room(1)
    # Dana never joined nor spoke in the room: her mark on the owner's message is no fix.
    said = await bot.say("I can look at this tomorrow", user="ana", channel=room)

    assert await bot.react("white_check_mark", said, user="dana") is Outcome.REFUSED

    assert "can mark the fix of swarm 1. `/swarm join 1` first, or ask them to mark it." in bot.last_told("dana")
    _, timeline = await bot.core.swarms.status(bot.router.context.actor(bot.origin("ana", "support")), 1, "")
    assert not any(e.kind.value == "solution" for e in timeline)


async def test_a_member_proposes_resolving_and_the_owner_confirms_with_one_click(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    room = bot.room(1)
    await bot.command("/swarm join 1", user="chen")

    await bot.command("/swarm resolve restarted the export worker", user="chen", channel=room)

    assert await _status(bot, 1) is SwarmStatus.OPEN
    [proposal] = [r for r in bot.chat.posts(room) if any(b.action == replies.CONFIRM_RESOLVE for b in r.buttons)]
    assert "Chen Wei proposes resolving swarm 1: restarted the export worker" in bot.text(proposal)
    [button] = proposal.buttons

    assert await bot.click(button.action, button.value, user="fay", channel=room) is Outcome.REFUSED
    assert "Only its owner, Ana Ruiz" in bot.last_told("fay")
    assert await _status(bot, 1) is SwarmStatus.OPEN

    await bot.click(button.action, button.value, user="ana", channel=room)
    assert await _status(bot, 1) is SwarmStatus.RESOLVED
    article = await bot.core.kb.show(WORKSPACE, 1)
    assert "restarted the export worker" in article.resolution


async def test_only_a_lead_turns_off_the_workspace_s_digests(bot: ScenarioBot) -> None:
    await bot.load_roster(WITH_LEAD)

    assert await bot.command("/swarm digest off everyone", user="fay") is Outcome.REFUSED
    assert "Only a lead or admin (Lea Moreau) can turn the workspace's digest off." in bot.last_told("fay")
    assert await bot.command("/swarm digest here", user="fay", channel="general") is Outcome.REFUSED
    async with bot.store.unit() as uow:
        workspace = await uow.workspaces.ensure(WORKSPACE)
    assert not workspace.digest_off and workspace.digest_channel is None

    await bot.command("/swarm digest off everyone", user="lea")
    async with bot.store.unit() as uow:
        assert (await uow.workspaces.ensure(WORKSPACE)).digest_off


async def test_a_refusal_says_when_the_roster_names_no_lead(bot: ScenarioBot) -> None:
    await bot.command("/swarm nudges off everyone", user="fay")
    assert "a lead or admin (the roster names none yet)" in bot.last_told("fay")


async def test_joining_a_closed_swarm_says_who_can_reopen_it_and_the_owner_reopens_directly(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    await bot.command("/swarm cancel wrong customer", user="ana", channel=bot.room(1))

    assert await bot.command("/swarm join 1", user="fay") is Outcome.REFUSED
    assert "Its owner, Ana Ruiz, or a lead or admin can bring it back with `/swarm reopen 1`" in bot.last_told("fay")
    assert await bot.command("/swarm reopen 1", user="fay") is Outcome.REFUSED
    assert "join" not in bot.last_told("fay")

    await bot.command("/swarm reopen 1", user="ana")
    assert await _status(bot, 1) is SwarmStatus.OPEN


async def test_a_roster_lead_is_shown_as_one(bot: ScenarioBot) -> None:
    await bot.load_roster(WITH_LEAD)
    assert (await bot.person("lea")).role is RosterRole.LEAD


async def test_a_join_reaction_on_a_closed_swarm_says_who_can_reopen_it(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    await bot.command("/swarm cancel wrong customer", user="ana", channel=bot.room(1))

    await bot.react("raising_hand", bot.announcement_id(), user="dana")

    assert "Its owner, Ana Ruiz, or a lead or admin can bring it back" in bot.last_told("dana")


async def test_help_says_who_may_run_what(bot: ScenarioBot) -> None:
    await bot.command("/swarm help", user="fay")
    assert "close the swarm without an article, saying why (who: the owner, a lead or admin" in bot.last_told("fay")
    assert "`/swarm list` the open swarms\n" in bot.last_told("fay")


async def test_a_lead_s_profile_shows_the_role(bot: ScenarioBot) -> None:
    await bot.load_roster(WITH_LEAD)
    await bot.command("/swarm skills lea@example.com", user="fay")
    assert "Role: lead" in bot.last_told("fay")


async def test_a_stranger_cannot_invite_people_into_someone_else_s_swarm(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    assert await bot.command("/swarm invite 1 eli@example.com", user="dana") is Outcome.REFUSED
    assert "can invite people into swarm 1. `/swarm join 1` first" in bot.last_told("dana")
    assert "eli@example.com" not in bot.chat.channels[bot.room(1)].members
