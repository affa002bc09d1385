"""After signing in, the browser goes back only to a page of this site, whatever `next` says: the sign-in page's
`?next=`, its form, and Sign in with Slack's round trip all send hostile targets to the dashboard."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.webui.redirects import HOME, browser_form, local_target
from tests.adapters.web.conftest import CLIENT_ID, OTHER, TOKEN, serve
from tests.adapters.web.test_access import client
from tests.fakes.slack_api import FakeSlack

SITE = "https://swarm.example"
# Each of these is another site (or no page at all) once a browser has read it.
HOSTILE = [
    "//evil.example/phish",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example/phish",
    "\\\\evil.example",
    "/\t/evil.example/phish",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/%09/evil.example",  # the tab still encoded: decoded once more by whoever reads it next
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/%255C%255Cevil.example",
    "%2F%2Fevil.example",
    "evil.example",
    "dashboard",
    "",
]
LOCAL = [
    ("/kb", "/kb"),
    ("/kb?q=pdf&page=2", "/kb?q=pdf&page=2"),
    ("/swarms/5#timeline", "/swarms/5#timeline"),
    ("/kb?q=caf%C3%A9", "/kb?q=caf%C3%A9"),
    ("/kb?q=café", "/kb?q=caf%C3%A9"),
    ("/kb?q=a b", "/kb?q=a%20b"),
    ("/kb\t", "/kb"),
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_next_goes_to_the_dashboard(target: str) -> None:
    assert local_target(target) == HOME


@pytest.mark.parametrize(("target", "sent"), LOCAL)
def test_a_page_of_this_site_is_kept(target: str, sent: str) -> None:
    assert local_target(target) == sent


@given(st.text(alphabet=st.sampled_from("/\\\t\n\r %09265cCaAfF:.@?#evil"), max_size=16) | st.text(max_size=16))
def test_whatever_next_says_the_browser_stays_on_this_site(target: str) -> None:
    sent = local_target(target)
    followed = urljoin(SITE + "/signin", browser_form(sent))
    assert urlsplit(followed).netloc == "swarm.example", (target, sent, followed)
    assert sent.isascii() and sent.isprintable() and " " not in sent


async def test_the_sign_in_page_sends_a_signed_in_browser_home_not_away(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        async with http.post(f"{site.url}/signin", data={"token": TOKEN}, allow_redirects=False) as answer:
            assert answer.status == 303
        for target in HOSTILE:
            url = f"{site.url}/signin?next={quote(target, safe='')}"
            async with http.get(url, allow_redirects=False) as answer:
                assert answer.status == 302, target
                assert answer.headers["Location"] == HOME, target
        async with http.get(f"{site.url}/signin?next=/%09/evil.com", allow_redirects=False) as answer:
            assert answer.headers["Location"] == HOME


async def test_the_sign_in_form_sends_home_not_away(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        for target in HOSTILE:
            form = {"token": TOKEN, "next": target}
            async with http.post(f"{site.url}/signin", data=form, allow_redirects=False) as answer:
                assert answer.status == 303, target
                assert answer.headers["Location"] == HOME, target
        form = {"token": TOKEN, "next": "/kb?q=pdf"}
        async with http.post(f"{site.url}/signin", data=form, allow_redirects=False) as answer:
            assert answer.headers["Location"] == "/kb?q=pdf"


async def test_sign_in_with_slack_comes_back_home_not_away(database_url: str) -> None:
    async with FakeSlack() as slack:
        settings = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack.url}
        async with serve(database_url, **settings) as site:
            await site.install_slack(OTHER)
            for target in ("/\t/evil.example/phish", "/\\evil.example", "/kb"):
                async with client() as http:
                    slack.sign_in_with_slack("UDANA", OTHER, name="Dana Cohen")
                    url = f"{site.url}/auth/slack?next={quote(target, safe='')}"
                    async with http.get(url, allow_redirects=False) as start:
                        authorize = start.headers["Location"]
                    async with http.get(authorize, allow_redirects=False) as approved:
                        callback = approved.headers["Location"]
                    async with http.get(callback, allow_redirects=False) as back:
                        assert back.status == 303, target
                        assert back.headers["Location"] == ("/kb" if target == "/kb" else HOME), target
