"""Calls to the Bot Framework connector (`{serviceUrl}/v3/conversations…`), retried, and credentials that never
fetch a token on the event loop.

The connector client of botframework-connector sends with `requests` in a thread, but it signs each request on the
event loop, and its default credentials factory makes new credentials (with an empty token cache) for every turn:
each turn would fetch a token from Azure AD synchronously on the loop. `TokenCache` keeps one set of credentials per
app and scope and fetches their token in a thread before a call needs it.

Retries: throttling (429), a conversation busy with another write (412) and gateway failures (502, 503, 504) or a
timeout are retried with bounded exponential backoff and jitter, waiting at least what `Retry-After` asks. The
client's own urllib3 retries are switched off so the two policies do not multiply.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import jwt
import requests
from botbuilder.schema import (  # type: ignore[import-untyped]
    Activity,
    ChannelAccount,
    ConversationParameters,
    Mention,
)
from msrest.authentication import Authentication
from msrest.exceptions import ClientRequestError, HttpOperationError

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE = frozenset({412, 429, 502, 503, 504})
TIMEOUT = 20  # seconds for one connector request


@dataclass(frozen=True)
class Backoff:
    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    longest_wait: float = 60.0  # the most a Retry-After is honoured before giving up on the call
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wait = min(self.cap, self.base * 2.0**attempt) * random.uniform(0.5, 1.0)
        return max(wait, retry_after or 0.0)


class ConnectorError(Exception):
    """A connector call failed for good (after retries, or with an answer that retrying cannot change)."""

    def __init__(self, operation: str, status: int | None, detail: str = "") -> None:
        super().__init__(f"{operation} failed" + (f" with HTTP {status}" if status else "") + f": {detail}")
        self.operation = operation
        self.status = status


def failure(err: BaseException) -> tuple[int | None, float | None]:
    """The HTTP status of a failed connector call and the seconds its Retry-After asks for."""
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    return (status if isinstance(status, int) else None), _retry_after(headers.get("Retry-After"))


def _retry_after(value: object) -> float | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


async def retrying(operation: str, call: Callable[[], Awaitable[T]], backoff: Backoff) -> T:
    for attempt in range(backoff.attempts):
        try:
            return await call()
        except (TimeoutError, HttpOperationError, ClientRequestError, requests.RequestException) as err:
            status, retry_after = failure(err)
            transient = status in RETRYABLE or (status is None and not isinstance(err, HttpOperationError))
            last = attempt == backoff.attempts - 1
            if not transient or last or (retry_after or 0) > backoff.longest_wait:
                raise ConnectorError(operation, status, str(err)) from err
            wait = backoff.delay(attempt, retry_after)
            log.info("Teams %s: HTTP %s, retrying in %.2fs", operation, status or "error", wait)
            await backoff.sleep(wait)
    raise AssertionError("unreachable")


def activity(data: dict[str, Any]) -> Any:
    """A botbuilder Activity from our activity JSON; mention entities are built as Mention so no field is lost."""
    entities = data.get("entities") or []
    built = Activity().deserialize({k: v for k, v in data.items() if k != "entities"})
    if entities:
        built.entities = [
            Mention(
                mentioned=ChannelAccount(id=e["mentioned"]["id"], name=e["mentioned"]["name"]),
                text=e["text"],
                type="mention",
            )
            for e in entities
        ]
    return built


class Connector:
    """The connector calls Swarm makes on one serviceUrl, each one retried."""

    def __init__(self, client: Any, backoff: Backoff) -> None:
        client.config.retry_policy.retries = 0
        client.config.connection.timeout = TIMEOUT
        self.client = client
        self.backoff = backoff

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        async def attempt() -> T:
            credentials = self.client.config.credentials
            if isinstance(credentials, Credentials):
                await credentials.ready()
            return await call()

        return await retrying(operation, attempt, self.backoff)

    async def send(self, conversation: str, message: dict[str, Any]) -> str:
        sent = await self._call(
            "send", lambda: self.client.conversations.send_to_conversation(conversation, activity(message))
        )
        return str(sent.id) if sent is not None and sent.id else ""

    async def reply(self, conversation: str, reply_to: str, message: dict[str, Any]) -> str:
        sent = await self._call(
            "reply", lambda: self.client.conversations.reply_to_activity(conversation, reply_to, activity(message))
        )
        return str(sent.id) if sent is not None and sent.id else ""

    async def update(self, conversation: str, message_id: str, message: dict[str, Any]) -> None:
        body = activity({**message, "id": message_id})
        await self._call("update", lambda: self.client.conversations.update_activity(conversation, message_id, body))

    async def create(self, parameters: dict[str, Any]) -> tuple[str, str | None]:
        """Creates a conversation (a channel thread, or a 1:1 chat); returns its id and its first activity's id."""
        first = parameters.get("activity")
        built = ConversationParameters(
            is_group=parameters.get("is_group", False),
            bot=ChannelAccount(id=parameters["bot"]),
            members=[ChannelAccount(id=m) for m in parameters.get("members", [])] or None,
            tenant_id=parameters.get("tenant_id"),
            channel_data=parameters.get("channel_data"),
            activity=activity(first) if first else None,
        )
        made = await self._call("create_conversation", lambda: self.client.conversations.create_conversation(built))
        return str(made.id), (str(made.activity_id) if made.activity_id else None)

    async def member(self, conversation: str, member: str) -> dict[str, Any] | None:
        """A member's profile (email, userPrincipalName, aadObjectId, name); None if Teams does not know them.

        This is the request `TeamsInfo.get_member` makes, called here so it is retried like the rest."""
        try:
            found = await self._call(
                "member", lambda: self.client.conversations.get_conversation_member(conversation, member)
            )
        except ConnectorError as err:
            if err.status in (400, 403, 404):
                return None
            raise
        data = found.serialize()
        data.update(getattr(found, "additional_properties", None) or {})
        return dict(data)


# -- credentials ----------------------------------------------------------------------------------------------------


class Credentials(Authentication):
    """Wraps the SDK's credentials: signs requests with a token fetched in a thread beforehand."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.token: str | None = None
        self.expires = 0.0
        self.lock = asyncio.Lock()

    def needs_token(self) -> bool:
        return bool(getattr(self.inner, "microsoft_app_id", None)) and hasattr(self.inner, "get_access_token")

    async def ready(self) -> None:
        if not self.needs_token() or (self.token and time.time() < self.expires - 300):
            return
        async with self.lock:
            if self.token and time.time() < self.expires - 300:
                return
            token = await asyncio.to_thread(self.inner.get_access_token)
            self.token, self.expires = token, _expiry(token)

    def signed_session(self, session: requests.Session | None = None) -> requests.Session:
        if self.token and self.needs_token():
            session = session or requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
            return session
        # Without a prefetched token the SDK's own (blocking) path still works; `ready` keeps us off it.
        signed: requests.Session = self.inner.signed_session(session)
        return signed


def _expiry(token: str) -> float:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return time.time() + 30 * 60


class TokenCache:
    """A credentials factory (duck-typed like the SDK's) that keeps one set of credentials per app and scope."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.made: dict[tuple[str, str, str, bool], Credentials] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self.inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self.inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Credentials:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        if key not in self.made:
            inner = await self.inner.create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
            self.made[key] = Credentials(inner)
        return self.made[key]
