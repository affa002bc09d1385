"""Talking in the room, marking the fix, resolving into an article, cancelling and reopening."""

from __future__ import annotations

from handlers.chat import MessageEvent
from handlers.router import Outcome
from tests.harness import ScenarioBot


async def swarm_with_a_fix(bot: ScenarioBot) -> str:
    await bot.command("/swarm ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME")
    room = bot.room(1)
    await bot.say("Which template do they use?", user="chen", channel=room)
    fix = await bot.say("The 4.2 template cache is stale; clearing it fixes the export", user="ben", channel=room)
    await bot.react("white_check_mark", fix, user="ana")
    return room


async def test_resolve_writes_a_kcs_article_and_posts_the_summary(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    bot.clock.advance(hours=2, minutes=10)
    assert await bot.command("/swarm resolve cleared the template cache cause: stale cache", channel=room) is (
        Outcome.DONE
    )

    summary = bot.said(room)[-1]
    assert summary.startswith(":white_check_mark: Swarm 1 is resolved after 2h 10m")
    assert "Fix: cleared the template cache" in summary
    assert "Cause: stale cache" in summary
    assert "article 1" in summary
    thread = [c for c in bot.chat.called("post") if c["thread"] == bot.announcement_id()]
    assert len(thread) == 1
    updates = bot.chat.called("update")
    assert updates and "(resolved)" in bot.text(updates[-1]["reply"])

    await bot.command("/swarm kb 1")
    article = bot.last_told("ana")
    assert "Issue: ACME cannot export invoices to PDF since 4.2" in article
    assert "Version: 4.2" in article and "Customer: ACME" in article
    assert "cleared the template cache" in article
    assert "The 4.2 template cache is stale" in article
    assert "Cause: stale cache" in article
    # Credit goes to who spoke or marked the fix, not to everyone who was asked.
    assert "Contributors: Ana Ruiz, Chen Wei, Ben Okafor" in article
    assert "Thanks @Chen Wei, @Ben Okafor." in summary or "Thanks @Ben Okafor, @Chen Wei." in summary


async def test_the_article_is_found_by_kb_search(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    await bot.command("/swarm kb invoices export", user="fay")
    found = bot.last_told("fay")
    assert "1 article for" in found
    assert "ACME cannot export invoices" in found
    await bot.command("/swarm kb kubernetes", user="fay")
    assert "No article matches" in bot.last_told("fay")


async def test_unmarking_the_fix_leaves_it_out(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    fix = next(m for m in bot.chat.messages.values() if m.text.startswith("The 4.2 template"))
    await bot.react("white_check_mark", fix.id, user="ana", added=False)
    await bot.command("/swarm resolve restarted the worker", channel=room)
    await bot.command("/swarm kb 1")
    assert "template cache is stale" not in bot.last_told("ana")


async def test_resolve_with_only_the_marked_fix(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    assert await bot.command("/swarm resolve", channel=room) is Outcome.DONE
    assert "clearing it fixes the export" in bot.said(room)[-1]


async def test_resolve_needs_a_fix_from_somewhere(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    room = bot.room(1)
    assert await bot.command("/swarm resolve", channel=room) is Outcome.REFUSED
    assert "Say what fixed it" in bot.last_told("ana")


async def test_resolve_outside_a_room_is_refused(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    assert await bot.command("/swarm resolve fixed it", channel="support") is Outcome.REFUSED
    assert "Run this in a swarm's room" in bot.last_told("ana")


async def test_only_members_resolve(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    room = bot.room(1)
    assert await bot.command("/swarm resolve fixed it", user="fay", channel=room) is Outcome.REFUSED
    assert "Only its owner, Ana Ruiz, or a lead or admin" in bot.last_told("fay")
    assert "`/swarm join 1` to be one" in bot.last_told("fay")


async def test_a_closed_swarm_cannot_be_resolved_again_but_can_be_reopened(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve cleared the cache", channel=room)
    assert await bot.command("/swarm resolve again", channel=room) is Outcome.REFUSED
    assert "already resolved" in bot.last_told("ana")
    assert await bot.command("/swarm reopen", channel=room) is Outcome.DONE
    assert bot.said(room)[-1] == "Swarm 1 is open again, reopened by @Ana Ruiz."
    # The fix did not hold: the article is work in progress again, and search points to the swarm instead.
    await bot.command("/swarm kb invoices")
    assert "*1* ACME cannot export invoices to PDF since 4.2 — being worked on in swarm 1" in bot.last_told("ana")


async def test_cancel_closes_the_swarm_with_the_reason(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    room = bot.room(1)
    await bot.command("/swarm cancel duplicate of a known bug", channel=room)
    assert bot.said(room)[-1] == "Swarm 1 was cancelled by @Ana Ruiz: duplicate of a known bug"
    await bot.command("/swarm list")
    assert "No swarms are open" in bot.last_told("ana")


async def test_archive_on_resolve(store) -> None:  # type: ignore[no-untyped-def]
    from handlers.context import Conventions

    bot = ScenarioBot(store, conventions=Conventions(archive_on_resolve=True))
    await bot.load_roster()
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve cleared the cache", channel=room)
    assert bot.chat.channels[room].archived


async def test_a_run_of_room_messages_keeps_each_message_once_and_skips_retried_deliveries(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #billing sev2", user="ana")
    room = bot.room(1)
    said = [MessageEvent(bot.origin("ana", room), f"m{i}", f"step {i}", event_id=f"Ev{i}") for i in range(3)]
    again = MessageEvent(bot.origin("ana", room), "m1", "step 1", event_id="Ev1-other")  # same message, other id
    blank = MessageEvent(bot.origin("ana", room), "m9", "   ", event_id="Ev9")
    await bot.router.handle_messages([*said, again, blank])
    await bot.router.handle_messages([said[2]])  # a retried delivery: kept already
    await bot.command("/swarm status", channel=room)
    assert "3 messages" in bot.last_told("ana")


async def test_room_messages_become_the_timeline_and_the_first_expert_reply_is_kept(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm status", channel=room)
    assert "2 messages" in bot.last_told("ana")
    swarm = (await bot.core.swarms.list_open(bot.router.context.actor(bot.origin("ana", room))))[0].swarm
    assert swarm.first_expert_reply_at is not None


async def test_status_of_a_resolved_swarm_says_how_long_it_took_and_counts_its_one_message(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #billing sev2")
    room = bot.room(1)
    await bot.say("Cleared the template cache", user="ben", channel=room)
    bot.clock.advance(hours=2, minutes=10)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    await bot.command("/swarm status 1")
    status = bot.last_told("ana")
    assert "Took: 2h 10m" in status and "Open for" not in status
    assert "· 1 message" in status and "1 messages" not in status


async def test_a_fix_that_did_not_hold_is_not_shown_once_the_swarm_is_reopened_and_cancelled(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #billing sev2")
    room = bot.room(1)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    await bot.command("/swarm reopen", channel=room)
    await bot.command("/swarm cancel a duplicate of swarm 7", channel=room)
    card = bot.text(bot.chat.called("update")[-1]["reply"])
    await bot.command("/swarm status 1")
    for shown in (card, bot.last_told("ana")):
        assert "cancelled" in shown and "cleared the template cache" not in shown


async def test_status_shows_the_fix_escaped_once(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #billing sev2")
    await bot.command("/swarm resolve set the <b> tag & reload", channel=bot.room(1))
    await bot.command("/swarm status 1")
    sent = bot.chat.private(bot.user("ana"))[-1].plain()  # as the platform gets it
    assert "Fix: set the &lt;b&gt; tag &amp; reload" in sent


async def test_the_rating_question_names_the_case_escaped_once(bot: ScenarioBot) -> None:
    await bot.command("/swarm R&D <build> fails #billing sev2")
    await bot.command("/swarm resolve rebuilt it", channel=bot.room(1))
    sent = bot.chat.private(bot.user("ana"))[-1].plain()  # as the platform gets it
    assert "How well was swarm 1 handled?" in sent and "Swarm 1: R&amp;D &lt;build&gt; fails" in sent


async def test_resolve_cancel_and_link_name_the_swarm_by_its_number_anywhere(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve 1 cleared the template cache cause: stale cache", channel="support")
    assert bot.said(room)[-1].startswith(":white_check_mark: Swarm 1 is resolved")
    assert "Fix: cleared the template cache" in bot.said(room)[-1]

    await bot.command("/swarm Invoices export blank #pdf", user="ana", channel="support")
    await bot.command("/swarm link 2 1", user="ana", channel="support")
    assert "linked article 1" in bot.said(bot.room(2))[-1]
    await bot.command("/swarm cancel 2 the customer found it", user="ana", channel="support")
    assert "cancelled" in bot.said(bot.room(2))[-1]
    await bot.command("/swarm status 2", user="ana", channel="support")
    assert "Status: cancelled" in bot.last_told("ana")


async def test_a_cancelled_swarms_work_in_progress_is_archived_with_it_and_back_on_reopen(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME export fails #billing", user="ana")
    await bot.command("/swarm kb 1", user="ana")
    assert "State: wip" in bot.last_told("ana")

    await bot.command("/swarm cancel 1 not a real issue", user="ana")
    await bot.command("/swarm kb 1", user="ana")
    assert "State: archived" in bot.last_told("ana")
    await bot.command("/swarm kb history 1", user="ana")
    assert "swarm 1 cancelled" in bot.last_told("ana")

    await bot.command("/swarm reopen 1", user="ana")
    await bot.command("/swarm kb 1", user="ana")
    assert "State: wip" in bot.last_told("ana")
