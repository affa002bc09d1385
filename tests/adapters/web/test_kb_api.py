"""`GET /api/kb?q=…`: the knowledge base's search as JSON, for a ticket system's sidebar or a script, over plain
HTTP: who may ask, whose articles they get, and what happens to queries nobody should send."""

from __future__ import annotations

from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.webui.api import MAX_LIMIT, MAX_QUERY
from adapters.webui.auth import WRONG_TOKENS
from adapters.webui.session import COOKIE, Signer
from adapters.webui.session import TOKEN as VIA_TOKEN
from tests.adapters.web.conftest import CLIENT_ID, OTHER, OTHER_TITLE, TOKEN, Site, serve
from tests.adapters.web.test_access import client, sign_in
from tests.fakes.slack_api import FakeSlack

BEARER = {"Authorization": f"Bearer {TOKEN}"}


async def ask(site: Site, query: str | None = "pdf", headers: dict[str, str] | None = None, **more: str) -> Any:
    """(status, JSON body) of GET /api/kb with `q` = query (None: no q at all)."""
    params = ({"q": query} if query is not None else {}) | more
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{site.url}/api/kb", params=params, headers=BEARER if headers is None else headers) as answer,
    ):
        assert answer.content_type == "application/json", await answer.text()
        return answer.status, await answer.json()


async def test_a_script_with_the_token_gets_the_articles_as_json(database_url: str) -> None:
    async with serve(database_url) as site:
        status, body = await ask(site, "ACME invoices template cache")

        assert status == 200
        assert body["query"] == "ACME invoices template cache" and body["search"] == "keyword"
        [article] = body["articles"]
        assert article == {
            "number": 1,
            "title": "ACME invoices export to PDF times out",
            "snippet": article["snippet"],
            "state": "draft",
            "link": f"{site.url}/kb/1",
            "swarm": 1,  # the swarm it came from
        }
        assert "template cache" in article["snippet"].lower()

        # An article still being written by an open swarm says which, to join it rather than open another.
        _, body = await ask(site, "Globex PDF export")
        assert {(a["number"], a["state"], a["swarm"]) for a in body["articles"]} == {(2, "wip", 2), (1, "draft", 1)}


async def test_the_link_is_the_public_address_when_one_is_set(database_url: str) -> None:
    async with serve(database_url, SWARM_WEB_URL="https://swarm.example.com/") as site:
        _, body = await ask(site, "ACME invoices")
        assert [a["link"] for a in body["articles"]] == ["https://swarm.example.com/kb/1"]


async def test_a_signed_in_browser_may_ask_too(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        assert await sign_in(http, site.url) == 303
        async with http.get(f"{site.url}/api/kb", params={"q": "ACME invoices"}) as answer:
            assert answer.status == 200
            assert [a["number"] for a in (await answer.json())["articles"]] == [1]


async def test_nobody_else_gets_an_answer(database_url: str) -> None:
    async with serve(database_url) as site:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + TOKEN}):
            status, body = await ask(site, "pdf", headers=headers)
            assert status == 401 and "Bearer" in body["error"]
        status, _ = await ask(site, "pdf", headers={}, token=TOKEN)  # never a token in the address
        assert status == 401


async def test_guessing_the_token_here_is_slowed_down_as_everywhere(database_url: str) -> None:
    async with serve(database_url) as site:
        for _ in range(WRONG_TOKENS - 1):  # the last test spent one already
            assert (await ask(site, "pdf", headers={"Authorization": "Bearer guess"}))[0] == 401
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{site.url}/api/kb", params={"q": "pdf"}, headers={"Authorization": "Bearer guess"}) as first,
        ):
            assert first.status == 401
        async with aiohttp.ClientSession() as http, http.get(f"{site.url}/api/kb?q=pdf", headers=BEARER) as answer:
            assert answer.status == 429 and answer.headers["Retry-After"]


async def test_another_workspaces_articles_never_appear(database_url: str) -> None:
    async with serve(database_url) as site:
        for query in ("Globex payroll secret fix", "payroll", "state:all payroll", "#billing state:all"):
            status, body = await ask(site, query)
            assert status == 200
            assert OTHER_TITLE not in [a["title"] for a in body["articles"]], query
            assert all(a["link"].startswith(site.url) for a in body["articles"])


async def test_someone_of_the_other_workspace_gets_its_articles_only(database_url: str) -> None:
    # Signed in with Slack into T-other, on the same server: their article, and not T-test's.
    async with FakeSlack() as slack:
        config = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack.url}
        async with serve(database_url, **config) as site, client() as http:
            await site.install_slack(OTHER)
            slack.sign_in_with_slack("UDANA", OTHER, name="Dana Cohen")
            async with http.get(f"{site.url}/auth/slack?next=/kb") as answer:
                assert answer.status == 200
            async with http.get(f"{site.url}/api/kb", params={"q": "payroll"}) as answer:
                assert [a["title"] for a in (await answer.json())["articles"]] == [OTHER_TITLE]
            async with http.get(f"{site.url}/api/kb", params={"q": "ACME invoices template cache"}) as answer:
                assert (await answer.json())["articles"] == []
            # A session forged for the other workspace with another key is nobody's.
            forged = Signer.from_secrets("someone else's key").new(OTHER, "mallory", VIA_TOKEN, token=TOKEN)
            cookies = {COOKIE: Signer.from_secrets("someone else's key").session(forged)}
            async with (
                aiohttp.ClientSession(cookies=cookies) as stranger,
                stranger.get(f"{site.url}/api/kb", params={"q": "payroll"}) as answer,
            ):
                assert answer.status == 401


async def test_a_query_that_is_missing_empty_or_too_long_is_refused_with_why(database_url: str) -> None:
    async with serve(database_url) as site:
        for query in (None, "", "   ", "x" * (MAX_QUERY + 1)):
            status, body = await ask(site, query)
            assert status == 400 and body["error"].startswith("q: "), query
        status, body = await ask(site, "state:all")  # a filter, and nothing to look for
        assert status == 400 and body["error"] == "q: Say what to look for: `/swarm kb <words>`."


async def test_the_limit_is_bounded(database_url: str) -> None:
    async with serve(database_url) as site:
        _, body = await ask(site, "state:all export", limit="1")
        assert len(body["articles"]) == 1
        assert (await ask(site, "state:all export", limit=str(MAX_LIMIT)))[0] == 200
        for limit in ("0", str(MAX_LIMIT + 1), "-1", "2.5", "ten", "", "١", "9" * 40):
            status, body = await ask(site, "pdf", limit=limit)
            assert status == 400 and body["error"].startswith("limit: "), limit


async def test_hostile_queries_get_an_answer_never_a_crash(database_url: str) -> None:
    async with serve(database_url) as site:
        for query in (
            "pdf\x00export",
            "\x01\x02\x1b[31m pdf",
            "\"pdf' OR 1=1 --",
            '"unclosed phrase',
            "state:all state:nothing #",
            "\ud800 lone surrogate",
            "pdf " * (MAX_QUERY // 4),
            "NEAR(pdf export) AND * ^ : () {}",
            "x" * MAX_QUERY,
        ):
            status, body = await ask(site, query)
            assert status in (200, 400), (query, status, body)

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.text(max_size=60))
        def fuzz(query: str) -> None:
            found.append(query)

        found: list[str] = []
        fuzz()
        for query in found:
            status, _ = await ask(site, query)
            assert status in (200, 400), repr(query)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{site.url}/api/kb?q=" + "y" * 10_000, headers=BEARER) as a,
        ):
            assert a.status == 400
