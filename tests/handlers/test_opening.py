"""Opening a swarm: room, invites, case card, announcement."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import Core
from handlers.router import Outcome, Router
from storage.database import SqlStore
from storage.lease import SqlLease
from tests.harness import ScenarioBot

DEMO_CASE = "/swarm ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


async def test_opening_creates_the_room_invites_experts_and_announces(bot: ScenarioBot) -> None:
    assert await bot.command(DEMO_CASE, user="ana") is Outcome.DONE

    created = bot.chat.called("create_room")
    assert [c["name"] for c in created] == ["swarm-1-acme-cannot-export-invoices"]
    room = "swarm-1-acme-cannot-export-invoices"
    invited = bot.chat.called("invite")[0]
    assert invited["room"] == room
    assert "ana@example.com" in invited["users"]
    # Ben (billing 5, pdf 3) and Chen (pdf 5) are the obvious experts; never Ana, who asked.
    assert {"ben@example.com", "chen@example.com"} <= set(invited["users"])

    card = bot.said(room)[0]
    assert "Swarm 1: ACME cannot export invoices to PDF since 4.2" in card
    assert "sev2" in card and "ACME" in card
    assert "@Ben Okafor (R&D · billing 5/5" in card

    announcement = bot.said("support")[0]
    assert "Swarm 1" in announcement and "Asked:" in announcement
    assert "@Ben Okafor" in announcement and "@Chen Wei" in announcement
    assert ":raising_hand: to join" in announcement
    assert "#swarm-1-acme-cannot-export-invoices" in announcement


async def test_the_requester_owns_the_swarm_and_it_is_open(bot: ScenarioBot) -> None:
    await bot.command(DEMO_CASE, user="ana")
    await bot.command("/swarm status 1", user="ana")
    status = bot.last_told("ana")
    assert "Status: open" in status
    assert "Owner: @Ana Ruiz" in status
    assert "Asked, no answer yet: @" in status


async def test_swarms_are_numbered_per_workspace(bot: ScenarioBot) -> None:
    await bot.command("/swarm SSO login loops for Globex #sso", user="ana")
    await bot.command("/swarm Tax rounding wrong on invoices #tax", user="fay")
    assert [c["name"] for c in bot.chat.called("create_room")] == [
        "swarm-1-sso-login-loops-for",
        "swarm-2-tax-rounding-wrong-on",
    ]


async def test_a_taken_room_name_gets_a_suffix(bot: ScenarioBot) -> None:
    bot.chat.channel("swarm-1-sso-login-loops-for")
    await bot.command("/swarm SSO login loops for Globex #sso", user="ana")
    assert "swarm-1-sso-login-loops-for-2" in bot.chat.channels
    assert "room #swarm-1-sso-login-loops-for-2" in bot.said("support")[0]


async def test_a_case_nobody_covers_still_opens_and_says_so(bot: ScenarioBot) -> None:
    await bot.command("/swarm Mainframe batch job rejects the invoice file #cobol", user="ana")
    room = bot.room(1)
    assert "Nobody in the roster covers: #cobol" in bot.said(room)[0]
    assert "nobody matched yet" in bot.said("support")[0]


async def test_a_case_whose_experts_are_all_off_hours_says_so_in_the_announcement(bot: ScenarioBot) -> None:
    bot.clock.advance(days=6, hours=4)  # Sunday 13:00 UTC: nobody who knows SSO is at work
    await bot.command("/swarm SSO login loops for Globex #sso sev2", user="ana")
    assert "Off hours now, not paged below sev1: @Eli Brown" in bot.said(bot.room(1))[0]
    announcement = bot.said("support")[0]
    assert "Asked: nobody yet: 1 who matches is off hours (sev1 would page them)" in announcement
    assert "nobody matched" not in announcement


async def test_experts_at_their_load_cap_are_not_asked_again(bot: ScenarioBot) -> None:
    # Ben takes at most 2 swarms at once.
    for case in ("Billing export broken #billing", "Billing totals off #billing", "Billing emails late #billing"):
        await bot.command(f"/swarm {case}", user="ana")
    third_room_invites = bot.chat.called("invite")[2]["users"]
    assert "ben@example.com" not in third_room_invites
    assert "dana@example.com" in third_room_invites


async def test_an_interrupted_opening_is_finished_later_without_duplicates(bot: ScenarioBot) -> None:
    from handlers.opening import resume

    failing = bot.chat.create_room

    async def down(name: str, topic: str, private: bool = False):  # type: ignore[no-untyped-def]
        raise ConnectionError("platform down")

    bot.chat.create_room = down  # type: ignore[method-assign]
    # sev1: Eli, the SSO expert, is asleep in Los Angeles, and only sev1 may wake him.
    assert await bot.command("/swarm SSO login loops for Globex #sso sev1", user="ana") is Outcome.FAILED
    assert "Swarm 1 is saved" in bot.told("ana")[0]
    assert bot.chat.called("create_room") == []
    assert bot.said("support") == []

    bot.chat.create_room = failing  # type: ignore[method-assign]
    # Just saved, it may still be opening in another process (a worker, a replica): not touched yet.
    assert await resume(bot.router.context, "T-test") == 0
    bot.clock.advance(minutes=3)
    assert await resume(bot.router.context, "T-test") == 1
    assert await resume(bot.router.context, "T-test") == 0
    assert [c["name"] for c in bot.chat.called("create_room")] == ["swarm-1-sso-login-loops-for"]
    assert "*Swarm 1* is open" in bot.said("support")[0]
    assert "Asked: @Eli Brown (Product · sso 5/5" in bot.said(bot.room(1))[0]
    assert len(bot.said("support")) == 1


async def test_a_similar_resolved_case_is_shown_in_the_new_room(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm resolve cleared the PDF template cache", channel=bot.room(1))
    # "Globex" and "since Monday", which no article has, are no evidence against the article.
    await bot.command("/swarm Globex PDF export of invoices is blank since Monday #pdf", user="fay")
    card = bot.said(bot.room(2))[0]
    assert "Maybe known: article 1 — ACME invoices export to PDF blank (draft)" in card


async def test_an_open_swarm_is_found_by_search_so_nobody_starts_a_duplicate(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm kb pdf export blank", user="fay")
    assert "being worked on in swarm 1: `/swarm join 1`" in bot.last_told("fay")
    await bot.command("/swarm Globex PDF export of invoices is blank #pdf", user="fay")
    assert (
        "Maybe known: article 1 — ACME invoices export to PDF blank (being worked on in swarm 1"
        in bot.said(bot.room(2))[0]
    )


async def test_resolving_turns_the_work_in_progress_article_into_the_draft(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm resolve cleared the cache", channel=bot.room(1))
    await bot.command("/swarm kb 1")
    article = bot.last_told("ana")
    assert "State: draft" in article and "Resolution: cleared the cache" in article
    await bot.command("/swarm kb 2")
    assert "There is no article 2." in bot.last_told("ana")


async def test_a_card_posted_before_a_crash_lost_its_id_is_found_again_not_posted_twice(
    bot: ScenarioBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.opening import resume

    automation = bot.core.automation
    save_card = automation.set_card

    async def lost(swarm_id: int, message_id: str) -> None:
        raise ConnectionError("the process died before it saved the card's id")

    monkeypatch.setattr(automation, "set_card", lost)
    assert await bot.command("/swarm SSO login loops for Globex #sso sev1", user="ana") is Outcome.FAILED
    room = bot.room(1)
    assert len(bot.said(room)) == 1  # the card is there; the database does not know it

    monkeypatch.setattr(automation, "set_card", save_card)
    bot.clock.advance(minutes=3)
    assert await resume(bot.router.context, "T-test") == 1
    assert len(bot.said(room)) == 1
    assert [c["key"] for c in bot.chat.called("find_post")] == ["card:1", "announcement:1"]
    assert [p["message_id"] for p in bot.chat.called("pin")] == [bot.chat.marks["card:1"]]
    assert len(bot.said("support")) == 1


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
async def test_resumes_at_the_same_moment_finish_an_opening_once(
    bot: ScenarioBot, store: SqlStore, processes: int
) -> None:
    """A start-up's resume, the scheduler's, and each worker process's or replica's may run at once: each would find
    the announcement missing. Only the one holding the swarm's lease finishes it."""
    from handlers.opening import resume

    available = bot.chat.create_room

    async def down(name: str, topic: str, private: bool = False):  # type: ignore[no-untyped-def]
        raise ConnectionError("platform down")

    async def slow(name: str, topic: str, private: bool = False, made_since: object = None):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.05)  # long enough for the other resume to get this far too
        return await available(name, topic, private, made_since=made_since)

    bot.chat.create_room = down  # type: ignore[method-assign]
    assert await bot.command("/swarm SSO login loops for Globex #sso sev1", user="ana") is Outcome.FAILED
    bot.chat.create_room = slow  # type: ignore[method-assign]
    bot.clock.advance(minutes=3)
    routers = [bot.router]
    if processes == 2:  # another process on the same database: its own core; the database's leases for both
        bot.core.swarms.leases = SqlLease(store)
        routers.append(Router(Core.build(store, bot.policy, bot.clock, leases=SqlLease(store)), bot.chat))
    contexts = [router.context for router in routers] * (3 - processes)  # two resumes either way

    finished = await asyncio.gather(*(resume(ctx, "T-test") for ctx in contexts))

    assert sum(finished) == 1
    assert len(bot.chat.called("create_room")) == 1
    assert len(bot.said("support")) == 1
