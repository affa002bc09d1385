"""Swarm as a Slack app: bolt's AsyncApp on our aiohttp server (or Socket Mode), acking first, working after.

Every listener acks at once (process_before_response with lazy listeners: no Web API call and no database work
before the ack) and does the real work in a tracked background task: payload → neutral event → Router.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.app import App
from adapters.metrics import ApiCallObserver, Metrics
from adapters.slack import events
from adapters.slack.chat import SlackChat, UserDirectory
from adapters.slack.tokens import SealedInstallationStore
from handlers.chat import Event
from handlers.context import Context
from handlers.opening import resume
from handlers.router import Outcome

log = logging.getLogger(__name__)

SCOPES = [
    "app_mentions:read",
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
    "reactions:write",
    "users:read",
    "users:read.email",
]
RETRIES = 3
DRAIN_SECONDS = 10.0
# Pieces of background work running at once; the rest wait their turn. Without a bound, a burst (thousands of
# /swarm or events in a few seconds) starts thousands of tasks that all queue for one of the database pool's 15
# connections, which gives up after 30 s (sqlalchemy QueuePool TimeoutError: the work is lost), and that crowd of
# ready tasks slows every ack on the same event loop. Below the pool size, so no task ever waits for a connection.
WORK_SLOTS = 12


class TrackedLazyRunner(AsyncioLazyListenerRunner):
    """Bolt's lazy runner fires and forgets; this one keeps its tasks, so none is garbage-collected mid-flight and
    shutdown (and a test) can wait for the work to finish, and runs at most `slots` of them at once."""

    def __init__(self, logger: logging.Logger, slots: int = WORK_SLOTS) -> None:
        super().__init__(logger)
        self.tasks: set[asyncio.Future[None]] = set()
        self.slots = asyncio.Semaphore(slots)  # binds to the serving loop when a task first has to wait

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        task = asyncio.ensure_future(self._run(function, request))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        async with self.slots:
            await to_runnable_function(internal_func=function, logger=self.logger, request=request)

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        while self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=seconds)
            if pending:
                log.warning("%d Slack tasks still running at shutdown", len(pending))
                return


def web_client(base_url: str, token: str | None = None, metrics: Metrics | None = None) -> AsyncWebClient:
    """A Web API client that retries 429 (honouring Retry-After), 5xx and dropped connections, a bounded number of
    times; it runs only in lazy listeners, never on the ack path. With metrics, every call is counted (bolt copies
    the retry handlers into the clients it makes per request, so those are counted too)."""
    observers: list[AsyncRetryHandler] = [ApiCallObserver(metrics)] if metrics is not None else []
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            *observers,
            AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        ],
    )


class SingleWorkspace:
    """Bolt's single-token authorize calls auth.test on the first requests without a lock (DESIGN.md §6): ask once,
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
    """The Slack app. `mount(web_app)` serves it over HTTP; `socket_mode(app_token)` over Socket Mode."""

    def __init__(self, app: App, engine: AsyncEngine | None = None) -> None:
        settings = app.settings
        if not settings.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET is required for Slack")
        self.app = app
        self.directory = UserDirectory()
        self.client = web_client(settings.slack_api_url, metrics=app.metrics)
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
                state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
            )
        elif settings.slack_bot_token:
            self.single = SingleWorkspace(self.client, settings.slack_bot_token)
            common["authorize"] = self.single.authorize()
        else:
            raise ValueError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth")
        self.bolt = AsyncApp(**common)
        self.lazy = TrackedLazyRunner(log)
        app.metrics.queue("slack", lambda: len(self.lazy.tasks))
        # Bolt builds its runner in the constructor and offers no parameter for the lazy one.
        self.bolt._async_listener_runner.lazy_listener_runner = self.lazy
        self._listen()

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
            body = (await request.read()).decode("utf-8")  # Slack sends UTF-8; anything else is malformed
        except UnicodeDecodeError:
            return web.Response(status=400, text="malformed body")
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401, text="invalid signature or stale timestamp")
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        except (ValueError, AttributeError, TypeError):
            # Not JSON or a form, or JSON that is not an object (`0`, `[]`): bolt cannot read it.
            return web.Response(status=400, text="malformed body")
        if not isinstance(bolt_request.body, dict) or not _well_formed(bolt_request.body):
            return web.Response(status=400, text="malformed payload")
        response = await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))
        self.app.metrics.slack_request(_kind(bolt_request.body), response.status, time.perf_counter() - started)
        return response

    async def install(self, request: web.Request) -> web.Response:
        """The "Add to Slack" page and the OAuth redirect back from Slack (multi-workspace installs)."""
        flow = self.bolt.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    async def chat_for(self, team: str) -> SlackChat:
        """A chat for work outside a request (resuming openings, scheduled posts), with the workspace's bot token."""
        if self.single is not None:
            auth = await self.single.start()
            client = web_client(self.app.settings.slack_api_url, auth.bot_token, self.app.metrics)
            return SlackChat(client, team, auth.bot_user_id, self.directory)
        oauth = self.bolt.oauth_flow
        assert oauth is not None
        bot = await oauth.settings.installation_store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            raise LookupError(f"Swarm is not installed in Slack workspace {team}")
        return SlackChat(
            web_client(self.app.settings.slack_api_url, bot.bot_token, self.app.metrics),
            team,
            bot.bot_user_id,
            self.directory,
        )

    async def resume(self) -> int:
        """Finishes swarm openings that a crash or a Slack outage interrupted (single-workspace install)."""
        if self.single is None or self.single.result is None:
            return 0
        team = str(self.single.result.team_id)
        return await resume(self.app.router(await self.chat_for(team)).context, team)

    # -- the scheduler's jobs (adapters.scheduler.Platform) -------------------------------------------------------

    async def workspaces(self) -> list[str]:
        """The teams the jobs run in: the single workspace's, or every team Swarm has data for and is installed in."""
        if self.single is not None:
            return [str((await self.single.start()).team_id)]
        oauth = self.bolt.oauth_flow
        assert oauth is not None
        store = oauth.settings.installation_store
        return [
            team
            for team in await self.app.core.workspaces()
            if await store.async_find_bot(enterprise_id=None, team_id=team) is not None
        ]

    @contextlib.asynccontextmanager
    async def session(self, team: str) -> AsyncIterator[Context]:
        """The handler Context for a job in one team, with that team's bot token."""
        yield self.app.router(await self.chat_for(team)).context

    async def idle(self) -> None:
        """Waits until every piece of work started so far is done (shutdown, tests)."""
        await self.lazy.drain()

    async def _startup(self, _: web.Application) -> None:
        if self.single is not None:
            try:
                await self.single.start()
                await self.resume()
            except Exception:
                # Slack may be down at start; the first request will try again.
                log.exception("Slack start-up (auth.test, resuming openings) failed")

    async def _cleanup(self, _: web.Application) -> None:
        await self.idle()

    # -- listeners ------------------------------------------------------------------------------------------------

    def _listen(self) -> None:
        bolt = self.bolt
        bolt.command(re.compile(r"^/swarm"))(ack=_ack, lazy=[self._on_command])
        bolt.event("message")(ack=_ack, lazy=[self._on_message])
        bolt.event("reaction_added")(ack=_ack, lazy=[self._on_reaction])
        bolt.event("reaction_removed")(ack=_ack, lazy=[self._on_reaction])
        bolt.event("app_home_opened")(ack=_ack, lazy=[self._on_home])
        bolt.action(re.compile(".*"))(ack=_ack, lazy=[self._on_action])
        bolt.view(re.compile(".*"))(ack=_ack, lazy=[self._on_form])

    async def _on_command(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.command(_team(context), body))

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.message(_team(context), event, body.get("event_id"), context.bot_user_id))

    async def _on_reaction(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.reaction(_team(context), event, body.get("event_id"), context.bot_user_id))

    async def _on_home(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.home(_team(context), event, body.get("event_id")))

    async def _on_action(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.action(_team(context), body))

    async def _on_form(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._dispatch(context, events.form(_team(context), body))

    async def _dispatch(self, context: AsyncBoltContext, event: Event | None) -> Outcome | None:
        if event is None:
            return None
        team = _team(context)
        chat = SlackChat(context.client or self.client, team, context.bot_user_id, self.directory)
        origin, known = event.origin, self.directory.known
        if (team, origin.user) not in known:
            # Someone the roster lacks is matched by e-mail, which only users.info tells; ask once per person.
            if await self.app.core.people.knows(team, "slack", origin.user):
                known.add((team, origin.user))
            else:
                name, email = await chat.profile(origin.user)
                event = _with_profile(event, name or origin.user_name, email)
        return await self.app.router(chat).handle(event)


def _well_formed(body: dict[str, Any]) -> bool:
    """The fields every listener relies on, so a body that lacks them is a 400, not a crash half way."""
    kind = body.get("type")
    if kind == "url_verification":
        return isinstance(body.get("challenge"), str)
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        return isinstance(body.get("user"), dict) and "id" in body["user"]
    if "command" in body:
        return all(isinstance(body.get(k), str) for k in ("user_id", "channel_id", "team_id"))
    return kind == "app_rate_limited"


def _kind(body: dict[str, Any]) -> str:
    """What a Slack request is, for the metrics: `command`, `event:<type>`, or the payload's type."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        return f"event:{body['event']['type']}"
    return str(body.get("type") or "unknown")


async def _ack(ack: Callable[[], Awaitable[None]]) -> None:
    await ack()


def _team(context: AsyncBoltContext) -> str:
    return str(context.team_id or context.enterprise_id or "")


def _with_profile(event: Event, name: str | None, email: str | None) -> Event:
    return replace(event, origin=replace(event.origin, user_name=name, user_email=email))
