"""Behind a proxy that ends TLS: cookies are Secure and browsers are told to keep to HTTPS (HSTS) whenever the pages
are served over HTTPS; X-Forwarded-Proto and X-Forwarded-For are believed only from SWARM_TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings
from adapters.webui.session import COOKIE
from tests.adapters.web.conftest import TOKEN, serve
from tests.adapters.web.test_access import client

HTTPS = {"X-Forwarded-Proto": "https"}


async def sign_in(url: str, headers: dict[str, str] | None = None) -> tuple[str, str | None]:
    """The session cookie set by signing in, and the Strict-Transport-Security of that answer."""
    async with client() as http:
        form = {"token": TOKEN, "next": "/kb"}
        async with http.post(f"{url}/signin", data=form, headers=headers, allow_redirects=False) as answer:
            assert answer.status == 303
            cookie = next(c for c in answer.headers.getall("Set-Cookie") if c.startswith(f"{COOKIE}="))
            return cookie, answer.headers.get("Strict-Transport-Security")


async def test_with_an_https_public_address_the_session_cookie_is_secure(database_url: str) -> None:
    async with serve(database_url, SWARM_WEB_URL="https://swarm.example") as site:
        cookie, hsts = await sign_in(site.url)
        assert "Secure" in cookie.split("; ")
        assert hsts == "max-age=31536000"
        async with client() as http, http.get(f"{site.url}/kb", allow_redirects=False) as answer:
            assert answer.status == 302
            assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_over_plain_http_nothing_asks_for_https(database_url: str) -> None:
    async with serve(database_url) as site:
        cookie, hsts = await sign_in(site.url, HTTPS)  # nobody said this proxy is trusted
        assert "Secure" not in cookie.split("; ")
        assert hsts is None


async def test_a_trusted_proxy_says_the_request_came_over_https(database_url: str) -> None:
    async with serve(database_url, SWARM_TRUSTED_PROXIES="127.0.0.1") as site:
        cookie, hsts = await sign_in(site.url, HTTPS)
        assert "Secure" in cookie.split("; ")
        assert hsts == "max-age=31536000"
        cookie, hsts = await sign_in(site.url, {"X-Forwarded-Proto": "http"})
        assert "Secure" not in cookie.split("; ") and hsts is None


async def test_a_proxy_on_another_address_is_not_believed(database_url: str) -> None:
    async with serve(database_url, SWARM_TRUSTED_PROXIES="10.0.0.0/8, ::1") as site:
        cookie, hsts = await sign_in(site.url, HTTPS)
        assert "Secure" not in cookie.split("; ")
        assert hsts is None


def test_a_trusted_proxy_that_is_no_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match=r"'proxy\.example' is not an address or a network"):
        Settings(_env_file=None, SWARM_TRUSTED_PROXIES="127.0.0.1, proxy.example")
