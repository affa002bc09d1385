"""Guessing SWARM_WEB_TOKEN is slowed down per client: ten wrong tokens, then 429 with Retry-After, the right token
too, until a wrong one's worth of time has passed. Behind a trusted proxy the client is X-Forwarded-For's. Starting
Sign in with Slack (each start stores an OAuth state) and trying states on its callback are slowed down the same way,
in the buckets of the Slack install pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from adapters.throttle import OAUTH_STATES_PER_MINUTE, Throttle
from adapters.webui.auth import CALLBACK, REFILL_SECONDS
from adapters.webui.auth import WRONG_TOKENS as BURST
from tests.adapters.web.conftest import CLIENT_ID, TOKEN, Site, serve
from tests.adapters.web.test_access import client
from tests.fakes.slack_api import FakeSlack


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


# -- Sign in with Slack: each start stores an OAuth state, as an install page does ------------------------------------

SLACK_SIGNIN = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "shh", "SWARM_TRUSTED_PROXIES": "127.0.0.1"}


async def get(site: Site, path: str, headers: dict[str, str]) -> Answer:
    async with client() as http, http.get(site.url + path, headers=headers, allow_redirects=False) as answer:
        return Answer(answer.status, answer.headers.get("Retry-After"), await answer.text())


async def states(site: Site) -> int:
    async with site.app.store.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM slack_oauth_states"))).scalar_one())


async def test_one_client_starting_sign_ins_with_slack_in_a_loop_is_told_to_wait(database_url: str) -> None:
    async with FakeSlack() as slack, serve(database_url, SLACK_API_URL=slack.url, **SLACK_SIGNIN) as site:
        mallory = {"X-Forwarded-For": "203.0.113.9"}
        answers = [await get(site, "/auth/slack?next=/kb", mallory) for _ in range(OAUTH_STATES_PER_MINUTE + 5)]
        assert {a.status for a in answers[:OAUTH_STATES_PER_MINUTE]} == {302}
        for refused in answers[OAUTH_STATES_PER_MINUTE:]:
            assert refused.status == 429
            assert refused.retry_after == "6"
            assert "Too many sign-ins with Slack were started from here" in refused.text
        assert await states(site) == OAUTH_STATES_PER_MINUTE  # nothing stored for the refused

        assert (await get(site, "/auth/slack", {"X-Forwarded-For": "192.0.2.7"})).status == 302  # someone else
        site.bot.clock.advance(seconds=6)
        assert (await get(site, "/auth/slack", mallory)).status == 302


async def test_states_tried_on_the_sign_in_callback_are_slowed_down_too(database_url: str) -> None:
    async with FakeSlack() as slack, serve(database_url, SLACK_API_URL=slack.url, **SLACK_SIGNIN) as site:
        mallory = {"X-Forwarded-For": "203.0.113.9"}
        tries = [await get(site, f"{CALLBACK}?code=c&state=s{n}", mallory) for n in range(OAUTH_STATES_PER_MINUTE + 2)]
        assert {a.status for a in tries[:OAUTH_STATES_PER_MINUTE]} == {401}
        assert {a.status for a in tries[OAUTH_STATES_PER_MINUTE:]} == {429}
        assert (await get(site, "/auth/slack", mallory)).status == 429  # one bucket
        assert (await get(site, f"{CALLBACK}?code=c&state=s", {"X-Forwarded-For": "192.0.2.7"})).status == 401
        assert not slack.calls_to("openid.connect.token")
