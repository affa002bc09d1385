"""Where the platform has forms (Slack modals, Teams cards): open a swarm, resolve with the edited article, skills."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryChat
from bot.ports import Store
from handlers.forms import case_text
from handlers.router import Outcome
from tests.harness import WORKSPACE, ScenarioBot


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    scenario = ScenarioBot(store, chat=MemoryChat(platform="console", workspace=WORKSPACE, forms=True))
    await scenario.load_roster()
    return scenario


async def test_swarm_with_no_text_opens_the_form_and_submitting_opens_the_swarm(bot: ScenarioBot) -> None:
    assert await bot.command("/swarm", channel="support") is Outcome.DONE
    form = bot.last_form()
    assert [f.id for f in form.fields] == ["case", "customer", "product", "version", "severity", "skills"]
    assert bot.chat.called("create_room") == []

    await bot.submit(
        form,
        user="ana",
        channel="home",
        case="Invoices export blank",
        customer="ACME Corp",
        severity="sev2",
        skills="billing, pdf",
        version="4.2",
    )
    assert [c["name"] for c in bot.chat.called("create_room")] == ["swarm-1-invoices-export-blank"]
    announcement = bot.said("support")[0]
    assert "sev2 · customer ACME Corp · #billing · #pdf" in announcement


async def test_an_empty_case_in_the_form_is_refused(bot: ScenarioBot) -> None:
    await bot.command("/swarm")
    assert await bot.submit(bot.last_form(), user="ana", case="  ") is Outcome.REFUSED
    assert "Tell me what the case is" in bot.last_told("ana")


async def test_resolve_without_text_opens_the_prefilled_draft(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices to PDF since 4.2 #pdf customer:ACME")
    room = bot.room(1)
    fix = await bot.say("Clearing the template cache fixes it", user="chen", channel=room)
    await bot.react("white_check_mark", fix, user="ana")

    await bot.command("/swarm resolve", channel=room)
    form = bot.last_form()
    prefilled = {f.id: f.value for f in form.fields}
    assert prefilled["issue"] == "ACME cannot export invoices to PDF since 4.2"
    assert prefilled["environment"] == "Version: 4.2 · Customer: ACME · Severity: sev3"
    assert prefilled["resolution"] == "- Clearing the template cache fixes it"
    assert form.value == "1"
    await bot.command("/swarm status 1")
    assert "Status: open" in bot.last_told("ana")

    await bot.submit(form, user="ana", channel=room, resolution="Cleared the PDF template cache", cause="stale cache")
    assert "Swarm 1 is resolved" in bot.said(room)[-1]
    await bot.command("/swarm kb 1")
    article = bot.last_told("ana")
    assert "Resolution: Cleared the PDF template cache" in article
    assert "Cause: stale cache" in article


async def test_the_resolve_button_opens_the_form_for_members_only(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    assert await bot.click("resolve", "1", user="fay") is Outcome.REFUSED
    assert "Only its owner, Ana Ruiz, or a lead or admin" in bot.last_told("fay")
    assert "can resolve swarm 1" in bot.last_told("fay")
    assert await bot.click("resolve", "1", user="ana") is Outcome.DONE
    assert bot.last_form().title == "Resolve swarm 1"


async def test_submitting_an_empty_resolution_is_refused_and_changes_nothing(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    await bot.click("resolve", "1", user="ana")
    assert await bot.submit(bot.last_form(), user="ana", resolution=" ") is Outcome.REFUSED
    assert "Say what fixed it" in bot.last_told("ana")
    await bot.command("/swarm status 1")
    assert "Status: open" in bot.last_told("ana")


async def test_home_shows_my_swarms_and_its_buttons_change_availability(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax", user="ana")
    await bot.open_home("ana")
    home = bot.text(bot.chat.called("show_home")[-1]["reply"])
    assert "*1* Tax rounding wrong" in home
    assert "Your skills: support 4/5" in home
    assert "[Away until tomorrow]" in home

    await bot.click("away", "tomorrow", user="ben")
    assert "away until" in bot.text(bot.chat.called("show_home")[-1]["reply"])
    await bot.click("back", "", user="ben")
    assert "working now" in bot.text(bot.chat.called("show_home")[-1]["reply"])


async def test_the_skills_form_replaces_my_skills(bot: ScenarioBot) -> None:
    await bot.click("edit_skills", "", user="fay")
    form = bot.last_form()
    assert form.fields[0].value == "support:3"
    await bot.submit(form, user="fay", skills="support:4 billing:2")
    assert bot.last_told("fay") == "Saved. Your skills: billing 2/5, support 4/5."
    await bot.click("edit_skills", "", user="fay")
    assert await bot.submit(bot.last_form(), user="fay", skills="billing:9") is Outcome.REFUSED


def test_the_form_speaks_the_command_grammar() -> None:
    assert case_text(
        {"case": "Export  fails", "skills": "#billing pdf", "severity": "sev1", "customer": "ACME Corp"}
    ) == ('Export fails #billing #pdf sev1 customer:"ACME Corp"')


async def test_a_member_s_resolve_form_becomes_a_proposal_for_the_owner(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    await bot.command("/swarm join 1", user="fay")
    await bot.click("resolve", "1", user="fay")
    await bot.submit(bot.last_form(), user="fay", resolution="rounded per line", cause="wrong rounding mode")

    await bot.command("/swarm status 1")
    assert "Status: open" in bot.last_told("ana")
    assert any(
        "Fay Singh proposes resolving swarm 1: rounded per line cause: wrong rounding mode" in m
        for m in bot.said(bot.room(1))
    )
