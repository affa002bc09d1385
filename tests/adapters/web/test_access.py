"""Who may read which pages, over plain HTTP: sign-in, the token's ways in, each workspace seeing only its own data."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import yaml
from aiohttp.test_utils import TestServer
from yarl import URL

from adapters import web
from adapters.app import App
from adapters.settings import Settings
from adapters.webui.auth import CALLBACK, OIDC_SCOPES
from adapters.webui.session import COOKIE, Signer
from adapters.webui.session import TOKEN as VIA_TOKEN
from tests.adapters.web.conftest import CLIENT_ID, OTHER, OTHER_TITLE, TOKEN, serve
from tests.fakes.slack_api import FakeSlack
from tests.harness import WORKSPACE


def client() -> aiohttp.ClientSession:
    # A cookie jar that keeps cookies of 127.0.0.1 (aiohttp's default one ignores IP addresses).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(http: aiohttp.ClientSession, url: str, token: str = TOKEN) -> int:
    async with http.post(f"{url}/signin", data={"token": token, "next": "/kb"}, allow_redirects=False) as answer:
        if answer.status == 303:
            cookie = answer.headers["Set-Cookie"]
            assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        return answer.status


async def test_no_page_is_public(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        for path in ("/", "/kb", "/kb/1", "/swarms/1", "/dashboard", "/kb?q=pdf"):
            async with http.get(site.url + path, allow_redirects=False) as answer:
                assert answer.status == 302, path
                location = answer.headers["Location"]
                assert location.startswith("/signin?next="), path
                assert parse_qs(urlparse(location).query)["next"] == [path]
        async with http.get(f"{site.url}/metrics") as answer:
            assert answer.status == 401
            assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_the_token_signs_in_once_and_a_wrong_one_changes_nothing(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        assert await sign_in(http, site.url, "nope") == 401
        assert not http.cookie_jar.filter_cookies(URL(site.url)).get(COOKIE)
        assert await sign_in(http, site.url) == 303
        async with http.get(f"{site.url}/kb/1") as answer:
            assert answer.status == 200
            assert "ACME invoices export to PDF times out" in await answer.text()
            assert "script-src" not in answer.headers["Content-Security-Policy"]  # default-src 'none': no script
            assert "default-src 'none'" in answer.headers["Content-Security-Policy"]


async def test_a_token_in_the_link_signs_in_and_is_taken_out_of_the_address(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        async with http.get(f"{site.url}/kb?q=pdf&token={TOKEN}", allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == "/kb?q=pdf"
        async with http.get(f"{site.url}/kb?q=pdf") as answer:
            assert answer.status == 200
        async with http.get(f"{site.url}/kb?token=wrong", allow_redirects=False) as answer:
            assert answer.status == 401


async def test_a_bearer_token_reads_pages_without_a_cookie(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        async with http.get(f"{site.url}/swarms/1", headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
            assert answer.status == 200
        async with http.get(f"{site.url}/swarms/1", headers={"Authorization": "Bearer wrong"}) as answer:
            assert answer.status == 401


async def test_after_sign_in_only_pages_of_this_site_are_visited(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            form = {"token": TOKEN, "next": target}
            async with http.post(f"{site.url}/signin", data=form, allow_redirects=False) as answer:
                assert answer.headers["Location"] == "/dashboard", target


async def test_another_workspaces_swarms_and_articles_are_not_found(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        await sign_in(http, site.url)
        # T-other has swarm 5 and its article; this workspace has neither.
        for path in ("/swarms/5", "/kb/5", "/kb/6"):
            async with http.get(site.url + path) as answer:
                assert answer.status == 404, path
                assert OTHER_TITLE not in await answer.text()
        async with http.get(f"{site.url}/swarms/1") as answer:
            assert "ACME invoices export" in await answer.text()
        async with http.get(f"{site.url}/kb?q=payroll") as answer:
            assert OTHER_TITLE not in await answer.text()


async def test_a_session_forged_for_another_workspace_is_refused(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        forged = Signer.from_secrets("someone else's key").new(OTHER, "mallory", VIA_TOKEN, token=TOKEN)
        cookies = {COOKIE: Signer.from_secrets("someone else's key").session(forged)}
        async with http.get(f"{site.url}/swarms/5", cookies=cookies, allow_redirects=False) as answer:
            assert answer.status == 302


async def test_changing_the_token_ends_the_sessions_it_opened(database_url: str) -> None:
    async with serve(database_url, SWARM_SECRET_KEY="kept-across-restarts") as site, client() as http:
        await sign_in(http, site.url)
        async with http.get(f"{site.url}/kb", allow_redirects=False) as answer:
            assert answer.status == 200
        site.app.settings.web_token = "a-new-token"
        async with http.get(f"{site.url}/kb", allow_redirects=False) as answer:
            assert answer.status == 302


async def test_slack_sign_in_sees_its_own_team_only(database_url: str) -> None:
    async with FakeSlack() as slack:
        settings = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack.url}
        async with serve(database_url, **settings) as site, client() as http:
            await site.install_slack(OTHER)
            slack.sign_in_with_slack("UDANA", OTHER, name="Dana Cohen")
            async with http.get(f"{site.url}/auth/slack?next=/swarms/5") as answer:
                assert answer.status == 200
                assert str(answer.url).endswith("/swarms/5")
                assert OTHER_TITLE in await answer.text()
            async with http.get(f"{site.url}/swarms/1") as answer:
                assert "ACME" not in await answer.text()  # T-other's swarm 1, not T-test's
            # A Slack session is one workspace's: the figures of every workspace stay behind the token.
            async with http.get(f"{site.url}/metrics") as answer:
                assert answer.status == 401
            token = slack.calls_to("openid.connect.token")[0]
            assert token.args["client_id"] == CLIENT_ID and token.args["client_secret"] == "shh"
            assert token.args["redirect_uri"] == f"{site.url}/auth/slack/callback"


async def test_a_slack_sign_in_with_a_stale_or_foreign_state_is_refused(database_url: str) -> None:
    async with FakeSlack() as slack:
        settings = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack.url}
        async with serve(database_url, **settings) as site, client() as http:
            await site.install_slack(WORKSPACE)
            slack.sign_in_with_slack("UANA", WORKSPACE)
            async with http.get(f"{site.url}/auth/slack", allow_redirects=False) as start:
                authorize = start.headers["Location"]
            query = parse_qs(urlparse(authorize).query)
            assert query["scope"] == ["openid,email,profile"]
            assert authorize.startswith(slack.url.removesuffix("/api/") + "/openid/connect/authorize?")
            # Another browser (no state cookie) arriving with the code is refused, and the code is never spent.
            async with client() as other:
                callback = f"{site.url}/auth/slack/callback?code=stolen&state={query['state'][0]}"
                async with other.get(callback) as answer:
                    assert answer.status == 401
            assert not slack.calls_to("openid.connect.token")


def test_the_manifest_allows_sign_in_with_slack() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[3] / "manifest.yml").read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["user"]) == sorted(OIDC_SCOPES)
    assert any(url.endswith(CALLBACK) for url in manifest["oauth_config"]["redirect_urls"])


async def test_a_token_that_cannot_tell_the_workspace_lists_every_one_the_console_too(database_url: str) -> None:
    # The roster went to the console workspace; two other workspaces exist (made by mistake, and empty).
    app = await App.start(Settings(SWARM_DATABASE_URL=database_url, SWARM_WEB_TOKEN=TOKEN))
    await app.core.people.import_roster("console", [(1, {"name": "Ana Ruiz", "email": "ana@example.com"})])
    async with app.store.unit() as uow:
        await uow.workspaces.ensure("T0123ABDC")
        await uow.workspaces.ensure("T0123ABCE")
        await uow.commit()
    server = TestServer(web.build(app, []), host="127.0.0.1")
    await server.start_server()
    try:
        async with client() as http:
            url = str(server.make_url("")).rstrip("/")
            async with http.post(f"{url}/signin", data={"token": TOKEN}, allow_redirects=False) as answer:
                assert answer.status == 409
                assert "several workspaces (T0123ABCE, T0123ABDC, console)" in await answer.text()
    finally:
        await server.close()
        await app.close()
