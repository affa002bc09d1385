"""Bot Framework authentication on, as in production: the real CloudAdapter checks each request's token against
signing keys the fake connector serves. A request with a bad token is refused with 401 and changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from msrest.authentication import Authentication, BasicTokenAuthentication

from adapters.settings import Settings
from adapters.teams import TeamsMount
from adapters.teams.mount import authentication
from storage.database import SqlStore
from storage.refs import SqlPlatformRefs
from tests.adapters.teams.conftest import TENANT, TeamsScenario, start_teams
from tests.fakes.teams_connector import TOKEN_ISSUER, FakeConnector

APP_ID = "3f1c2a7e-0d3b-4c8e-9a41-1e6b2f0c9d01"
OUTBOUND = "token-for-the-connector"
KEY_ID = "test-key"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FixedToken:
    """A credentials factory with a fixed token for outbound calls: the tests must not ask Azure AD for one."""

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == APP_ID

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        assert app_id == APP_ID
        return BasicTokenAuthentication({"access_token": OUTBOUND})


def token(service_url: str, key: Any = KEY, kid: str = KEY_ID, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": TOKEN_ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 60, "exp": now + 3600}
    return jwt.encode(payload | claims, key, algorithm="RS256", headers={"kid": kid})


def checked_by(keys_url: str) -> Any:
    """Authentication as in production, but with the signing keys at `keys_url` and a fixed outbound token."""
    # The endpoints of "another cloud" are the fake's, set as an operator would (docs/teams.md).
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-used",
        MICROSOFT_OPENID_METADATA_URL=keys_url,
        MICROSOFT_TOKEN_ISSUER=TOKEN_ISSUER,
        MICROSOFT_OAUTH_SCOPE=TOKEN_ISSUER,
        MICROSOFT_LOGIN_URL=keys_url + "/login",
    )
    return authentication(settings, credentials=FixedToken(), TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=keys_url)


@pytest.fixture
async def teams(store: SqlStore) -> AsyncIterator[TeamsScenario]:
    fake = FakeConnector(TENANT, token=OUTBOUND)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    fake.jwks = [jwk | {"kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]
    async with fake:
        auth = checked_by(fake.openid_url)
        async with start_teams(store, fake=fake, auth=auth, MICROSOFT_APP_ID=APP_ID) as scenario:
            yield scenario


def opening(teams: TeamsScenario) -> dict[str, Any]:
    message_id = teams.fake.new_id()
    conversation = f"19:support@thread.tacv2;messageid={message_id}"
    return teams.activity(
        "message",
        "ana",
        conversation,
        message_id,
        text="<at>Swarm</at> ACME cannot export invoices #billing",
        entities=[{"type": "mention", "text": "<at>Swarm</at>", "mentioned": {"id": "28:swarm-bot", "name": "Swarm"}}],
    )


async def nothing_happened(teams: TeamsScenario, activity: dict[str, Any]) -> None:
    assert teams.fake.calls == []
    assert (await teams.app.core.swarms.stats(TENANT)).total == 0
    refs = SqlPlatformRefs(teams.app.store)
    assert await refs.get(TENANT, "teams", "conversation", activity["conversation"]["id"]) is None


async def test_a_valid_token_is_accepted_and_the_bot_answers_with_its_own(teams: TeamsScenario) -> None:
    activity = opening(teams)
    status, _ = await teams.send(activity, {"Authorization": f"Bearer {token(teams.fake.url)}"})
    assert status == 202
    assert teams.fake.key_requests == 2
    assert teams.room(1)
    assert teams.fake.calls and all(c.authorization == f"Bearer {OUTBOUND}" and c.ok for c in teams.fake.calls)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Basic YW5hOnNlY3JldA==",
        "forged: signed with another key",
        "unknown key id",
        "for another bot",
        "expired",
        "for another service URL",
        "from another issuer",
    ],
)
async def test_a_request_without_a_good_token_is_refused(teams: TeamsScenario, header: str | None) -> None:
    activity = opening(teams)
    url = teams.fake.url
    headers = {
        "forged: signed with another key": f"Bearer {token(url, key=OTHER_KEY)}",
        "unknown key id": f"Bearer {token(url, key=OTHER_KEY, kid='other')}",
        "for another bot": f"Bearer {token(url, aud='00000000-0000-0000-0000-000000000000')}",
        "expired": f"Bearer {token(url, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)}",
        "for another service URL": f"Bearer {token('https://smba.example.net/')}",
        "from another issuer": f"Bearer {token(url, iss='https://sts.example.net/')}",
    }
    sent = {} if header is None else {"Authorization": headers.get(header, header)}
    status, _ = await teams.send(activity, sent)
    assert status == 401
    await nothing_happened(teams, activity)


async def test_when_the_signing_keys_cannot_be_fetched_the_request_may_be_sent_again(store: SqlStore) -> None:
    fake = FakeConnector(TENANT, token=OUTBOUND)
    async with fake:
        # Nothing listens on port 9 of the loopback: the keys are out of reach.
        auth = checked_by("http://127.0.0.1:9/openid/.well-known/openid-configuration")
        async with start_teams(store, fake=fake, auth=auth, MICROSOFT_APP_ID=APP_ID) as teams:
            activity = opening(teams)
            status, _ = await teams.send(activity, {"Authorization": f"Bearer {token(teams.fake.url)}"})
            assert status == 503
            await nothing_happened(teams, activity)


async def test_the_inbox_keeps_what_the_token_vouched_for_never_the_token(store: SqlStore) -> None:
    """The server that answers keeps the activity with its token's claims; a worker elsewhere runs the turn from
    them and calls the connector with the bot's own credentials."""
    fake = FakeConnector(TENANT, token=OUTBOUND)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    fake.jwks = [jwk | {"kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]
    async with fake:
        auth = checked_by(fake.openid_url)
        async with start_teams(store, fake=fake, auth=auth, work=False, MICROSOFT_APP_ID=APP_ID) as teams:
            bearer = token(teams.fake.url)
            status, _ = await teams.post(opening(teams), {"Authorization": f"Bearer {bearer}"})
            assert status == 202
            (kept,) = await teams.app.inbox("teams").take("a-look", 10, teams.app.core.clock(), timedelta(minutes=2))
            await teams.app.inbox("teams").release("a-look")
            assert bearer not in kept.payload and bearer.split(".")[2] not in kept.payload
            claims = json.loads(kept.payload)["claims"]
            assert claims == {"aud": APP_ID, "iss": TOKEN_ISSUER, "serviceurl": teams.fake.url}

            settings = teams.app.settings
            worker = TeamsMount(teams.app, SqlPlatformRefs(store), settings, auth=checked_by(fake.openid_url))
            await worker.start(resume=False)
            try:
                await worker.idle()
            finally:
                await worker.stop()
            assert teams.room(1)
            assert teams.fake.calls and all(c.authorization == f"Bearer {OUTBOUND}" and c.ok for c in teams.fake.calls)
