"""What a support lead reads on each page, in a real browser, for a known set of swarms: the words and numbers on
screen. One server and one browser for the whole module; every page the router serves has a test here
(`test_every_page_of_the_router_has_a_reading_test`).

The swarms, opened Tuesday 24 Nov 2026 at 09:00 UTC, and read at 14:05:
  1. "ACME invoices export to PDF times out" #pdf #export: Chen Wei said "I can help" and wrote the fix, Ana
     marked it and rated Chen a good match; resolved at 11:05 (article 1).
  2. "Customer asks for a call back about her invoice layout": cancelled by Ana at 09:14, "duplicate of swarm 1".
  3. "Initech billing totals are off" #billing, and 4. "Umbrella VAT number rejected" #tax: open; nobody in the
     room has the skill either needs (the skill gaps, one swarm each).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from adapters import web
from bot.analytics import DEFAULT_PERIOD
from bot.browse import Browse
from handlers import replies
from tests.adapters.web.conftest import OtherWorkspace, Site, new_page, serve, shoot, signed_in
from tests.databases import SqliteTemplate, Template, fresh_schema, sqlite_url
from tests.harness import ScenarioBot

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.database]

# The routes that serve no page: programs read them.
NOT_PAGES = {"/healthz", "/readyz", "/metrics", "/static", "/api/kb"}  # for programs: JSON, not read


async def known_swarms(bot: ScenarioBot, other: OtherWorkspace) -> None:
    await bot.load_roster()
    await bot.command("/swarm ACME invoices export to PDF times out #pdf #export sev2", user="ana")
    await bot.command("/swarm Customer asks for a call back about her invoice layout", user="ana")
    chen = await bot.person("chen")
    await bot.command("/swarm accept 1", user="chen")
    fix = await bot.say("Cleared the template cache on the export worker", user="chen", channel=bot.room(1))
    await bot.react("white_check_mark", fix, user="ana")
    bot.clock.advance(minutes=14)
    await bot.command("/swarm cancel duplicate of swarm 1", user="ana", channel=bot.room(2))
    bot.clock.advance(hours=1, minutes=51)
    await bot.click(replies.MATCH_GOOD, f"1:{chen.id}", user="ana")
    await bot.command("/swarm resolve Cleared the template cache cause: a stale cache", user="ana", channel=bot.room(1))
    await bot.command("/swarm Initech billing totals are off #billing", user="fay")
    await bot.command("/swarm Umbrella VAT number rejected #tax", user="fay")
    bot.clock.advance(hours=3)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory, migrated_template: Template) -> AsyncIterator[Site]:
    if isinstance(migrated_template, SqliteTemplate):
        url = sqlite_url(tmp_path_factory.mktemp("reading") / "swarm.db")
        async with serve(url, known_swarms) as served:
            yield served
        return
    async with fresh_schema(migrated_template.server) as url, serve(url, known_swarms) as served:
        yield served


@pytest_asyncio.fixture(loop_scope="module")
async def lead(browser: Browser, site: Site) -> Page:
    """A support lead, signed in."""
    return await signed_in(browser, site)


async def read(page: Page, site: Site, path: str, status: int = 200) -> None:
    response = await page.goto(site.url + path)
    assert response is not None and response.status == status, path


async def how_long(page: Page) -> str:
    """The swarm page's fact of how long it ran: "Open for 3h 0m", "Resolved after 2h 5m"."""
    fact = page.locator(".facts .span")
    return f"{await fact.locator('dt').inner_text()} {await fact.locator('dd').inner_text()}"


async def test_the_dashboard_reads_the_last_30_days_with_plain_words(lead: Page, site: Site) -> None:
    await read(lead, site, "/dashboard")
    assert DEFAULT_PERIOD == "30d"  # /swarm stats' default, and so the dashboard's
    await expect(lead.locator(".period")).to_contain_text("compared with the 30 days before")
    await expect(lead.locator(".period a[aria-current=page]")).to_have_text("last 30 days")
    await expect(lead.locator(".figure", has_text="Swarms opened").locator(".value")).to_have_text("4")
    await expect(lead.locator(".figure", has_text="Open now").locator(".value")).to_have_text("2")
    fairness = lead.locator(".figure", has_text="How evenly the work is shared")
    await expect(fairness.locator(".explain")).to_have_text(
        "0 when everyone who helped did the same share; the nearer 1, the more a few people carry the work."
    )
    assert "Gini" not in await lead.locator("main").inner_text()
    gaps = lead.locator("figure.panel", has_text="Skill gaps")
    await expect(gaps.locator(".says")).to_have_text(
        "Each of #billing and #tax was missing in 1 swarm: no skill stands out."
    )
    await expect(gaps.locator("rect.bar")).to_have_count(2)
    await shoot(lead, "reading-dashboard")
    await read(lead, site, "/dashboard?period=7d")
    await expect(lead.locator(".period")).to_contain_text("compared with the 7 days before")


async def test_a_resolved_swarm_reads_how_long_it_took_and_who_did_what(lead: Page, site: Site) -> None:
    await read(lead, site, "/swarms/1")
    assert await how_long(lead) == "Resolved after 2h 5m"
    timeline = lead.locator(".timeline li.entry")
    await expect(timeline.filter(has_text="rated")).to_contain_text("Ana Ruiz rated Chen Wei a good match")
    await expect(timeline.filter(has_text="as the fix")).to_contain_text(
        "Ana Ruiz marked Chen Wei's message as the fix"
    )
    await expect(timeline.filter(has_text="asked Chen Wei")).to_contain_text("Swarm asked Chen Wei to help")
    await shoot(lead, "reading-swarm")


async def test_a_cancelled_swarm_stops_counting_at_its_cancel(lead: Page, site: Site) -> None:
    await read(lead, site, "/swarms/2")
    facts = lead.locator(".facts")
    assert await how_long(lead) == "Cancelled after 14m"  # not the 5h 5m since it opened
    await expect(facts).to_contain_text("Why it was cancelled")
    await expect(facts).to_contain_text("duplicate of swarm 1")
    await expect(lead.locator(".timeline li.entry").last).to_contain_text("Ana Ruiz cancelled the swarm")
    await read(lead, site, "/swarms/3")
    assert await how_long(lead) == "Open for 3h 0m"


async def test_an_articles_versions_are_numbered_once(lead: Page, site: Site) -> None:
    await read(lead, site, "/kb/1")
    versions = lead.locator("section.versions li")
    await expect(versions.nth(0)).to_contain_text("Version 1 opened with swarm 1 — Ana Ruiz")
    await expect(versions.nth(1)).to_contain_text("Version 2 drafted at the resolve of swarm 1 — Ana Ruiz")
    markers = await versions.evaluate_all("items => items.map(li => getComputedStyle(li).listStyleType)")
    assert set(markers) == {"none"}  # no "1." before "Version 1"
    await shoot(lead, "reading-article")


async def test_the_knowledge_base_lists_the_articles_and_refuses_an_unknown_state(lead: Page, site: Site) -> None:
    await read(lead, site, "/kb?q=template+cache")
    result = lead.locator("li.result")
    await expect(result).to_have_count(1)
    await expect(result.locator("a.title")).to_have_text("1 ACME invoices export to PDF times out")
    await expect(result.locator(".state")).to_have_text("draft")
    await read(lead, site, "/kb?q=vat&state=published", status=400)
    await expect(lead.locator("h1")).to_have_text("No article state “published”")
    await expect(lead.locator(".ways a")).to_have_text(["wip", "draft", "validated", "archived"])
    await lead.locator(".ways a", has_text="validated").click()
    await expect(lead.locator("input[name=q]")).to_have_value("vat")


async def test_a_wrong_address_number_or_value_is_a_page_with_a_way_back(lead: Page, site: Site) -> None:
    problems = [
        ("/swarms/abc", 404, "No swarm “abc”", "Swarms are known by their number, as in /swarms/12; “abc” is not one."),
        ("/swarms/999", 404, "No swarm 999", "There is no swarm 999 in this workspace."),
        ("/swarms/12345678901", 404, "No swarm 12345678901", "There is no swarm 12345678901 in this workspace."),
        ("/kb/-1", 404, "No article “-1”", "Articles are known by their number, as in /kb/12; “-1” is not one."),
        ("/kb/77", 404, "No article 77", "There is no article 77 in this workspace."),
        ("/dashboard?period=7x", 400, "No period “7x”", "“7x” is not a period this page knows. Pick one of these:"),
        ("/swarm/1", 404, "No such page", "There is no page at /swarm/1."),
    ]
    for path, status, title, says in problems:
        await read(lead, site, path, status)
        await expect(lead.locator("h1")).to_have_text(title)
        await expect(lead.locator(".says")).to_contain_text(says)
        await expect(lead.locator("header nav a", has_text="Dashboard")).to_be_visible()  # the site's layout
        assert await lead.locator(".ways a").count() >= 1, path
    await shoot(lead, "reading-not-found")
    await lead.locator(".ways a", has_text="Back to the dashboard").click()
    await expect(lead.locator("h1")).to_have_text("Dashboard")
    await read(lead, site, "/dashboard?period=7x", 400)
    await expect(lead.locator(".ways a")).to_have_text(
        ["the last 7 days", "the last 30 days", "the last 90 days", "the last 180 days"]
    )
    answer = await lead.request.post(f"{site.url}/kb")
    assert answer.status == 405 and "/kb is a page to read" in await answer.text()


async def test_a_page_that_fails_says_so_in_the_sites_layout(
    lead: Page, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Browse, "swarm", broken)
    await read(lead, site, "/swarms/1", 500)
    await expect(lead.locator("h1")).to_have_text("Something went wrong")
    await expect(lead.locator(".ways a")).to_have_text(["Back to the dashboard"])
    assert "database went away" not in await lead.content()  # the error is in the log, not on the page


async def test_signed_out_the_sign_in_page_and_a_wrong_address_say_what_to_do(browser: Browser, site: Site) -> None:
    stranger = await new_page(browser)
    await read(stranger, site, "/signin")
    await expect(stranger.locator("h1")).to_have_text("Sign in to Swarm")
    await expect(stranger.locator("label[for=token]")).to_have_text("Access token")
    await read(stranger, site, "/auth/slack", 404)
    await expect(stranger.locator("h1")).to_have_text("Sign in with Slack is not set up")
    await expect(stranger.locator(".ways a")).to_have_text(["Sign in with the access token"])
    await read(stranger, site, "/auth/slack/callback?code=x&state=y", 404)
    await expect(stranger.locator("h1")).to_have_text("Sign in with Slack is not set up")
    await read(stranger, site, "/nowhere", 404)
    await expect(stranger.locator("h1")).to_have_text("No such page")
    await expect(stranger.locator(".note")).to_contain_text("You are not signed in")
    await read(stranger, site, "/")  # the home page is the dashboard, after signing in
    assert "/signin?next=" in stranger.url


async def test_every_page_of_the_router_has_a_reading_test(site: Site) -> None:
    """A new page gets a test in this module: the list is the router's."""
    tested = {
        "/": test_signed_out_the_sign_in_page_and_a_wrong_address_say_what_to_do,
        "/signin": test_signed_out_the_sign_in_page_and_a_wrong_address_say_what_to_do,
        "/auth/slack": test_signed_out_the_sign_in_page_and_a_wrong_address_say_what_to_do,
        "/auth/slack/callback": test_signed_out_the_sign_in_page_and_a_wrong_address_say_what_to_do,
        "/dashboard": test_the_dashboard_reads_the_last_30_days_with_plain_words,
        "/kb": test_the_knowledge_base_lists_the_articles_and_refuses_an_unknown_state,
        "/kb/{number}": test_an_articles_versions_are_numbered_once,
        "/swarms/{number}": test_a_resolved_swarm_reads_how_long_it_took_and_who_did_what,
    }
    router = web.build(site.app, []).router
    pages = {
        route.resource.canonical
        for route in router.routes()
        if route.method == "GET" and route.resource is not None and route.resource.canonical not in NOT_PAGES
    }
    assert pages == set(tested)
