"""The real server (`web.build`, as `swarm serve` runs it) with its web pages, on a test database whose swarms and
articles were made through the core, and Debian's chromium driven by Playwright for the browser tests.

    async with serve(database_url) as site:          # T-test's data, and another workspace's (T-other)
        page = await signed_in(browser, site)        # a fresh browser context, signed in with the token
        await page.goto(site.url + "/kb")
        await shoot(page, "kb")                      # test-artifacts/web-kb.png
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from adapters import web
from adapters.app import App
from adapters.memory import MemoryChat
from adapters.settings import Settings
from handlers.chat import Origin
from tests.harness import ROSTER, WORKSPACE, Clock, ScenarioBot

TOKEN = "web-token-for-tests-7Hq2Lx9Vb4Nc8Rz"  # strong enough for `swarm serve` (adapters/secret_strength.py)
OTHER = "T-other"
CLIENT_ID = "111.222"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
# What the seeded article says: Markdown, and a script that must stay text.
RESOLUTION = 'Cleared the **PDF template cache** on the export worker. <script>alert("pwned")</script>'
OTHER_TITLE = "Globex payroll secret fix"


class OtherWorkspace(ScenarioBot):
    """ScenarioBot in another workspace: same people, other rows."""

    def origin(self, user: str, channel: str) -> Origin:
        return Origin(OTHER, self.chat.platform, self.user(user), channel.lstrip("#"))


@dataclass
class Site:
    app: App
    url: str
    bot: ScenarioBot

    async def install_slack(self, team: str) -> None:
        """Swarm installed in a Slack team, as the OAuth flow leaves it in the installation store."""
        store = AsyncSQLAlchemyInstallationStore(CLIENT_ID, self.app.store.engine)
        await store.async_save(
            Installation(
                app_id="A0001",
                team_id=team,
                bot_token=f"xoxb-{team.lower()}",
                bot_id="B0001",
                bot_user_id="UBOT",
                bot_scopes=["commands"],
                user_id="UINSTALLER",
                installed_at=datetime.now(UTC).timestamp(),
            )
        )


async def seed(bot: ScenarioBot, other: OtherWorkspace) -> None:
    """T-test: swarm 1 resolved into article 1 (Markdown and a script in its resolution), swarm 2 reused it,
    swarm 3 open. T-other: five swarms, the last resolved into an article of its own."""
    await bot.load_roster()
    await bot.command("/swarm ACME invoices export to PDF times out #pdf #export sev2")
    await bot.say("The template cache is stale again", user="chen", channel=bot.room(1))
    bot.clock.advance(hours=3, minutes=20)
    await bot.command(f"/swarm resolve {RESOLUTION} cause: a stale template cache", channel=bot.room(1))
    await bot.command("/swarm Globex PDF export times out too #pdf", user="fay")
    await bot.command("/swarm link 1", user="fay", channel=bot.room(2))
    await bot.command("/swarm SSO login loops for Initech #sso sev1", user="ben")

    await other.core.people.import_roster(OTHER, [(i + 1, dict(row)) for i, row in enumerate(ROSTER)])
    for n in range(1, 5):
        await other.command(f"/swarm Other workspace case number {n} #tax", user="dana")
    await other.command(f"/swarm {OTHER_TITLE} #billing", user="dana")
    await other.command("/swarm resolve reran the payroll export by hand", user="dana", channel=other.room(5))
    bot.clock.advance(minutes=5)  # the pages are read a little later (a period ends before "now")


Seed = Callable[[ScenarioBot, OtherWorkspace], Awaitable[None]]


@asynccontextmanager
async def serve(database_url: str, plant: Seed = seed, **settings: Any) -> AsyncIterator[Site]:
    """The server on `database_url`, with what `plant` made through the core (`seed`, unless told)."""
    clock = Clock()
    config = Settings(
        SWARM_DATABASE_URL=database_url,
        SWARM_WEB_TOKEN=TOKEN,
        SWARM_WEB_WORKSPACE=WORKSPACE,
        **settings,
    )
    app = await App.start(config, clock=clock)
    bot = ScenarioBot(app.store, clock=clock)
    other = OtherWorkspace(app.store, chat=MemoryChat(platform="console", workspace=OTHER), clock=clock)
    await plant(bot, other)
    server = TestServer(web.build(app, []), host="127.0.0.1")
    await server.start_server()
    try:
        yield Site(app, str(server.make_url("")).rstrip("/"), bot)
    finally:
        await server.close()
        await app.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless chromium (Debian's, never one Playwright downloads) for every test of a module."""
    if not CHROMIUM.exists():  # noqa: ASYNC240 - one stat, before any test runs
        reason = f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser: Browser) -> Page:
    """A page in a fresh context (no cookies); a script that runs on it (an alert) fails the test."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: alerts.append(dialog.message))
    page.set_default_timeout(10_000)
    page.alerts = alerts  # type: ignore[attr-defined]
    return page


async def signed_in(browser: Browser, site: Site) -> Page:
    page = await new_page(browser)
    await page.goto(f"{site.url}/signin")
    await page.fill("#token", TOKEN)
    await page.click("form.token button")
    await page.wait_for_url(f"{site.url}/dashboard")
    return page


async def shoot(page: Page, name: str) -> Path:
    """A screenshot of the whole page, kept as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
