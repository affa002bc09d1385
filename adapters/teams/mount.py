"""Teams on the shared aiohttp server: `POST /api/messages` for the Bot Framework, through botbuilder's CloudAdapter.

A request is authenticated (401 if it is not: nothing else happens), checked (400 if malformed), and an activity
Swarm handles is kept in the inbox (adapters/inbox.py) before it is answered: 202 (an invoke's fixed 200 body) only
once that write is committed, 503 if it could not be, so Teams sends it again. A `Worker` — here, or in worker
processes of their own (`swarm serve --workers N`, adapters/workers.py) — takes it from there and runs the turn, so
slow connector calls and their retries never hold Teams' request (Teams gives up after 15 s and sends again). Turns
of one conversation run one after another, in the order they came. What was acknowledged and not yet done when the
server stops, or dies, stays in the inbox for the next worker. A delivery Teams repeats, or a turn a dead worker
left half done, has one effect: the router claims the activity id (bot/deliveries.py).

The inbox keeps the activity as Teams sent it and the claims its token vouched for (the audience, the app id, the
service URL: what the worker needs to answer through the connector), never the token itself: the worker authenticates
its own calls with the bot's credentials, as a proactive post does.

Every invoke is answered with the same fixed body (INVOKE_OK): none of Swarm's card actions answers with content
that depends on its work, so invokes take the inbox's path like every other activity.

Authentication runs in a worker thread: botframework-connector fetches its signing keys with `requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import TurnContext  # type: ignore[import-untyped]
from botbuilder.integration.aiohttp import (  # type: ignore[import-untyped]
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ConversationReference  # type: ignore[import-untyped]
from botframework.connector.auth import ClaimsIdentity  # type: ignore[import-untyped]
from botframework.connector.auth.authenticate_request_result import (  # type: ignore[import-untyped]
    AuthenticateRequestResult,
)

from adapters import wire
from adapters.app import App
from adapters.inbox import Delivery, Intake, Piece, Unkept
from adapters.settings import Settings
from adapters.teams import activities, cards
from adapters.teams.activities import Basics, Known, Malformed
from adapters.teams.chat import Teams, TeamsChat, Turn
from adapters.teams.connector import Backoff, Connector, ConnectorError, TokenCache
from adapters.teams.state import Refs, TeamsState
from handlers import replies
from handlers.chat import ActionEvent, CommandEvent, Event, FormEvent, Reply
from handlers.context import Context
from handlers.opening import SETTLE, finish
from handlers.router import Outcome
from handlers.subcommands import opens_swarm

log = logging.getLogger(__name__)

NO_CHANNEL = (
    "Swarms start in a team channel: @mention me there with the case, "
    "or ask whoever runs Swarm to set SWARM_TEAMS_CHANNEL."
)
SUBMITTED = "Submitted."
DRAIN_SECONDS = 30.0
KIND = "activity"  # the inbox's kind of a Teams delivery (its team is the tenant)
# The claims of an activity's token that the worker needs to run its turn: whose bot it is for (aud, appid or azp,
# by the token's version), who issued it, and the connector it came from. Nothing else of the token is kept.
KEPT_CLAIMS = ("aud", "appid", "azp", "ver", "iss", "serviceurl")
SENT_BY_PEOPLE = frozenset({"message", "messageReaction", "invoke", "messageUpdate", "messageDelete"})
INVOKE_OK = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "OK"}


def authentication(settings: Settings, credentials: Any = None, **endpoints: str) -> Any:
    """The Bot Framework authentication for the app registration in `settings`: off in emulator mode.

    The cloud's endpoints come from the settings (MICROSOFT_CHANNEL_SERVICE, or the four endpoint settings);
    `endpoints` are the SDK's configuration names (e.g. TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL) and win over them
    (tests); `credentials` replaces the credentials factory (tests use a fixed token)."""
    # With an empty app id the SDK authenticates nothing: that is the emulator mode, and only it.
    emulator = settings.teams_emulator
    config = SimpleNamespace(
        APP_ID="" if emulator else settings.microsoft_app_id,
        APP_PASSWORD="" if emulator else settings.microsoft_app_password,
        APP_TYPE="MultiTenant" if emulator else settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
        **(cloud(settings) | endpoints),
    )
    factory = credentials if credentials is not None else ConfigurationServiceClientCredentialFactory(config)
    return ConfigurationBotFrameworkAuthentication(config, credentials_factory=TokenCache(factory))


def cloud(settings: Settings) -> dict[str, str]:
    """The SDK's configuration of the Bot Framework cloud the settings name (nothing: the public cloud)."""
    named = {
        "CHANNEL_SERVICE": settings.microsoft_channel_service,
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": settings.microsoft_openid_metadata_url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": settings.microsoft_token_issuer,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": settings.microsoft_login_url,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": settings.microsoft_oauth_scope,
    }
    return {name: value for name, value in named.items() if value}


def accepted_channels(settings: Settings) -> frozenset[str]:
    """The Bot Framework channels whose activities are served: Teams, and the emulator only in emulator mode."""
    return frozenset({"msteams", "emulator"}) if settings.teams_emulator else frozenset({"msteams"})


def refusal(settings: Settings, body: dict[str, Any], tenant: str) -> str | None:
    """Why an authenticated activity is not for this bot, or None. The Bot Framework's token vouches for the
    channel's service, not for the tenant: the channel and tenant are read from the body and checked here."""
    if body.get("channelId") not in accepted_channels(settings):
        return "only Microsoft Teams activities are accepted"
    single = settings.microsoft_app_type.lower() == "singletenant" and not settings.teams_emulator
    if single and tenant != settings.microsoft_app_tenant_id:
        return "this bot serves one tenant only"
    return None


class TeamsMount:
    """The Teams app. `mount(web_app)` serves it over HTTP.

    With `work=False` it only acknowledges and keeps the activities, and calls `written` when it has kept some:
    worker processes do the work (adapters/workers.py), each with a mount of its own that is never served."""

    def __init__(
        self,
        app: App,
        refs: Refs,
        settings: Settings,
        *,
        auth: Any = None,
        backoff: Backoff | None = None,
        work: bool = True,
        written: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.adapter = CloudAdapter(auth if auth is not None else authentication(settings))
        self.backoff = backoff or Backoff()
        self.state = TeamsState(refs)
        conventions = settings.conventions()
        self.join_emoji, self.observe_emoji = conventions.join_emoji, conventions.observe_emoji
        self.teams = Teams(
            state=self.state,
            app_id=settings.microsoft_app_id,
            swarm_channel=settings.teams_channel,
            glyphs=cards.glyphs(self.join_emoji, self.observe_emoji),
            connect=self._connect,
        )
        inbox = app.inbox("teams")
        lease = settings.inbox_lease()
        self.intake = Intake(
            inbox, self._prepare, app.core.clock, lease=lease, work=work, written=written, drain_seconds=DRAIN_SECONDS
        )
        self.writer, self.worker = self.intake.writer, self.intake.worker
        app.metrics.queue("teams", self.intake.queued)
        app.metrics.inbox("teams", inbox.waiting)
        self._closing = False
        self._in_roster: set[tuple[str, str]] = set()  # people the roster knows by their AAD object id

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/api/messages", self.handle)
        web_app.on_startup.append(self._startup)
        web_app.on_cleanup.append(self._cleanup)

    # -- HTTP -----------------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if self._closing:
            return web.Response(status=503, headers={"Retry-After": "5"})
        try:
            body = wire.json_document(await request.read())
        except wire.Malformed as err:
            return web.json_response({"error": str(err)}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return web.json_response({"error": "an activity with a type is expected"}, status=400)
        try:
            activity = Activity().deserialize(body)
        except ValueError:
            return web.json_response({"error": "the activity does not parse"}, status=400)
        try:
            authenticated = await self._authenticate(activity, request.headers.get("Authorization") or None)
        except requests.RequestException:
            # Microsoft's signing keys could not be fetched: not the sender's fault, so Teams may send it again.
            log.warning("Teams: could not fetch the Bot Framework signing keys", exc_info=True)
            return web.json_response({"error": "cannot check the token now"}, status=503)
        except Exception as err:
            # The SDK says "bad token" in many ways (PermissionError, jwt errors, an unknown key's IndexError).
            log.info("Teams request refused: %s", err)
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            facts = activities.basics(body)
        except Malformed as err:
            return web.json_response({"error": str(err)}, status=400)
        refused = refusal(self.settings, body, facts.tenant)
        if refused is not None:
            log.info("Teams activity refused (channel %r, tenant %s): %s", body.get("channelId"), facts.tenant, refused)
            return web.json_response({"error": refused}, status=403)
        if facts.type not in activities.HANDLED:
            return web.Response(status=200)
        try:
            # Acknowledged only once it is in the inbox: Teams does not send again what it got a 2xx for.
            await self.writer.keep(KIND, facts.tenant, _payload(body, authenticated))
        except Unkept:
            return web.json_response(
                {"error": "could not keep the activity; send it again"}, status=503, headers={"Retry-After": "5"}
            )
        if facts.type == "invoke":
            return web.json_response(INVOKE_OK)
        return web.Response(status=202)

    async def _authenticate(self, activity: Any, header: str | None) -> Any:
        auth = self.adapter.bot_framework_authentication
        if header is None:
            # Without a token there is nothing to fetch: either auth is off, or this is refused right away.
            return await auth.authenticate_request(activity, None)
        return await asyncio.to_thread(asyncio.run, auth.authenticate_request(activity, header))

    # -- the work -------------------------------------------------------------------------------------------------

    def _prepare(self, delivery: Delivery) -> Piece:
        """The conversation an activity is about (its turn runs after earlier turns there) and its turn."""
        kept = json.loads(delivery.payload)
        body = kept["activity"]
        facts = activities.basics(body)
        activity = Activity().deserialize(body)
        authenticated = self._authenticated(kept)
        key = f"{delivery.team}:{facts.conversation}"
        return Piece.alone(key, lambda: self._process(authenticated, activity, body, facts))

    def _authenticated(self, kept: dict[str, Any]) -> Any:
        """The authentication of a kept activity, as the SDK made it when the request came: the claims its token
        vouched for, and a connector factory that signs the bot's calls with the bot's own credentials."""
        identity = ClaimsIdentity(dict(kept.get("claims") or {}), True, kept.get("authentication"))
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = kept.get("audience")
        result.caller_id = kept.get("caller")
        result.connector_factory = self.adapter.bot_framework_authentication.create_connector_factory(identity)
        return result

    async def idle(self, seconds: float = DRAIN_SECONDS) -> None:
        """Waits until every activity acknowledged so far is worked on and done (tests, benchmarks)."""
        await self.intake.idle(seconds)

    async def start(self, resume: bool = True) -> None:
        """Starts the work: finishes the openings a crash interrupted, then takes activities from the inbox (if
        this one works)."""
        await self.intake.start(self._resume_at_start if resume else None, self.app.settings.resume_settle())

    async def _resume_at_start(self) -> None:
        try:
            for tenant in await self.workspaces():
                await self.resume(tenant, self.app.settings.resume_settle())
        except Exception:
            # The database or Teams may be away at start; the scheduler's jobs will try again.
            log.exception("Teams start-up (resuming openings) failed")

    async def stop(self) -> None:
        """Keeps what was acknowledged, lets the turns under way finish (DRAIN_SECONDS at most), and stops; what is
        left stays in the inbox for the next worker."""
        self._closing = True
        await self.intake.stop()

    async def _startup(self, _: web.Application) -> None:
        await self.start()

    async def _cleanup(self, _: web.Application) -> None:
        await self.stop()

    async def _process(self, authenticated: Any, activity: Any, body: dict[str, Any], facts: Basics) -> None:
        """One turn. What fails here (the database busy or away) leaves the activity in the inbox, to be run again
        once its lease ends; what the turn did already is not done twice (the router's claims)."""
        await self.adapter.process_activity(authenticated, activity, lambda ctx: self._turn(ctx, body, facts))

    async def _turn(self, context: Any, body: dict[str, Any], facts: Basics) -> None:
        in_room = await self.state.room(facts.tenant, facts.conversation) is not None
        if facts.type == "message" and not in_room and not _for_the_bot(body, facts):
            # With RSC Teams sends every channel message; those outside the rooms are none of Swarm's business.
            return
        if facts.type in activities.CHANGES and not in_room:
            return  # nor are their edits and deletions
        connector = Connector(context.turn_state[self.adapter.BOT_CONNECTOR_CLIENT_KEY], self.backoff)
        facts = await self._identified(facts, connector)
        await self._remember(context, facts)
        known = await self._look_up(body, facts, connector, in_room)
        events = activities.events(body, facts, known, self.join_emoji, self.observe_emoji)
        chat = TeamsChat(self.teams, facts.tenant, Turn(facts, connector), self._room_channel(facts, events))
        router = self.app.router(chat)
        try:
            for event in events:
                await self._route(router, chat, event, facts, body)
        finally:
            await chat.flush()

    async def _route(self, router: Any, chat: TeamsChat, event: Event, facts: Basics, body: dict[str, Any]) -> None:
        if chat.room_channel is None and _opens_swarm(event):
            await chat.post_private(event.origin.channel, event.origin.user, Reply(NO_CHANNEL))
            return
        outcome = await router.handle(event)
        if isinstance(event, FormEvent) and outcome is Outcome.DONE and facts.reply_to:
            try:
                title = cards.form_title(value if isinstance(value := body.get("value"), dict) else {})
                await chat.close_form(facts.conversation, facts.reply_to, title, SUBMITTED)
            except ConnectorError:
                log.warning("could not mark the form %s as submitted", facts.reply_to, exc_info=True)

    def _room_channel(self, facts: Basics, events: list[Event]) -> str | None:
        """Where rooms start: SWARM_TEAMS_CHANNEL, else the team channel the swarm was asked in."""
        if self.settings.teams_channel or facts.channel:
            return self.settings.teams_channel or facts.channel
        for event in events:
            # The open form carries the conversation it was asked in, wherever it is submitted.
            if isinstance(event, FormEvent) and event.action == replies.OPEN_FORM:
                return _team_channel(event.value)
            # So does the "did you mean" question's open button.
            if isinstance(event, ActionEvent) and event.action == replies.OPEN_CASE:
                return _team_channel(event.value.partition("\n")[0])
        return None

    # -- what the turn needs to know ------------------------------------------------------------------------------

    async def _remember(self, context: Any, facts: Basics) -> None:
        """Keeps the conversation's reference (for proactive posts) and who the sender is."""
        reference = TurnContext.get_conversation_reference(context.activity).serialize()
        reference.pop("activityId", None)
        reference.pop("user", None)
        reference.setdefault("conversation", {})["conversationType"] = facts.conversation_type
        await self.state.put(facts.tenant, "conversation", facts.conversation, reference)
        last = await self.state.get(facts.tenant, "tenant", "last")
        if not last or last.get("serviceUrl") != facts.service_url or last.get("bot") != facts.bot:
            tenant = {"serviceUrl": facts.service_url, "bot": facts.bot, "conversation": facts.conversation}
            await self.state.put(facts.tenant, "tenant", "last", tenant)
        if facts.aad:
            await self.state.remember_user(facts.tenant, facts.aad, facts.user, facts.name)
            if facts.personal:
                await self.state.put(facts.tenant, "personal", facts.aad, {"conversation": facts.conversation})

    async def _identified(self, facts: Basics, connector: Connector) -> Basics:
        """The sender with their Azure AD object id. Teams leaves `from.aadObjectId` out of some activities (card
        actions among them); the roster knows people by it, so it is asked of the connector (then remembered)
        rather than taking the Teams id for a new person."""
        if facts.aad or facts.user == facts.bot or facts.type not in SENT_BY_PEOPLE:
            return facts
        aad = await self._aad_of(facts, facts.user, connector)
        return dataclasses.replace(facts, aad=aad) if aad else facts

    async def _look_up(self, body: dict[str, Any], facts: Basics, connector: Connector, in_room: bool) -> Known:
        email = await self._email(facts, connector)
        if facts.type == "messageReaction" and facts.reply_to:
            card_of = await self.state.swarm_of_card(facts.tenant, facts.reply_to)
            target = await self._announcement_of(facts.tenant, card_of) if card_of is not None else None
            return Known(email=email, reaction_target=target, card_of=card_of)
        if facts.type != "message" and facts.type not in activities.CHANGES:
            return Known(email=email)
        people = {}
        for user in activities.mentioned_people(body, facts.bot):
            aad = await self._aad_of(facts, user, connector)
            if aad:
                people[user] = aad
        return Known(email=email, in_room=in_room, people=people)

    async def _email(self, facts: Basics, connector: Connector) -> str | None:
        """The sender's e-mail from Teams (asked once per person, then remembered), to match them to the roster."""
        if not facts.aad:
            return None
        known = await self.state.user(facts.tenant, facts.aad) or {}
        if known.get("email") or known.get("asked"):
            return str(known["email"]) if known.get("email") else None
        if (facts.tenant, facts.aad) in self._in_roster:
            return None
        if await self.app.core.people.knows(facts.tenant, "teams", facts.aad):
            self._in_roster.add((facts.tenant, facts.aad))
            return None
        try:
            member = await connector.member(facts.conversation, facts.user)
        except ConnectorError:
            log.warning("Teams: could not look up %s", facts.user, exc_info=True)
            return None
        email = str((member or {}).get("email") or (member or {}).get("userPrincipalName") or "") or None
        await self.state.remember_user(facts.tenant, facts.aad, facts.user, facts.name, email)
        await self.state.merge(facts.tenant, "user", facts.aad, asked=True)
        return email

    async def _aad_of(self, facts: Basics, user: str, connector: Connector) -> str | None:
        known = await self.state.aad_of(facts.tenant, user)
        if known:
            return known
        try:
            member = await connector.member(facts.conversation, user)
        except ConnectorError:
            log.warning("Teams: could not look up %s", user, exc_info=True)
            return None
        if not member or not member.get("aadObjectId"):
            return None
        aad = str(member["aadObjectId"])
        email = str(member.get("email") or member.get("userPrincipalName") or "") or None
        await self.state.remember_user(facts.tenant, aad, user, member.get("name"), email)
        return aad

    async def _announcement_of(self, tenant: str, number: int) -> str | None:
        """A reaction on a room card stands for the same reaction on the swarm's announcement."""
        announcement = (await self.state.swarm(tenant, number)).get("announcement")
        return str(announcement) if announcement else None

    # -- proactive ------------------------------------------------------------------------------------------------

    async def chat_for(self, workspace: str) -> TeamsChat:
        """A TeamsChat outside any turn (the scheduler's), reaching the tenant through a stored reference.

        Call `flush()` on it when done, as a turn does, so invited people are mentioned."""
        return TeamsChat(self.teams, workspace)

    # -- the scheduler's jobs (adapters.scheduler.Platform) -------------------------------------------------------

    async def workspaces(self) -> list[str]:
        """The tenants the jobs run in: those Swarm has heard from, so it can reach them (not Slack's, not the
        console's, though they share the database)."""
        return [w for w in await self.app.core.workspaces() if await self.state.get(w, "tenant", "last") is not None]

    @contextlib.asynccontextmanager
    async def session(self, workspace: str) -> AsyncIterator[Context]:
        """The handler Context for a job in one tenant. Interrupted openings are finished first, each from the
        channel its swarm was asked in (a job has no channel to start a Teams room in); at the end the people
        invited are mentioned, as after a turn."""
        await self.resume(workspace)
        chat = await self.chat_for(workspace)
        try:
            yield self.app.router(chat).context
        finally:
            await chat.flush()

    async def resume(self, workspace: str, settle: timedelta = SETTLE) -> int:
        """Finishes the swarm openings of a tenant that a crash or a Teams outage interrupted, those saved at least
        `settle` ago (a younger one may still be opening in another process); returns how many."""
        finished = 0
        for opened in await self.app.core.swarms.unfinished(workspace, settle):
            swarm = opened.crew.swarm
            chat = TeamsChat(self.teams, workspace, room_channel=_team_channel(swarm.origin_channel))
            try:
                await finish(self.app.router(chat).context, opened, resumed=True)
                await chat.flush()
                finished += 1
            except Exception:
                log.exception("could not finish opening swarm %s in %s", swarm.number, workspace)
        return finished

    async def _connect(self, workspace: str) -> Connector:
        last = await self.state.get(workspace, "tenant", "last")
        stored = await self.state.get(workspace, "conversation", str(last["conversation"])) if last else None
        if stored is None:
            raise LookupError(f"Swarm has not heard from the Teams tenant {workspace} yet")
        clients: list[Any] = []

        async def capture(context: Any) -> None:
            clients.append(context.turn_state[self.adapter.BOT_CONNECTOR_CLIENT_KEY])

        reference = ConversationReference().deserialize(stored)
        await self.adapter.continue_conversation(reference, capture, self.settings.microsoft_app_id)
        return Connector(clients[0], self.backoff)


def _payload(body: dict[str, Any], authenticated: Any) -> str:
    """An activity as the inbox keeps it, JSON: the activity, and what its authentication said that the turn needs
    (KEPT_CLAIMS, the outbound audience, the caller id): no token, no secret."""
    identity = authenticated.claims_identity
    claims = {name: value for name, value in (identity.claims or {}).items() if name in KEPT_CLAIMS}
    kept = {
        "activity": body,
        "claims": claims,
        "authentication": identity.authentication_type,
        "audience": authenticated.audience,
        "caller": authenticated.caller_id,
    }
    return json.dumps(kept)


def _for_the_bot(body: dict[str, Any], facts: Basics) -> bool:
    return isinstance(body.get("value"), dict) or activities.addressed(body, facts)


def _team_channel(conversation: str) -> str | None:
    """The team channel of a channel conversation (`19:…@thread.tacv2;messageid=…`); None for chats."""
    channel = conversation.split(";", 1)[0]
    # Group chats are 19:…@thread.v2; channels are @thread.tacv2 (or @thread.skype for older teams).
    return channel if channel.endswith(("@thread.tacv2", "@thread.skype")) else None


def _opens_swarm(event: Event) -> bool:
    if isinstance(event, FormEvent):
        return event.action == replies.OPEN_FORM
    if isinstance(event, ActionEvent):
        return event.action == replies.OPEN_CASE
    if not isinstance(event, CommandEvent):
        return False
    return opens_swarm(event.text)
