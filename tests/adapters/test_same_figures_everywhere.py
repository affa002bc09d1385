"""A month of swarms, told as a conversation, and every figure of it counted by hand: `/swarm stats`, the dashboard
and `swarm stats --csv` show one report (bot/analytics.py), so they must all say what the story says.
docs/analytics.md defines each figure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.webui import dashboard
from bot import analytics
from bot.ports import Store
from bot.swarms import Policy
from handlers import replies
from tests.harness import WORKSPACE, ScenarioBot


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    # One expert asked per swarm, so that who was asked is easy to follow.
    scenario = ScenarioBot(store, policy=Policy(experts_per_swarm=1))
    await scenario.load_roster()
    return scenario


async def a_month_of_swarms(bot: ScenarioBot) -> None:
    """Six swarms from Tuesday 24 Nov to Friday 4 Dec, everyone in their working hours."""
    # Swarm 1, Tue 09:00: Ben is asked (Fay gets the learner seat), says "I can help" after 10m and writes the fix;
    # resolved after 1h, rated 5.
    await bot.command("/swarm Invoice totals are off by a cent #billing sev3", user="ana")
    bot.clock.advance(minutes=10)
    await bot.click(replies.ACCEPT, "1", user="ben", channel=bot.room(1))
    bot.clock.advance(minutes=20)
    fix = await bot.say("Round after tax, not before", user="ben", channel=bot.room(1))
    await bot.react("white_check_mark", fix, user="ana")
    bot.clock.advance(minutes=30)
    await bot.command("/swarm resolve rounded after tax", channel=bot.room(1))
    await bot.click(replies.CSAT, "1:5", user="ana")

    # Swarm 2, Wed 09:00, Fay's: nobody is asked (Eli, sso, is asleep in Los Angeles). Dana asks a question in the
    # room, and Fay cancels it after 30m.
    bot.clock.advance(days=1, hours=-1)
    await bot.command("/swarm SAML login loops back to the sign-in page #sso sev2", user="fay")
    await bot.say("Which IdP?", user="dana", channel=bot.room(2))
    bot.clock.advance(minutes=30)
    await bot.command("/swarm cancel duplicate of a known outage", user="fay", channel=bot.room(2))

    # Swarm 3, Thu 09:00 (#pdf, and "export" in its text): Chen is asked and never answers. Ben (pdf 3/5), asked by
    # nobody, writes the fix after 40m; resolved after 4h, rated 3.
    bot.clock.advance(days=1, minutes=-30)
    await bot.command("/swarm PDF export times out on big invoices #pdf sev2", user="ana")
    bot.clock.advance(minutes=40)
    fix = await bot.say("Raise the export worker timeout", user="ben", channel=bot.room(3))
    await bot.react("white_check_mark", fix, user="ana")
    bot.clock.advance(hours=3, minutes=20)
    await bot.command("/swarm resolve raised the timeout", channel=bot.room(3))
    await bot.click(replies.CSAT, "3:3", user="ana")

    # Swarm 4, Mon 30 Nov 09:00: Dana is asked and can't; nobody else covers #tax. Still open.
    bot.clock.advance(days=4, hours=-4)
    await bot.command("/swarm Tax totals round wrong for Portugal #tax sev3", user="ana")
    bot.clock.advance(minutes=5)
    await bot.click(replies.DECLINE, "4", user="dana", channel=bot.room(4))

    # Swarm 5, Tue 09:00, Fay's: article 1 (swarm 1's) solves it after 6m; Ben, asked, never needed to answer.
    bot.clock.advance(days=1, minutes=-5)
    await bot.command("/swarm Invoice totals are off by a cent again #billing sev3", user="fay")
    bot.clock.advance(minutes=6)
    await bot.click(replies.SOLVED_BY, "5:1", user="fay", channel=bot.room(5))

    # Swarm 6, Wed 09:00: nobody has #kubernetes; Ben is asked for his department and never answers. Chen follows
    # (👀); resolved after 2h, reopened the next day, Chen speaks up, resolved again on Friday 12:00 (2d 3h).
    bot.clock.advance(days=1, minutes=-6)
    await bot.command("/swarm Kubernetes pods restart every hour #kubernetes sev2", user="ana")
    await bot.react("eyes", bot.announcement_id(), user="chen")
    bot.clock.advance(hours=2)
    await bot.command("/swarm resolve raised the memory limit", channel=bot.room(6))
    bot.clock.advance(days=1)
    await bot.command("/swarm reopen 6 it is back", channel=bot.room(6))
    bot.clock.advance(hours=1)
    await bot.say("The liveness probe is too strict", user="chen", channel=bot.room(6))
    bot.clock.advance(days=1)
    await bot.command("/swarm resolve relaxed the liveness probe", channel=bot.room(6))
    bot.clock.advance(days=1)


async def test_every_figure_of_a_month_is_what_the_story_says(bot: ScenarioBot) -> None:
    await a_month_of_swarms(bot)
    await bot.command("/swarm stats 30d", user="ana")
    card = bot.last_told("ana").splitlines()
    assert card[1:-1] == [
        "Opened: 6 ↑ from 0",
        # 1, 3, 5 and 6 (6 counts once, at its final resolve); 5 by article 1.
        "Resolved: 4 ↑ from 0 (1 by a known article)",
        # 4. Swarm 2 was cancelled.
        "Still open: 1 ↑ from 0",
        # 6m, 1h, 4h, 2d 3h: the median is halfway between 1h and 4h; the p90 is the 4th of 4.
        "Time to resolve: median 2h 30m · p90 2d 3h",
        # 10m (Ben, asked, in 1) and 40m (Ben, pdf 3/5, in 3); no expert answered in 4 and 6 (5 needed nobody, 2
        # had nobody asked).
        "First expert reply: median 25m · 2 swarms with no expert answer",
        # Only swarm 1 ever had every skill it needed (billing, when Ben came in after 10m); 2 (sso), 3 (export),
        # 4 (tax) and 6 (kubernetes) never did.
        "Team assembled: median 10m · 4 swarms never had every skill",
        "Solved by a known article: 25%",  # 5 of 1, 3, 5, 6
        "Known article linked: 17% of swarms opened",  # 5, of six
        "New vs known: 3 new · 1 known",
        "CSAT: 4.0/5 (2 answers)",  # 5 and 3; Fay did not answer for swarm 5
        # Of 1, 3 and 6 (5 needed nobody): only in 1 did the person asked at opening answer and write the fix.
        "Right people first time: 33%",
        # Ben in 1 and 3, Dana in 2 (spoke), Chen in 6 (followed, then spoke): helps [2, 1, 1], Gini 1/6.
        "Helps: 4 ↑ from 0, by 3 of 6 people · how unevenly shared (0 = evenly) 0.17",
        "Out of hours: 0% of joins and messages",
        # Nobody in the room ever had them; Eli has sso, Dana tax and Chen export, nobody kubernetes.
        "Skill gaps: #export (1) · #kubernetes (1, nobody has it) · #sso (1) · #tax (1)",
        "Top topics: #billing (2) · #export (1) · #kubernetes (1) · #pdf (1) · #sso (1)",
    ]

    # The dashboard and the command line read the same report.
    report = await bot.core.analytics.last(WORKSPACE, "30d")
    board = dashboard.board(report, [])
    shown = {name: figure.value for (name, _), figure in zip(dashboard.HEADLINES, board.figures, strict=True)}
    assert shown == {
        "opened": "6",
        "resolved": "4",
        "time_to_resolve": "2h 30m",
        "first_expert_reply": "25m",
        "deflection_rate": "25%",
        "csat": "4.0 / 5",
        "open_at_end": "1",
        "gini": "0.17",
    }
    csv = {(metric, key): value for metric, key, value in analytics.rows(report)}
    assert csv[("cancelled", "")] == 1
    assert csv[("first_expert_reply.median", "")] == timedelta(minutes=25).total_seconds()
    assert csv[("no_expert_reply", "")] == 2
    assert csv[("right_first_time", "")] == 1
    # Who took part in 1, 3, 5 and 6: Ana and Ben, Ana and Ben, Fay alone, Ana and Chen (who spoke).
    assert (csv[("size_median", "")], csv[("size_mean", "")]) == (2.0, 1.75)
