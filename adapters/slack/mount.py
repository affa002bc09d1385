"""Swarm as a Slack app: bolt's AsyncApp on our aiohttp server (or Socket Mode), keeping, acking, working after.

Every listener keeps the delivery in the inbox (adapters/inbox.py) and acks once that write is committed
(process_before_response: no Web API call and no other database work before the ack; a failed write answers 500, and
Slack sends the delivery again); a worker — here, or in worker processes of its own — takes it from there: payload →
neutral event → Router. Messages, reactions and /swarm commands from a workspace bolt authorized in the last minute
are kept and acked the same way without bolt's dispatch (SlackMount._kept_directly; 503 if the write fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.app import App
from adapters.inbox import Delivery, Intake, Piece, Unkept
from adapters.metrics import ApiCallObserver, Metrics
from adapters.scheduler import Chore
from adapters.slack import events, probe
from adapters.slack.chat import SlackChat, UserDirectory
from adapters.slack.signature import signed_by_slack
from adapters.slack.states import PurgedStateStore
from adapters.slack.tokens import SealedInstallationStore
from adapters.throttle import Throttle, oauth_states
from bot.forgetting import forget_workspace
from handlers import closing, opening, reactions
from handlers.chat import Event, MessageEvent, ReactionEvent
from handlers.context import Context
from handlers.router import AnyEvent, Outcome

log = logging.getLogger(__name__)

SCOPES = [
    "channels:history",
    "channels:manage",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "groups:write",
    "im:write",
    "pins:write",
    "reactions:read",
    "users:read",
    "users:read.email",
]
RETRIES = 3
READY_SECONDS = 3.0  # how long /readyz waits for auth.test: a readiness probe times out soon after
CALLS_LOGGER = "slack_sdk.web.async_client"  # the one slack_sdk's clients log to unless given another
DRAIN_SECONDS = 10.0
CHAT_SECONDS = 60.0  # how long a workspace's bot token and user id are reused before the installation is read again
# How long a workspace that bolt authorized has its messages, reactions and /swarm commands kept without bolt
# (SlackMount._kept_directly); after that one delivery goes through bolt again, which authorizes it anew.
AUTHORIZED_SECONDS = 60.0
# The Events API deliveries that are most of what Slack sends, by listener kind: their listeners, and what is kept
# without bolt's dispatch once the workspace is authorized (/swarm commands are too).
KEPT_DIRECTLY = {"message": "message", "reaction_added": "reaction", "reaction_removed": "reaction"}
# A workspace that uninstalled the app, or revoked its tokens: listener kinds, worked on by SlackMount._revoke.
REVOKING = {"app_uninstalled": "uninstalled", "tokens_revoked": "revoked"}
SWARM_COMMAND = re.compile(r"^/swarm")
STATE_SECONDS = 600  # how long an install's OAuth state is good for
PURGE_EVERY = timedelta(minutes=10)  # how often the scheduler deletes expired OAuth states


# Methods whose second call does nothing the first did not (invite, topic, pin, edit, archive, reads): a call of one
# that timed out is sent again. Any other (a post, a new channel, a modal) may have been carried out all the same,
# and sent again it would be done twice: its timeout fails the step, which is then reported or resumed.
REPEATABLE = frozenset(
    {
        "auth.test",
        "conversations.archive",
        "conversations.info",
        "conversations.invite",
        "conversations.list",
        "conversations.members",
        "conversations.setTopic",
        "chat.update",
        "pins.add",
        "users.info",
        "users.lookupByEmail",
        "views.publish",
    }
)


class RepeatableTimeoutRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries a call that timed out, if its method is REPEATABLE."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count, error_types=[TimeoutError])

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        return method in REPEATABLE and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class CallsLog(logging.LoggerAdapter[logging.Logger]):
    """slack_sdk's logger as the Web API clients use it. slack_sdk writes out a call's whole request and answer for a
    debug line whenever `logger.level <= DEBUG`, and a logger's own level is NOTSET (0) unless someone set it, DEBUG on
    or not: about a tenth of a `chat.postMessage`'s CPU. Here `level` is the level in effect, read at each call, so
    those lines are built only while DEBUG is on (turned on later, it still works)."""

    @property
    def level(self) -> int:
        return self.logger.getEffectiveLevel()


CALLS_LOG = CallsLog(logging.getLogger(CALLS_LOGGER))


def web_client(
    base_url: str,
    token: str | None = None,
    metrics: Metrics | None = None,
    session: aiohttp.ClientSession | None = None,
    timeout: float = 10.0,
) -> AsyncWebClient:
    """A Web API client that retries 429 (honouring Retry-After), 5xx, dropped connections and, for calls safe to
    repeat, timeouts, a bounded number of times; it runs only in the work, never on the ack path. With metrics, every
    call is counted (bolt copies the retry handlers into the clients it makes per request, so those are counted too).
    With a session, its calls reuse kept-alive connections instead of opening one per call."""
    observers: list[AsyncRetryHandler] = [ApiCallObserver(metrics)] if metrics is not None else []
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        logger=cast(logging.Logger, CALLS_LOG),  # slack_sdk reads `level` and calls debug … error: an adapter does
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk hands it to aiohttp.ClientTimeout, which takes floats
        session=session,
        retry_handlers=[
            *observers,
            AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
            RepeatableTimeoutRetryHandler(max_retry_count=RETRIES),
        ],
    )


class SingleWorkspace:
    """Bolt's single-token authorize calls auth.test on the first requests without a lock: ask once,
    at start-up, and answer every request from that."""

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self.client = client
        self.token = token
        self.result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> AuthorizeResult:
        async with self._lock:
            if self.result is None:
                response = await self.client.auth_test(token=self.token)
                self.result = AuthorizeResult(
                    enterprise_id=response.get("enterprise_id"),
                    team_id=response.get("team_id"),
                    bot_user_id=response.get("user_id"),
                    bot_id=response.get("bot_id"),
                    bot_token=self.token,
                )
            return self.result

    def authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """For bolt, which reads the parameter names of the function it is given (so no bound method)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return self.result or await self.start()

        return authorize


class SlackMount:
    """The Slack app. `mount(web_app)` serves it over HTTP; `socket_mode(app_token)` over Socket Mode.

    With `work=False` it only acknowledges and keeps the deliveries, and calls `written` when it has kept some:
    worker processes do the work (adapters/workers.py), each with a mount of its own that is never served."""

    def __init__(
        self, app: App, engine: AsyncEngine | None = None, work: bool = True, written: Callable[[], None] | None = None
    ) -> None:
        settings = app.settings
        if not settings.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET is required for Slack")
        self.app = app
        self.conventions = settings.conventions()
        self.directory = UserDirectory()
        self.client = web_client(settings.slack_api_url, metrics=app.metrics, timeout=settings.slack_timeout_seconds)
        self.single: SingleWorkspace | None = None
        # Our handler checks the signature before it parses anything, so bolt need not check it again.
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        common: dict[str, Any] = {
            "signing_secret": settings.slack_signing_secret,
            "client": self.client,
            "process_before_response": True,
            "request_verification_enabled": False,
        }
        if settings.slack_client_id and settings.slack_client_secret and engine is not None:
            common["oauth_settings"] = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=SCOPES,
                installation_store=SealedInstallationStore(settings.slack_client_id, engine, settings.secret_key),
                state_store=PurgedStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
            )
        elif settings.slack_bot_token:
            self.single = SingleWorkspace(self.client, settings.slack_bot_token)
            common["authorize"] = self.single.authorize()
        else:
            raise ValueError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth")
        self.bolt = AsyncApp(**common)
        # Install pages here, and Sign in with Slack's starts (adapters/webui/auth.py): one bucket per client.
        self.oauth_states = oauth_states(lambda: app.core.clock().timestamp())
        self.chats: dict[str, tuple[SlackChat, float]] = {}
        # (enterprise id, team id) → (the bot's user id there, until when): what bolt's authorize said last.
        self.authorized: dict[tuple[str | None, str | None], tuple[str | None, float]] = {}
        # Teams whose SLACK_BOT_TOKEN was revoked while this process ran (one workspace: no store to delete from).
        self.uninstalled: set[str] = set()
        inbox = app.inbox("slack")
        lease = app.settings.inbox_lease()
        self.intake = Intake(
            inbox, self._prepare, app.core.clock, lease=lease, work=work, written=written, drain_seconds=DRAIN_SECONDS
        )
        self.writer, self.worker = self.intake.writer, self.intake.worker
        app.metrics.queue("slack", self.intake.queued)
        app.metrics.inbox("slack", inbox.waiting)
        self._session: aiohttp.ClientSession | None = None
        self._listen()
        self._ignore_the_rest()

    # -- serving --------------------------------------------------------------------------------------------------

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/slack/events", self.handle)
        if self.bolt.oauth_flow is not None:
            web_app.router.add_get(self.bolt.oauth_flow.install_path, self.install)
            web_app.router.add_get(self.bolt.oauth_flow.redirect_uri_path, self.install)
        web_app.on_startup.append(self._startup)
        web_app.on_cleanup.append(self._cleanup)

    async def handle(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            raw = (await request.read()).decode("utf-8")  # Slack sends UTF-8; anything else is malformed
        except UnicodeDecodeError:
            return web.Response(status=400, text="malformed body")
        if not signed_by_slack(self.verifier, raw, request.headers):
            return web.Response(status=401, text="invalid signature or stale timestamp")
        try:
            body = _parsed(raw, request.content_type)
        except (ValueError, RecursionError):  # neither JSON nor a form, a payload field not JSON, or nested too deep
            return web.Response(status=400, text="malformed body")
        if not isinstance(body, dict):
            return web.Response(status=400, text="malformed payload")
        if body.get("ssl_check") == "1":
            # Slack checks the certificate of a slash command's Request URL with a signed form of two fields; it
            # wants a 200 and nothing else.
            self.app.metrics.slack_request("ssl_check", 200, time.perf_counter() - started)
            return web.Response(status=200)
        if not _well_formed(body):
            return web.Response(status=400, text="malformed payload")
        kind = _kind(body)
        try:
            direct = await self._kept_directly(raw, body)
        except Unkept:
            # Not in the inbox, so not acknowledged: Slack sends an event again (a person retries a command).
            self.app.metrics.slack_request(kind, 503, time.perf_counter() - started)
            return web.Response(status=503, text="could not keep the delivery; send it again")
        if direct:
            self.app.metrics.slack_request(kind, 200, time.perf_counter() - started)
            return web.Response(status=200)
        try:
            bolt_request = _bolt_request(raw, body, request.query_string, dict(request.headers))
        except (ValueError, AttributeError, TypeError):  # ids of types bolt cannot read
            return web.Response(status=400, text="malformed body")
        response = await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))
        self.app.metrics.slack_request(kind, response.status, time.perf_counter() - started)
        return response

    async def _kept_directly(self, raw: str, body: dict[str, Any]) -> bool:
        """Keeps and acks a message or reaction event, or a /swarm command, from a workspace that bolt authorized in
        the last minute, the way its listener would but without bolt's dispatch: that dispatch (middleware, matchers,
        keyword arguments) was about half of what acking such a delivery cost, and these are most of what Slack
        sends. False for anything else, which goes through bolt."""
        kind = _direct_kind(body)
        if kind is None:
            return False
        try:
            enterprise, team = extract_enterprise_id(body), extract_team_id(body)
            authorized = self.authorized.get((enterprise, team))
        except (TypeError, AttributeError, IndexError, KeyError):
            return False  # bolt's way answers it
        if authorized is None or authorized[1] <= time.monotonic():
            return False
        await self._keep(kind, str(team or enterprise or ""), body, raw, authorized[0])
        return True

    async def install(self, request: web.Request) -> web.Response:
        """The "Add to Slack" page and the OAuth redirect back from Slack (multi-workspace installs)."""
        flow = self.bolt.oauth_flow
        assert flow is not None
        if request.path == flow.install_path:
            wait = self.oauth_states.take(request.remote or "")
            if wait:
                headers = {"Retry-After": Throttle.retry_after(wait)}
                return web.Response(status=429, text="too many install pages: try again later", headers=headers)
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    async def chat_for(self, team: str) -> SlackChat:
        """A chat for the work in one workspace, with its bot token: read once a minute at most, not per delivery."""
        now = time.monotonic()
        cached = self.chats.get(team)
        if cached is not None and cached[1] > now:
            return cached[0]
        chat = await self._new_chat(team)
        self.chats[team] = (chat, now + CHAT_SECONDS)
        return chat

    def _http(self) -> aiohttp.ClientSession:
        """One HTTP session for the work's Web API calls (made on the serving loop, closed at stop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _new_chat(self, team: str) -> SlackChat:
        if self.single is not None:
            auth = await self.single.start()
            client = web_client(
                self.app.settings.slack_api_url,
                auth.bot_token,
                self.app.metrics,
                self._http(),
                self.app.settings.slack_timeout_seconds,
            )
            return SlackChat(client, team, auth.bot_user_id, self.directory)
        oauth = self.bolt.oauth_flow
        assert oauth is not None
        bot = await oauth.settings.installation_store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            raise LookupError(f"Swarm is not installed in Slack workspace {team}")
        return SlackChat(
            web_client(
                self.app.settings.slack_api_url,
                bot.bot_token,
                self.app.metrics,
                self._http(),
                self.app.settings.slack_timeout_seconds,
            ),
            team,
            bot.bot_user_id,
            self.directory,
        )

    async def resume(self, settle: timedelta = timedelta(0)) -> int:
        """Finishes the openings and closings of swarms that a crash or a Slack outage interrupted (single-workspace
        install), those started at least `settle` ago; returns how many."""
        if self.single is None or self.single.result is None:
            return 0
        team = str(self.single.result.team_id)
        context = self.app.router(await self.chat_for(team)).context
        return await opening.resume(context, team, settle) + await closing.resume(context, team, settle)

    # -- the scheduler's jobs (adapters.scheduler.Platform) -------------------------------------------------------

    async def workspaces(self) -> list[str]:
        """The teams the jobs run in: the single workspace's, or every team Swarm has data for and is installed in."""
        if self.single is not None:
            team = str((await self.single.start()).team_id)
            return [] if team in self.uninstalled else [team]
        oauth = self.bolt.oauth_flow
        assert oauth is not None
        store = oauth.settings.installation_store
        return [
            team
            for team in await self.app.core.workspaces()
            if await store.async_find_bot(enterprise_id=None, team_id=team) is not None
        ]

    def chores(self) -> dict[str, Chore]:
        """Work of the Slack app itself, not of a workspace: with OAuth installs, purging expired OAuth states."""
        oauth = self.bolt.oauth_flow
        store = oauth.settings.state_store if oauth is not None else None
        if not isinstance(store, PurgedStateStore):
            return {}
        return {"purge-oauth-states": Chore(PURGE_EVERY, store.purge)}

    @contextlib.asynccontextmanager
    async def session(self, team: str) -> AsyncIterator[Context]:
        """The handler Context for a job in one team, with that team's bot token."""
        yield self.app.router(await self.chat_for(team)).context

    async def idle(self, seconds: float = DRAIN_SECONDS) -> None:
        """Waits until every delivery acknowledged so far is worked on and done (tests, benchmarks)."""
        await self.intake.idle(seconds)

    async def start(self, resume: bool = True) -> None:
        """Starts the work: resumes interrupted openings, then takes deliveries from the inbox (if this one works)."""
        settle = self.app.settings.resume_settle()
        await self.intake.start(self._resume_at_start if resume and self.single is not None else None, settle)

    async def _resume_at_start(self) -> None:
        assert self.single is not None
        try:
            await self.single.start()
            await self.resume(self.app.settings.resume_settle())  # not younger: another may be opening them
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as err:
            # Slack may be down at start (`swarm serve` said so already): a line, not a traceback; the first
            # request, and /readyz, will try again.
            log.warning("Slack start-up: %s", probe.explain(err, "SLACK_BOT_TOKEN", self.app.settings.slack_api_url))
        except Exception:
            # Slack may be down at start; the scheduler's jobs will try again.
            log.exception("Slack start-up (auth.test, resuming openings and closings) failed")

    async def unready(self) -> str | None:
        """Why Slack cannot be worked with now, for /readyz, or None. With one workspace, until auth.test has
        answered (it is asked again here, a few seconds at most); with OAuth installs, each has its own token."""
        if self.single is None or self.single.result is not None:
            return None
        try:
            await asyncio.wait_for(self.single.start(), READY_SECONDS)
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as err:
            return str(probe.explain(err, "SLACK_BOT_TOKEN", self.app.settings.slack_api_url))
        return None

    async def stop(self) -> None:
        """Keeps what was acknowledged, lets the work in hand finish (10 s at most), and stops."""
        await self.intake.stop()
        if self._session is not None:
            self.chats.clear()  # their clients use the session
            await self._session.close()

    async def _startup(self, _: web.Application) -> None:
        await self.start()

    async def _cleanup(self, _: web.Application) -> None:
        await self.stop()

    # -- listeners ------------------------------------------------------------------------------------------------

    def _listen(self) -> None:
        bolt = self.bolt
        # bolt tries the listeners in this order, each matcher at some cost: the most frequent deliveries first.
        for event_type, kind in KEPT_DIRECTLY.items():  # message, reaction_added, reaction_removed
            bolt.event(event_type)(self._acker(kind))
        bolt.command(SWARM_COMMAND)(self._acker("command"))
        bolt.event("app_home_opened")(self._acker("home"))
        for event_type, kind in REVOKING.items():
            bolt.event(event_type)(self._revoker(kind))
        bolt.action(re.compile(".*"))(self._acker("action"))
        bolt.view(re.compile(".*"))(self._acker("form"))

    def _ignore_the_rest(self) -> None:
        """Acks, and deliberately does nothing with, what else Slack may send: events the manifest does not subscribe
        to (an app_mention, a member_joined_channel …), another app's command or a shortcut sent to this URL, a modal
        closed. Unhandled, bolt would answer 404: Slack retries an event it got a 404 for, and shows the person an
        error. Registered after every other listener: bolt runs the first that matches."""

        async def ignore(ack: Callable[[], Awaitable[None]]) -> None:
            await ack()

        everything = re.compile(".*")
        self.bolt.event(everything)(ignore)
        self.bolt.command(everything)(ignore)
        self.bolt.shortcut(everything)(ignore)
        self.bolt.view_closed(everything)(ignore)

    def _acker(self, kind: str) -> Callable[..., Awaitable[None]]:
        """A listener that keeps the delivery if it is something a person did (not the bot's own post, an edit, a
        join…), then acks: the ack waits for the inbox's commit (bolt answers 500 if that fails, and Slack sends the
        delivery again), and nothing else."""

        async def listener(
            ack: Callable[[], Awaitable[None]],
            body: dict[str, Any],
            context: AsyncBoltContext,
            request: AsyncBoltRequest,
        ) -> None:
            bot, key = context.bot_user_id, (context.enterprise_id, context.team_id)
            await self._keep(kind, _team(context), body, request.raw_body, bot)
            await ack()
            if all(part is None or isinstance(part, str) for part in key):  # a forged body can hold anything there
                self.authorized[key] = (bot, time.monotonic() + AUTHORIZED_SECONDS)

        return listener

    def _revoker(self, kind: str) -> Callable[..., Awaitable[None]]:
        """A listener for an uninstall or a revocation: keeps it for the work, then acks (SlackMount._revoke). Bolt
        lets these through without authorizing them: the installation may be gone already (a redelivery)."""

        async def listener(
            ack: Callable[[], Awaitable[None]], context: AsyncBoltContext, request: AsyncBoltRequest
        ) -> None:
            team = _team(context)
            if not events.SLACK_ID.fullmatch(team):
                log.warning("ignored a %s delivery from a team id that Slack would not send", kind)
            else:  # kept before the ack, as every delivery is: Slack does not resend what it got a 200 for
                await self.writer.keep(kind, team, _payload(request.raw_body, request.body, None, ""))
            await ack()

        return listener

    async def _keep(self, kind: str, team: str, body: dict[str, Any], raw: str, bot: str | None) -> None:
        """Keeps the delivery in the inbox if it is something a person did: returns once that is committed, raises
        `Unkept` if it was not."""
        if not events.SLACK_ID.fullmatch(team):  # team and enterprise ids are Slack ids like any other
            log.warning("ignored a %s delivery from a team id that Slack would not send", kind)
            return
        try:
            event = _event(kind, team, body, bot)
        except (KeyError, TypeError, AttributeError, ValueError):
            log.warning("ignored a %s delivery that lacks what it needs", kind)
            return
        if event is not None:
            await self.writer.keep(kind, team, _payload(raw, body, bot, event.origin.channel))

    # -- the work -------------------------------------------------------------------------------------------------

    def _prepare(self, delivery: Delivery) -> Piece:
        """The conversation a delivery is about (its work is ordered after earlier work there) and the work. Room
        messages, and 🙋 / 👀 put on, are done a run at a time: a busy room or a popular announcement costs one
        transaction per run, not one per delivery."""
        payload = json.loads(delivery.payload)
        team, kind = delivery.team, delivery.kind
        key = _conversation(team, payload.get("channel", ""))
        if kind in REVOKING.values():
            body = payload["body"]
            return Piece.alone(key, lambda: self._revoke(kind, team, body))
        if kind == "message":
            return Piece(key, self._messages, (team, payload))
        if kind == "reaction":
            event = _event(kind, team, payload["body"], payload.get("bot"))
            if isinstance(event, ReactionEvent) and reactions.joins(self.conventions, event):
                return Piece(key, self._joins, event)

        async def job() -> None:
            event = _event(kind, team, payload["body"], payload.get("bot"))
            if event is not None:
                await self._dispatch(await self.chat_for(team), event)

        return Piece.alone(key, job)

    async def _revoke(self, kind: str, team: str, body: dict[str, Any]) -> None:
        """The app was uninstalled from a workspace, or some of its tokens there were revoked. Without its bot token
        Swarm can do nothing there: the installation goes (no more jobs there, no more sign-in to the web pages),
        and with SWARM_UNINSTALL_DATA=delete, after an uninstall, the workspace's data too."""
        tokens = body["event"].get("tokens") or {}
        if kind == "revoked" and not tokens.get("bot"):
            return  # only people's tokens (Swarm keeps none but the installer's): the bot still works
        enterprise, team_id = body.get("enterprise_id"), body.get("team_id")
        oauth = self.bolt.oauth_flow
        if oauth is not None:
            store = oauth.settings.installation_store
            await store.async_delete_all(enterprise_id=enterprise, team_id=team_id)
        else:
            self.uninstalled.add(team)
        self.chats.pop(team, None)
        for key in [key for key in self.authorized if team in key]:
            del self.authorized[key]
        deleting = kind == "uninstalled" and self.app.settings.uninstall_data == "delete"
        if deleting:
            await forget_workspace(self.app.store, team)
        log.warning(
            "Swarm's bot token in Slack workspace %s is gone (%s): no more jobs or sign-in there; its data was %s",
            team,
            "uninstalled" if kind == "uninstalled" else "tokens revoked",
            "deleted (SWARM_UNINSTALL_DATA=delete)" if deleting else "kept",
        )

    async def _messages(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        team = items[0][0]
        said = [events.message(team, p["body"]["event"], p["body"].get("event_id"), p.get("bot")) for _, p in items]
        if not any(said):
            return
        chat = await self.chat_for(team)
        run: list[MessageEvent] = []
        for event in [*said, None]:  # None: the end, which flushes the last run
            if isinstance(event, MessageEvent):
                run.append(event)
                continue
            if len(run) == 1:
                await self._dispatch(chat, run[0])
            elif run:
                await self.app.router(chat).handle_messages([await self._profiled(chat, e) for e in run])
            run = []
            if event is not None:  # an edit or a deletion, after the messages before it: nobody to look up
                await self.app.router(chat).handle(event)

    async def _joins(self, events: Sequence[ReactionEvent]) -> None:
        origin = events[0].origin
        chat = await self.chat_for(origin.workspace)
        if len(events) == 1:
            await self._dispatch(chat, events[0])
            return

        def coming() -> set[str]:
            """The announcements that joins already taken from the inbox, and done next, are about."""
            key = _conversation(origin.workspace, origin.channel)
            waiting = self.worker.waiting(key, self._joins) if self.worker else ()
            return {event.message_id for event in waiting}

        await self.app.router(chat).handle_joins([await self._profiled(chat, event) for event in events], coming)

    async def _dispatch(self, chat: SlackChat, event: Event) -> Outcome:
        return await self.app.router(chat).handle(await self._profiled(chat, event))

    async def _profiled(self, chat: SlackChat, event: AnyEvent) -> AnyEvent:
        """The event with its person's name and e-mail when the roster does not know them by their Slack id yet."""
        team, origin, known = chat.team, event.origin, self.directory.known
        if (team, origin.user) in known:
            return event
        # Someone the roster lacks is matched by e-mail, which only users.info tells; ask once per person.
        if await self.app.core.people.knows(team, "slack", origin.user):
            known.add((team, origin.user))
            return event
        name, email = await chat.profile(origin.user)
        return _with_profile(event, name or origin.user_name, email, chat.is_admin(origin.user))


def _conversation(team: str, channel: str) -> str:
    """The inbox key of a delivery: work about one channel is done in the order it came."""
    return f"{team}:{channel}"


def _event(kind: str, team: str, body: dict[str, Any], bot: str | None) -> Event | None:
    """The neutral event of a delivery, or None for what is no person's doing."""
    if kind == "command":
        return events.command(team, body)
    if kind == "message":
        return events.message(team, body["event"], body.get("event_id"), bot)
    if kind == "reaction":
        return events.reaction(team, body["event"], body.get("event_id"), bot)
    if kind == "home":
        return events.home(team, body["event"], body.get("event_id"))
    if kind == "action":
        return events.action(team, body)
    if kind == "form":
        return events.form(team, body)
    raise ValueError(f"unknown delivery kind {kind!r}")


def _well_formed(body: dict[str, Any]) -> bool:
    """The fields every listener relies on, so a body that lacks them is a 400, not a crash half way."""
    kind = body.get("type")
    if kind == "url_verification":
        return isinstance(body.get("challenge"), str)
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        return isinstance(body.get("user"), dict) and "id" in body["user"] and events.routable(body)
    if "command" in body:
        return all(isinstance(body.get(k), str) for k in ("user_id", "channel_id", "team_id"))
    return kind == "app_rate_limited"


def _parsed(raw: str, content_type: str | None) -> Any:
    """The body as bolt reads it, but a form is an interactivity payload only when it has a `payload` field: bolt
    takes any form that holds the word for one, so `/swarm webhook payload is empty` reached it as {} (a 400)."""
    if content_type == "application/json" or raw.startswith("{"):
        return json.loads(raw)
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    return json.loads(fields["payload"]) if "payload" in fields else fields


def _bolt_request(
    raw: str, body: dict[str, Any], query: str, headers: dict[str, str | Sequence[str]]
) -> AsyncBoltRequest:
    """Bolt's request for a body read by `_parsed`, not parsed by bolt again."""
    request = AsyncBoltRequest(body="", query=query, headers=headers)
    request.raw_body, request.body = raw, body
    request.context = build_async_context(request.context, body)
    return request


def _direct_kind(body: dict[str, Any]) -> str | None:
    """The listener kind of a delivery that may skip bolt's dispatch (SlackMount._kept_directly), else None."""
    if body.get("type") == "event_callback":
        return KEPT_DIRECTLY.get(body["event"]["type"])
    command = body.get("command")
    return "command" if isinstance(command, str) and SWARM_COMMAND.search(command) else None


def _kind(body: dict[str, Any]) -> str:
    """What a Slack request is, for the metrics: `command`, `event:<type>`, or the payload's type."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        return f"event:{body['event']['type']}"
    return str(body.get("type") or "unknown")


def _payload(raw: str, body: dict[str, Any], bot: str | None, channel: str) -> str:
    """A delivery as the inbox keeps it, JSON: {"bot", "channel", "body"}. An event's body is kept as Slack sent it,
    JSON already: serializing bolt's parsed copy of it again cost the acking process a sixth of its time."""
    kept = raw if raw.startswith("{") else json.dumps(body)
    return f'{{"bot": {json.dumps(bot)}, "channel": {json.dumps(channel)}, "body": {kept}}}'


def _team(context: AsyncBoltContext) -> str:
    return str(context.team_id or context.enterprise_id or "")


def _with_profile(event: AnyEvent, name: str | None, email: str | None, admin: bool = False) -> AnyEvent:
    return replace(event, origin=replace(event.origin, user_name=name, user_email=email, user_admin=admin))
