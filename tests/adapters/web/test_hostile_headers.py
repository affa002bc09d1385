"""Headers of any shape on the web pages, fuzzed and sent to the real server behind a trusted proxy: cookies,
bearer tokens, forwarded addresses and schemes. The answer is a page, a redirect to sign in, 401 or 429; never a 5xx,
nothing logged at ERROR."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.webui.session import COOKIE
from tests.adapters.slack.test_hostile_headers import HEADER_TEXT, server_errors
from tests.adapters.slack.test_wire_fuzz import Recorder, recording
from tests.adapters.web.conftest import Site, serve
from tests.adapters.web.test_access import client

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ADDRESS = st.ip_addresses().map(str) | HEADER_TEXT
FORWARDED_FOR = st.lists(ADDRESS, max_size=4).map(", ".join)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[tuple[Site, Recorder]]:
    async with serve(database_url, SWARM_TRUSTED_PROXIES="127.0.0.1") as served:
        with recording() as recorder:
            yield served, recorder


@FUZZ
@example(path="/kb", cookie="0.\xa0", authorization=None, forwarded_for="", proto="https")  # was a 500
@example(path="/metrics", cookie="", authorization="Bearer é", forwarded_for="", proto="")
@given(
    path=st.sampled_from(["/kb", "/dashboard", "/metrics", "/signin", "/swarms/1"]),
    cookie=HEADER_TEXT,
    authorization=st.none() | HEADER_TEXT | HEADER_TEXT.map("Bearer {}".format),
    forwarded_for=FORWARDED_FOR,
    proto=st.sampled_from(["https", "http", "HTTPS", "gopher", "https, http", ""]) | HEADER_TEXT,
)
async def test_fuzzed_headers_never_fail(
    site: tuple[Site, Recorder], path: str, cookie: str, authorization: str | None, forwarded_for: str, proto: str
) -> None:
    served, recorder = site
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with (
        client() as http,
        http.get(served.url + path, headers=headers, cookies={COOKIE: cookie}, allow_redirects=False) as answer,
    ):
        assert answer.status in (200, 302, 401, 429), answer.status
    assert recorder.errors() == []
    assert server_errors(served.app.metrics) == 0
