"""Guessing SWARM_WEB_TOKEN is slowed down per client: ten wrong tokens, then 429 with Retry-After, the right token
too, until a wrong one's worth of time has passed. Behind a trusted proxy the client is X-Forwarded-For's."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.throttle import Throttle
from adapters.webui.auth import REFILL_SECONDS
from adapters.webui.auth import WRONG_TOKENS as BURST
from tests.adapters.web.conftest import TOKEN, Site, serve
from tests.adapters.web.test_access import client


@dataclass
class Answer:
    status: int
    retry_after: str | None
    text: str


async def sign_in(site: Site, token: str, headers: dict[str, str] | None = None) -> Answer:
    async with (
        client() as http,
        http.post(f"{site.url}/signin", data={"token": token}, headers=headers, allow_redirects=False) as answer,
    ):
        return Answer(answer.status, answer.headers.get("Retry-After"), await answer.text())


async def test_after_ten_wrong_tokens_even_the_right_one_waits(database_url: str) -> None:
    async with serve(database_url) as site:
        for _ in range(BURST):
            assert (await sign_in(site, "guess")).status == 401
        refused = await sign_in(site, TOKEN)
        assert refused.status == 429
        assert refused.retry_after == str(int(REFILL_SECONDS))
        assert "Too many wrong tokens were tried from here" in refused.text
        site.bot.clock.advance(seconds=REFILL_SECONDS)
        assert (await sign_in(site, TOKEN)).status == 303
        assert (await sign_in(site, "guess")).status == 401
        assert (await sign_in(site, "guess")).status == 429


async def test_wrong_bearer_tokens_and_links_count_too(database_url: str) -> None:
    async with serve(database_url) as site, client() as http:
        for n in range(BURST):
            path = "/metrics" if n % 2 else "/kb?token=guess"
            async with http.get(site.url + path, headers={"Authorization": "Bearer guess"} if n % 2 else None) as got:
                assert got.status == 401
        async with http.get(f"{site.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
            assert answer.status == 429
            assert int(answer.headers["Retry-After"]) > 0


async def test_behind_a_trusted_proxy_each_client_has_its_own_tries(database_url: str) -> None:
    async with serve(database_url, SWARM_TRUSTED_PROXIES="127.0.0.1") as site:
        mallory = {"X-Forwarded-For": "203.0.113.9"}
        for _ in range(BURST):
            assert (await sign_in(site, "guess", mallory)).status == 401
        assert (await sign_in(site, TOKEN, mallory)).status == 429
        # Mallory writing another address to the left of hers changes nothing: the proxy appends what it saw.
        assert (await sign_in(site, TOKEN, {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})).status == 429
        assert (await sign_in(site, TOKEN, {"X-Forwarded-For": "192.0.2.7"})).status == 303


async def test_an_untrusted_sender_cannot_pose_as_another_client(database_url: str) -> None:
    async with serve(database_url) as site:
        for n in range(BURST):
            assert (await sign_in(site, "guess", {"X-Forwarded-For": f"192.0.2.{n}"})).status == 401
        assert (await sign_in(site, TOKEN, {"X-Forwarded-For": "192.0.2.200"})).status == 429


def test_the_throttle_remembers_a_bounded_number_of_clients() -> None:
    now = [0.0]
    throttle = Throttle(2, 10, lambda: now[0], clients=3)
    for who in ("a", "a", "b", "c", "d"):
        throttle.spend(who)
    assert throttle.wait("a") == 0  # forgotten: the least recently seen of four
    throttle.spend("d")
    assert throttle.wait("d") == 10
    now[0] = 5
    assert throttle.wait("d") == 5
