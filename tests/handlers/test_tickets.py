"""A swarm that belongs to a Zendesk ticket: opened from it in chat, and telling it what happened, always in
internal notes, through the outbox. The real Zendesk adapter talks to a loopback fake of Zendesk's API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.tickets.zendesk import Zendesk
from bot.ports import Store
from handlers.context import Conventions
from handlers.jobs import JOBS
from tests.fakes.zendesk_api import FakeZendesk
from tests.harness import WORKSPACE, ScenarioBot

WEB = "https://swarm.acme.example"


@pytest.fixture
async def zendesk() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk() as fake:
        fake.add_ticket(
            4521,
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="high",
            tags=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        yield fake


@pytest.fixture
async def bot(store: Store, zendesk: FakeZendesk) -> AsyncIterator[ScenarioBot]:
    client = Zendesk(zendesk.url, zendesk.email, zendesk.token, timeout=5)
    scenario = ScenarioBot(store, tickets={"zd": client}, conventions=Conventions(web_url=WEB))
    report = await scenario.load_roster()
    assert not report.rejected
    yield scenario
    await client.close()


def _every_write_is_internal(zendesk: FakeZendesk) -> None:
    writes = zendesk.writes()
    assert writes, "nothing was written to the ticket"
    for call in writes:
        assert (call.method, call.path.rsplit("/", 1)[0]) == ("PUT", "/api/v2/tickets")
        assert call.body["ticket"]["comment"]["public"] is False, call.body
    assert all(not note["public"] for notes in zendesk.comments.values() for note in notes[1:])


async def _run_tickets_job(bot: ScenarioBot) -> None:
    await JOBS["tickets"](bot.router.context, WORKSPACE)


async def test_a_swarm_opens_from_a_ticket_and_says_so_on_it(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:4521", user="ana")

    announcement = bot.said("support")[0]
    assert "*Swarm 1* is open for" in announcement
    assert "ACME cannot export invoices to PDF" in announcement
    assert "sev2 · customer ACME Corp · #billing · #pdf" in announcement
    assert f"Ticket zd:4521 {zendesk.url}/agent/tickets/4521" in announcement
    card = bot.said(bot.room(1))[0]
    assert f"Ticket: zd:4521 (open) {zendesk.url}/agent/tickets/4521" in card
    assert "Description: Since Monday every export to PDF fails with error 500." in card
    assert "Customer: ACME Corp" in card
    assert "@Ben Okafor" in card  # billing 5/5, asked

    [note] = zendesk.notes(4521)
    assert note["public"] is False
    assert note["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.\n")
    assert f"Room: #{bot.room(1)} in console. {WEB}/swarms/1" in note["body"]
    assert "\nExperts asked:\n- " in note["body"]
    assert "\n- Ben Okafor (R&D · billing 5/5" in note["body"]
    _every_write_is_internal(zendesk)

    await bot.command("/swarm status 1", user="ana")
    assert f"Ticket: zd:4521 (open) {zendesk.url}/agent/tickets/4521" in bot.last_told("ana")

    async with bot.store.unit() as uow:  # the swarm keeps when the ticket was filed, for figures from the ticket
        workspace = await uow.workspaces.ensure(WORKSPACE)
        swarm = await uow.swarms.get(workspace.id, 1)
    assert swarm is not None and swarm.ticket is not None
    assert swarm.ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)


async def test_the_tickets_address_with_more_words_opens_it_too(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command(
        "/swarm https://acme.zendesk.com/agent/tickets/4521 looks like the renderer #export sev1", user="ana"
    )

    announcement = bot.said("support")[0]
    assert "ACME cannot export invoices to PDF — looks like the renderer" in announcement
    assert "sev1 · customer ACME Corp · #export · #billing · #pdf" in announcement
    assert "@Chen Wei" in bot.said(bot.room(1))[0]  # export 4/5


async def test_a_ticket_zendesk_does_not_have_opens_nothing(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:999", user="ana")

    assert bot.last_told("ana") == "Zendesk has no ticket zd:999; check the number, or paste the ticket's address."
    assert bot.said("support") == []
    assert zendesk.writes() == []


async def test_a_ticket_has_one_open_swarm(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    await bot.command("/swarm zd:4521 again", user="dana")

    assert bot.last_told("dana") == "Swarm 1 is already open for zd:4521: `/swarm join 1` joins it."
    assert len(bot.said("support")) == 1


async def test_zendesk_down_never_stops_a_swarm_and_its_note_arrives_when_it_is_back(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    zendesk.down = True

    await bot.command("/swarm zd:4521 export to PDF fails #pdf", user="ana")

    assert "export to PDF fails" in bot.said("support")[0]
    assert bot.last_told("ana") == (
        "Zendesk did not answer, so swarm 1 opened from what you typed. It is linked to zd:4521: its notes will reach "
        "the ticket when Zendesk is back."
    )
    assert zendesk.notes(4521) == []

    zendesk.down = False
    await _run_tickets_job(bot)
    assert zendesk.notes(4521) == []  # not before its backoff
    bot.clock.advance(seconds=30)
    await _run_tickets_job(bot)
    await _run_tickets_job(bot)

    [note] = zendesk.notes(4521)
    assert note["body"].startswith("Swarm 1 is working on this ticket")
    _every_write_is_internal(zendesk)


async def test_a_rate_limit_is_waited_out_as_zendesk_asks(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    zendesk.calls.clear()
    zendesk.fail(times=1, status=429, retry_after=45)

    await bot.command("/swarm cancel 1 duplicate of an older ticket", user="ana")
    assert [c.status for c in zendesk.calls] == [429]

    bot.clock.advance(seconds=44)
    await _run_tickets_job(bot)
    assert len(zendesk.calls) == 1  # Zendesk is not asked again before its Retry-After
    bot.clock.advance(seconds=1)
    await _run_tickets_job(bot)

    assert [n["body"] for n in zendesk.notes(4521)][-1] == (
        "Swarm 1 was cancelled by Ana Ruiz: duplicate of an older ticket"
    )
    assert [c.status for c in zendesk.calls] == [429, 200]


async def test_the_fix_and_its_article_go_back_to_the_ticket_once(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    room = bot.room(1)
    await bot.command("/swarm join 1", user="ben", channel=room)
    await bot.say("The PDF worker ran out of memory; restarted it with 2 GB", user="ben", channel=room)

    await bot.command(
        "/swarm resolve restarted the PDF worker with 2 GB cause: out of memory", user="ana", channel=room
    )
    for _ in range(3):
        bot.clock.advance(minutes=5)
        await _run_tickets_job(bot)

    opened, resolved = zendesk.notes(4521)
    assert opened["body"].startswith("Swarm 1 is working on this ticket")
    lines = resolved["body"].splitlines()
    assert lines[0].startswith("Swarm 1 resolved this after ")
    assert lines[1] == "Fix: restarted the PDF worker with 2 GB"
    assert lines[2] == "Cause: out of memory"
    assert lines[3].startswith("Knowledge article ") and lines[3].endswith(f"{WEB}/kb/1")
    _every_write_is_internal(zendesk)

    await bot.command("/swarm reopen 1", user="ana", channel=room)
    await bot.command("/swarm cancel 1 the customer withdrew it", user="ana", channel=room)
    assert [n["body"] for n in zendesk.notes(4521)][-1] == "Swarm 1 was cancelled by Ana Ruiz: the customer withdrew it"
    assert len(zendesk.notes(4521)) == 3
    _every_write_is_internal(zendesk)


async def test_a_ticket_of_another_system_not_set_up_is_words_of_the_case(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    await bot.command("/swarm jsm:SUP-123 login loop after SSO change #sso", user="ana")

    assert "jsm:SUP-123 login loop after SSO change" in bot.said("support")[0]
    assert zendesk.calls == []


async def test_an_opening_interrupted_and_resumed_leaves_one_note(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    from handlers.opening import resume

    working = bot.chat.post_marked

    async def announcement_fails(channel: str, reply: object, key: str, thread: str | None = None) -> str:
        if channel == "support":
            raise ConnectionError("platform down")
        return await working(channel, reply, key, thread)  # type: ignore[arg-type]

    bot.chat.post_marked = announcement_fails  # type: ignore[method-assign]
    await bot.command("/swarm zd:4521", user="ana")
    assert zendesk.notes(4521) == []  # kept, not sent: the swarm is not open yet

    bot.chat.post_marked = working  # type: ignore[method-assign]
    bot.clock.advance(minutes=3)
    assert await resume(bot.router.context, WORKSPACE) == 1
    await _run_tickets_job(bot)
    await _run_tickets_job(bot)

    [note] = zendesk.notes(4521)
    assert note["body"].startswith("Swarm 1 is working on this ticket")
    _every_write_is_internal(zendesk)


async def test_a_storm_of_429s_delivers_every_note_once_and_waits_as_asked(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    for number in range(4522, 4526):
        zendesk.add_ticket(number, f"Export {number} fails", tags=("export",))
    zendesk.fail(times=1, status=429, retry_after=60)

    for number in range(4522, 4526):
        await bot.command(f"/swarm zd:{number} export fails", user="dana")

    # Every swarm opened; after the 429, Zendesk was not asked anything for the minute it asked for.
    assert len(bot.said("support")) == 4
    assert [(c.method, c.status) for c in zendesk.calls] == [("GET", 429)]
    assert bot.told("dana")[0].startswith("Zendesk did not answer, so swarm 1 opened from what you typed.")

    bot.clock.advance(seconds=59)
    await _run_tickets_job(bot)
    assert len(zendesk.calls) == 1
    zendesk.fail(times=2, status=429, retry_after=30)
    for _ in range(6):  # the scheduler's rounds
        bot.clock.advance(seconds=31)
        await _run_tickets_job(bot)

    assert all(len(zendesk.notes(number)) == 1 for number in range(4522, 4526))
    statuses = [c.status for c in zendesk.calls]
    assert statuses == [429, 429, 429, 200, 200, 200, 200]  # each 429 was followed by the wait it asked for
    _every_write_is_internal(zendesk)


async def test_a_ticket_solved_elsewhere_resolves_the_swarm_with_its_marked_fix(
    bot: ScenarioBot, zendesk: FakeZendesk
) -> None:
    from handlers.ticket_events import ticket_changed

    await bot.command("/swarm zd:4521", user="ana")
    room = bot.room(1)
    fix = await bot.say("Restarting the PDF worker with 2 GB fixes it", user="chen", channel=room)
    await bot.react("white_check_mark", fix, user="ana")

    assert await ticket_changed(bot.router.context, WORKSPACE, "zd", "4521", "solved", done=True)

    said = bot.said(room)
    assert "Ticket zd:4521 was marked solved in Zendesk: swarm 1 is resolved with the fix marked in this room." in said
    assert said[-1].startswith(":white_check_mark: Swarm 1 is resolved")
    resolved = zendesk.notes(4521)[-1]["body"]
    assert "\nFix:\n- Restarting the PDF worker with 2 GB fixes it\n" in resolved
    assert resolved.endswith(f"{WEB}/kb/1")
    _every_write_is_internal(zendesk)

    # Over: nothing to tell.
    assert not await ticket_changed(bot.router.context, WORKSPACE, "zd", "4521", "closed", done=True)


async def test_a_ticket_whose_answer_is_known_is_told_so_in_its_note(bot: ScenarioBot, zendesk: FakeZendesk) -> None:
    await bot.command("/swarm zd:4521", user="ana")
    room = bot.room(1)
    await bot.command("/swarm resolve restarted the PDF worker with 2 GB cause: out of memory", channel=room)
    zendesk.add_ticket(
        4600,
        "Cannot export invoices to PDF",
        "Every export to PDF fails since this morning.",
        priority="normal",
        organization="Globex",
    )

    await bot.command("/swarm zd:4600", user="ben")

    [note] = zendesk.notes(4600)
    lines = note["body"].splitlines()
    answered = lines.index("Maybe already answered:")
    assert lines[answered + 1].startswith("- Knowledge article 1: ")
    assert lines[answered + 1].endswith(f"{WEB}/kb/1")
    _every_write_is_internal(zendesk)
    [first] = zendesk.notes(4521)[:1]
    assert "Maybe already answered" not in first["body"]  # nothing was known then
