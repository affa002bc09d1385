"""The web pages in a real browser (Debian's chromium, headless, through Playwright), on the real server; a
screenshot of each page goes to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from adapters.webui import dashboard
from tests.adapters.web.conftest import (
    CLIENT_ID,
    OTHER_TITLE,
    TOKEN,
    Site,
    new_page,
    serve,
    shoot,
    signed_in,
)
from tests.fakes.slack_api import FakeSlack
from tests.harness import WORKSPACE

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_page_needs_a_sign_in_and_a_wrong_token_is_refused(browser: Browser, database_url: str) -> None:
    async with serve(database_url) as site:
        page = await new_page(browser)
        for path in ("/kb", "/kb/1", "/swarms/1", "/dashboard"):
            await page.goto(site.url + path)
            assert page.url.startswith(f"{site.url}/signin?next="), path
        await page.goto(f"{site.url}/kb?q=pdf")
        await shoot(page, "signin")
        await page.fill("#token", "not-the-token")
        await page.click("form.token button")
        await expect(page.locator(".error")).to_contain_text("That token is not right")
        await page.fill("#token", TOKEN)
        await page.click("form.token button")
        await page.wait_for_url(f"{site.url}/kb?q=pdf")  # back where they were going
        await expect(page.locator("h1")).to_have_text("Knowledge base")
        await page.click("text=Sign out")
        await page.goto(f"{site.url}/dashboard")
        assert "/signin" in page.url


async def test_search_with_a_filter_finds_the_article_and_highlights_the_words(
    browser: Browser, database_url: str
) -> None:
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        await page.goto(f"{site.url}/kb")
        await page.fill("input[name=q]", "pdf export times")
        await page.select_option("select[name=state]", "draft")
        await page.fill("input[name=tag]", "#pdf")
        await page.click("form.search button")
        results = page.locator("li.result")
        await expect(results).to_have_count(1)
        await expect(results.first.locator("a.title")).to_contain_text("ACME invoices export to PDF times out")
        marked = [text.lower() for text in await results.first.locator("mark").all_inner_texts()]
        assert {"pdf", "export", "times"} <= set(marked)
        assert "state=draft" in page.url and "tag=%23pdf" in page.url
        await shoot(page, "kb")
        # Another workspace's article is never found here, whatever the words.
        await page.goto(f"{site.url}/kb?q=payroll+secret+fix")
        await expect(page.locator(".empty")).to_contain_text("No article matches")
        assert OTHER_TITLE not in await page.content()


async def test_the_article_renders_markdown_safely_with_versions_swarms_and_reuse(
    browser: Browser, database_url: str
) -> None:
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        await page.goto(f"{site.url}/kb/1")
        await expect(page.locator("h1")).to_have_text("ACME invoices export to PDF times out")
        resolution = page.locator("section.field", has_text="Resolution")
        await expect(resolution.locator("strong")).to_have_text("PDF template cache")
        await expect(resolution).to_contain_text('<script>alert("pwned")</script>')  # shown as text
        assert await page.locator("main script").count() == 0
        assert page.alerts == []  # type: ignore[attr-defined]
        await expect(page.locator(".meta .state")).to_have_text("draft")
        await expect(page.locator(".meta .reuse")).to_have_text("reused 1×")
        links = page.locator("section.links li")
        await expect(links).to_have_count(2)
        await expect(links.nth(0)).to_contain_text("Swarm 1 wrote it")
        await expect(links.nth(1)).to_contain_text("Swarm 2 reused it")
        # Swarm 2's case, in its own words, is how the article can be found next time.
        await expect(page.locator("section.asked li")).to_have_text(["“Globex PDF export times out too”"])
        assert await page.locator("section.versions li").count() >= 1
        await shoot(page, "article")
        await links.nth(1).locator("a").click()
        await page.wait_for_url(f"{site.url}/swarms/2")


async def test_the_swarm_page_shows_its_timeline(browser: Browser, database_url: str) -> None:
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        await page.goto(f"{site.url}/swarms/1")
        await expect(page.locator("h1")).to_contain_text("Swarm 1: ACME invoices export to PDF times out")
        await expect(page.locator(".facts")).to_contain_text("resolved")
        entries = page.locator(".timeline li.entry")
        await expect(entries.first).to_contain_text("Ana Ruiz opened the swarm")
        timeline = await page.locator(".timeline").inner_text()
        assert "Chen Wei said" in timeline and "The template cache is stale again" in timeline
        assert "resolved the swarm" in timeline
        await expect(page.locator(".facts a[href='/kb/1']")).to_be_visible()
        await shoot(page, "swarm")


PEOPLE = ("Owner", "Experts", "Helpers", "Learners", "Observers", "Asked, no answer yet", "Learner seat", "Can't now")


async def people_on_the_page(page: Page, site: Site, number: int) -> list[str]:
    await page.goto(f"{site.url}/swarms/{number}")
    rows = await page.locator("section.people dl > div").all()
    return [f"{await row.locator('dt').inner_text()}: {await row.locator('dd').inner_text()}" for row in rows]


async def people_in_status(site: Site, number: int) -> list[str]:
    """Who `/swarm status` says is where, the console's @mentions as plain names."""
    await site.bot.command(f"/swarm status {number}", user="ana")
    lines = site.bot.last_told("ana").splitlines()
    return [line.replace("@", "") for line in lines if line.startswith(PEOPLE)]


async def test_the_swarm_page_shows_the_same_people_as_status(browser: Browser, database_url: str) -> None:
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        # Swarm 3 (#sso, sev1) asked Eli, who has not answered.
        shown = await people_on_the_page(page, site, 3)
        assert shown == await people_in_status(site, 3)
        assert "Asked, no answer yet: Eli Brown" in shown
        await shoot(page, "swarm-people")

        # Chen talks in the room and it is resolved: nobody is waited for any more, on the page as in status.
        await site.bot.say("The IdP certificate rotated", user="chen", channel=site.bot.room(3))
        await site.bot.command("/swarm resolve re-uploaded the IdP certificate", user="ben", channel=site.bot.room(3))
        shown = await people_on_the_page(page, site, 3)
        assert shown == await people_in_status(site, 3)
        assert shown == ["Owner: Ben Okafor", "Helpers: Chen Wei"]


async def test_the_dashboard_draws_its_charts(browser: Browser, database_url: str) -> None:
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        await expect(page.locator(".figure")).to_have_count(8)
        await expect(page.locator(".figure", has_text="Swarms opened").locator(".value")).to_have_text("3")
        await expect(page.locator(".figure", has_text="Open now").locator(".value")).to_have_text("2")
        await expect(page.locator("figure.panel svg.chart")).to_have_count(5)
        per_week = page.locator("figure.panel", has_text="Swarms per week by severity")
        await expect(per_week.locator("rect.bar")).to_have_count(3)
        await expect(page.locator("figure.panel", has_text="Top recurring topics")).to_contain_text("#pdf")
        await expect(page.locator("figure.panel", has_text="Time to resolve").locator("circle")).to_have_count(1)
        await expect(page.locator("section.open li")).to_have_count(2)
        await shoot(page, "dashboard")
        await page.click("text=last 90 days")
        await expect(page.locator(".period")).to_contain_text("compared with the 90 days before")


async def test_the_dashboard_lists_the_newest_open_swarms_and_counts_them_all(
    browser: Browser, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "OPEN_LISTED", 1)
    async with serve(database_url) as site:
        page = await signed_in(browser, site)
        await expect(page.locator(".figure", has_text="Open now").locator(".value")).to_have_text("2")
        await expect(page.locator("section.open li")).to_have_count(1)
        await expect(page.locator("section.open li")).to_contain_text("Swarm 3")
        await expect(page.locator("section.open .note")).to_have_text("The newest 1 of 2.")


async def test_sign_in_with_slack_opens_the_teams_workspace_and_refuses_a_team_without_swarm(
    browser: Browser, database_url: str
) -> None:
    async with FakeSlack() as slack:
        settings = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack.url}
        async with serve(database_url, **settings) as site:
            await site.install_slack(WORKSPACE)
            slack.sign_in_with_slack("UANA", WORKSPACE, name="Ana Ruiz", team_name="Test Support")
            page = await new_page(browser)
            await page.goto(f"{site.url}/kb/1")
            await page.click("text=Sign in with Slack")
            await page.wait_for_url(f"{site.url}/kb/1")
            await expect(page.locator(".account")).to_contain_text("Test Support")
            await expect(page.locator(".account")).to_contain_text("Ana Ruiz")
            await expect(page.locator("h1")).to_have_text("ACME invoices export to PDF times out")
            await shoot(page, "slack-signed-in")
            assert [c.method for c in slack.calls] == [
                "openid.connect.authorize",
                "openid.connect.token",
                "openid.connect.userInfo",
            ]

            slack.sign_in_with_slack("UMALLORY", "T0NOTINSTALLED", name="Mallory")
            stranger = await new_page(browser)
            await stranger.goto(f"{site.url}/signin")
            await stranger.click("text=Sign in with Slack")
            await expect(stranger.locator(".error")).to_contain_text("Swarm is not installed in your Slack workspace")
            await stranger.goto(f"{site.url}/dashboard")
            assert "/signin" in stranger.url
