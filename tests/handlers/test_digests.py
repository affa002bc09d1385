"""The daily and weekly digests and the recurring-issue alerts, as the scheduler runs them: real core and storage,
a fixed clock moved by hand, the posts read back from the recording chat."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryChat
from bot.ports import Store
from handlers.chat import Reply
from handlers.context import Conventions
from handlers.digests import daily_digest, recurring_alerts, weekly_digest
from handlers.jobs import JOBS
from handlers.router import Outcome
from tests.harness import WORKSPACE, ScenarioBot

LEADS = "support-leads"
CASE = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    """The test roster, digests going to #support-leads, on Tuesday 24 November 2026 at 09:00 UTC."""
    scenario = ScenarioBot(store, conventions=Conventions(digest_channel=LEADS))
    assert not (await scenario.load_roster()).rejected
    return scenario


async def resolved_swarm(bot: ScenarioBot, case: str = CASE) -> str:
    """A swarm Ben and Chen helped resolve; Fay only followed it."""
    await bot.command(f"/swarm {case}")
    room = bot.room(1)
    await bot.say("Which template do they use?", user="chen", channel=room)
    await bot.say("The 4.2 template cache is stale; clearing it fixes the export", user="ben", channel=room)
    await bot.react("eyes", bot.announcement_id(), user="fay")
    bot.clock.advance(hours=2, minutes=10)
    assert await bot.command("/swarm resolve cleared the template cache", channel=room) is Outcome.DONE
    return room


def test_the_scheduler_finds_the_jobs_by_name() -> None:
    assert JOBS["digest-daily"] is daily_digest
    assert JOBS["digest-weekly"] is weekly_digest
    assert JOBS["recurring"] is recurring_alerts


# -- daily -----------------------------------------------------------------------------------------------------------


async def test_the_daily_digest_lists_open_swarms_yesterdays_fixes_and_who_helped(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    await bot.command("/swarm Tax rounding wrong on Swiss invoices #tax sev1 customer:Initech", user="fay")
    bot.clock.advance(days=1)

    assert await daily_digest(bot.router.context, WORKSPACE) is True
    (digest,) = bot.said(LEADS)
    assert digest.startswith("Swarm daily digest · Wed 25 Nov")
    assert "*Open swarms (1)*, most urgent first:" in digest
    assert (
        "*2* Tax rounding wrong on Swiss invoices · sev1 · customer Initech · #tax · open 1d 0h · "
        "owner @Fay Singh · no expert has replied yet · #swarm-2-tax-rounding-wrong-on" in digest
    )
    assert "*Resolved yesterday (1)*:" in digest
    assert (
        "*1* ACME cannot export invoices to PDF since 4.2 · sev2 · customer ACME · #billing · #pdf · "
        "resolved after 2h 10m · article 1 — ACME cannot export invoices to PDF since 4.2 (draft): `/swarm kb 1`"
    ) in digest
    # Fay only followed: an observer is not thanked for helping.
    assert "Thanks for helping: @Ben Okafor, @Chen Wei." in digest
    assert "`/swarm digest off`" in digest and "`/swarm digest off everyone`" in digest


async def test_an_open_swarm_says_why_no_expert_replied(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong on Swiss invoices #tax", user="fay")  # Dana is asked, and silent
    await bot.command("/swarm Customer wants a call back about her invoice layout", user="fay")  # needs no skill
    bot.clock.advance(hours=13)  # 22:00 UTC: Dana, the only one with #tax, is off hours, and sev3 pages nobody
    await bot.command("/swarm Umbrella VAT number rejected #tax", user="fay")
    bot.clock.advance(hours=11)

    assert await daily_digest(bot.router.context, WORKSPACE) is True
    (digest,) = bot.said(LEADS)
    lines = {line.split(" ")[0]: line for line in digest.splitlines() if line.startswith("*")}
    assert "owner @Fay Singh · no expert has replied yet · #swarm-1" in lines["*1*"]
    assert "owner @Fay Singh · no expert was asked · #swarm-2" in lines["*2*"]
    assert "owner @Fay Singh · no expert was asked, no one in it covers #tax · #swarm-3" in lines["*3*"]


async def test_posted_once_however_often_it_runs(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    bot.clock.advance(days=1)
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    bot.clock.advance(hours=5)
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    assert len(bot.said(LEADS)) == 1
    # The next day is another digest; yesterday's fix is no news any more, so it is not in it.
    bot.clock.advance(days=1)
    await bot.command("/swarm Tax rounding wrong #tax")
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    assert len(bot.said(LEADS)) == 2 and "Resolved yesterday" not in bot.said(LEADS)[-1]


async def test_nothing_to_say_is_not_posted(bot: ScenarioBot) -> None:
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    await resolved_swarm(bot)
    bot.clock.advance(days=2)
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    assert bot.said(LEADS) == []


async def test_yesterday_is_a_day_in_the_digest_time_zone(store: Store) -> None:
    bot = ScenarioBot(store, conventions=Conventions(digest_channel=LEADS, digest_timezone="Asia/Kolkata"))
    await bot.load_roster()
    await resolved_swarm(bot)  # resolved at 11:10 UTC, 16:40 in Kolkata
    # 20:00 UTC on Tuesday, but 01:30 on Wednesday in Kolkata: Tuesday is yesterday there, not yet in UTC.
    bot.clock.advance(hours=8, minutes=50)
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    assert "Swarm daily digest · Wed 25 Nov" in bot.said(LEADS)[0]
    assert "*Resolved yesterday (1)*" in bot.said(LEADS)[0]


async def test_not_posted_when_the_workspace_turned_digests_off(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    await bot.make_lead("dana")
    assert await bot.command("/swarm digest off everyone", user="dana") is Outcome.DONE
    bot.clock.advance(days=1)
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    assert await recurring_alerts(bot.router.context, WORKSPACE) == 0
    assert bot.said(LEADS) == []
    # Turned on again, the day's digest is still due: nothing was claimed while it was off.
    assert await bot.command("/swarm digest on everyone", user="dana") is Outcome.DONE
    assert await daily_digest(bot.router.context, WORKSPACE) is True


async def test_not_posted_without_a_digest_channel_until_one_is_chosen(store: Store) -> None:
    bot = ScenarioBot(store)
    await bot.load_roster()
    await resolved_swarm(bot)
    bot.clock.advance(days=1)
    assert await daily_digest(bot.router.context, WORKSPACE) is False
    await bot.make_lead("ana")
    assert await bot.command("/swarm digest here", channel="leads") is Outcome.DONE
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    assert bot.said("leads")[-1].startswith("Swarm daily digest")


async def test_people_who_opted_out_are_named_without_a_mention(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    assert await bot.command("/swarm digest off", user="ben") is Outcome.DONE
    bot.clock.advance(days=1)
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    reply: Reply = bot.chat.posts(LEADS)[-1]
    assert "Thanks for helping: *Ben Okafor*, <@chen@example.com>." in reply.plain()
    assert "ben@example.com" not in reply.mentions and "chen@example.com" in reply.mentions


class FlakyChat(MemoryChat):
    """A chat whose posts fail while it is down."""

    down = False

    async def post(self, channel: str, reply: Reply, thread: str | None = None) -> str:
        if self.down:
            raise ConnectionError("the chat platform is down")
        return await super().post(channel, reply, thread)


async def test_a_failed_post_gives_its_key_back_for_the_next_run(store: Store) -> None:
    chat = FlakyChat(platform="console", workspace=WORKSPACE)
    bot = ScenarioBot(store, chat=chat, conventions=Conventions(digest_channel=LEADS))
    await bot.load_roster()
    await resolved_swarm(bot)
    bot.clock.advance(days=1)
    chat.down = True
    with pytest.raises(ConnectionError):
        await daily_digest(bot.router.context, WORKSPACE)
    assert bot.said(LEADS) == []
    chat.down = False
    assert await daily_digest(bot.router.context, WORKSPACE) is True
    assert len(bot.said(LEADS)) == 1


# -- weekly ----------------------------------------------------------------------------------------------------------


async def test_the_weekly_digest_gives_the_numbers_and_thanks_on_monday(bot: ScenarioBot) -> None:
    room = await resolved_swarm(bot)
    assert await bot.command("/swarm thanks @ben for the cache fix", channel=room) is Outcome.DONE
    bot.clock.advance(days=1)
    await bot.command("/swarm Invoice PDF export is blank for Globex #billing #pdf sev3", user="fay")
    second = bot.room(2)
    bot.clock.advance(minutes=30)
    assert await bot.click("solved_by", "2:1", user="fay", channel=second) is Outcome.DONE
    bot.clock.advance(days=5)  # Monday 30 November, 09:40 UTC

    assert await weekly_digest(bot.router.context, WORKSPACE) is True
    assert await weekly_digest(bot.router.context, WORKSPACE) is False
    (digest,) = bot.said(LEADS)
    assert digest.startswith("Swarming last week · Mon 23 Nov – Sun 29 Nov")
    assert "Swarms opened: 2" in digest and "Swarms resolved: 2" in digest
    assert "Median time to resolve: 1h 20m" in digest  # of 2 h 10 min and 30 min
    assert "Median time to the first expert reply: 0m" in digest
    assert "Known fixes reused: 1 time, 1 case solved by a known article alone" in digest
    assert (
        "article 1 — ACME cannot export invoices to PDF since 4.2 (draft, reused 1×): `/swarm kb 1`, "
        "reused 1× last week. Thanks @Ana Ruiz, @Chen Wei, @Ben Okafor." in digest
    )
    assert "*Ana Ruiz* thanked @Ben Okafor for the cache fix (swarm 1)." in digest


async def test_a_week_with_nothing_is_not_posted(bot: ScenarioBot) -> None:
    bot.clock.advance(days=6)
    assert await weekly_digest(bot.router.context, WORKSPACE) is False
    assert bot.said(LEADS) == []


# -- recurring issues ------------------------------------------------------------------------------------------------

ALIKE = [
    ("ACME cannot export invoices to PDF since 4.2 #billing #pdf customer:ACME", "ana"),
    ("PDF export of invoices fails after the 4.2 upgrade #pdf customer:Globex", "fay"),
    ("Invoice PDF export broken since 4.2 #pdf #billing customer:Initech", "ana"),
    ("Exported invoice PDF is empty since 4.2 #pdf customer:Umbrella", "fay"),
]


async def test_three_alike_cases_in_a_week_raise_one_alert(bot: ScenarioBot) -> None:
    await bot.command(ALIKE[0][0], user=ALIKE[0][1])
    await bot.say("Seen this before: the template cache", user="ben", channel=bot.room(1))
    await bot.command("/swarm resolve cleared the template cache", channel=bot.room(1))
    bot.clock.advance(days=2)
    await bot.command("/swarm Tax rounding wrong on Swiss invoices #tax #billing customer:Hooli", user="dana")
    await bot.command(ALIKE[1][0], user=ALIKE[1][1])
    assert await recurring_alerts(bot.router.context, WORKSPACE) == 0

    bot.clock.advance(days=3)
    await bot.command(ALIKE[2][0], user=ALIKE[2][1])
    assert await recurring_alerts(bot.router.context, WORKSPACE) == 1
    (alert,) = bot.said(LEADS)
    assert alert.startswith("Recurring issue: 3 alike cases in the last 7 days")
    assert "Swarms: 1 (#swarm-1-acme-cannot-export-invoices), 3 (#swarm-3-pdf-export-of-invoices), " in alert
    assert "4 (#swarm-4-invoice-pdf-export-broken)" in alert
    assert "Articles: `/swarm kb 1`" in alert
    assert "Customers: ACME, Globex, Initech" in alert
    assert "Teams involved: R&D, Support" in alert
    assert "Tags: #export #pdf #billing" in alert
    assert "First seen as “ACME cannot export invoices to PDF since 4.2”" in alert
    assert "`/swarm digest off everyone`" in alert

    # One more like them: the same issue, not a new alert.
    bot.clock.advance(hours=1)
    await bot.command(ALIKE[3][0], user=ALIKE[3][1])
    assert await recurring_alerts(bot.router.context, WORKSPACE) == 0
    assert len(bot.said(LEADS)) == 1


async def test_alike_cases_spread_over_more_than_a_week_are_no_alert(bot: ScenarioBot) -> None:
    for case, user in ALIKE[:3]:
        await bot.command(case, user=user)
        bot.clock.advance(days=4)
    assert await recurring_alerts(bot.router.context, WORKSPACE) == 0
