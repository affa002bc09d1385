"""`POST /zendesk/webhook`: Zendesk's signed webhooks, from triggers on tickets (docs/zendesk.md).

Zendesk signs each request: HMAC-SHA256, keyed by the webhook's signing secret, over the value of
`X-Zendesk-Webhook-Signature-Timestamp` immediately followed by the raw body, base64-encoded, in
`X-Zendesk-Webhook-Signature`. A request whose signature does not match, or whose timestamp is more than five minutes
from now (a replay), is answered 401 and changes nothing; a body that is not the JSON below, 400.

The body is the one the triggers of docs/zendesk.md send:

    {"event": "open", "ticket_id": "{{ticket.id}}", "assignee": "{{ticket.assignee.email}}"}
    {"event": "status", "ticket_id": "{{ticket.id}}", "status": "{{ticket.status}}"}
    {"event": "priority", "ticket_id": "{{ticket.id}}", "priority": "{{ticket.priority}}"}
    {"event": "comment", "ticket_id": "{{ticket.id}}", "comment": "{{ticket.latest_public_comment}}"}

- `open` opens a swarm for the ticket in SWARM_TICKET_CHANNEL, owned by the ticket's assignee, found by e-mail in the
  roster: as if they had typed `/swarm zd:ID` there. The same delivery twice (Zendesk's invocation id) has one
  effect, and a ticket has one active swarm anyway.
- `status` keeps the ticket's new status; when it is solved or closed, the active swarm is resolved with the fix
  marked in its room, or else its room is told and its owner asked.
- `priority`: the active swarm's severity follows the ticket's priority (SWARM_TICKET_SEVERITY); the room is told.
- `comment` (a trigger on the customer's public comments): "Customer replied: …" in the room, once per delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.app import App
from adapters.scheduler import Platform
from bot.context import Clock, utcnow
from bot.errors import UserError
from bot.tickets import ZENDESK
from handlers import ticket_events
from handlers.chat import CommandEvent, Origin
from handlers.router import Outcome, Router

log = logging.getLogger(__name__)

PATH = "/zendesk/webhook"
SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION = "X-Zendesk-Webhook-Invocation-Id"
TOLERANCE = timedelta(minutes=5)
# Each event and the field it needs beside ticket_id.
EVENTS = {"open": "ticket_id", "status": "status", "priority": "priority", "comment": "comment"}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Zendesk puts in X-Zendesk-Webhook-Signature for this timestamp and body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """Whether a request is Zendesk's, signed with `secret`, and fresh (its timestamp within five minutes of now)."""
    stamp, signed = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not stamp or not signed:
        return False
    when = _moment(stamp)
    if when is None or abs(now - when) > TOLERANCE:
        return False
    return hmac.compare_digest(signature(secret, stamp, body).encode(), signed.encode())


def _moment(stamp: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def read(body: bytes) -> dict[str, str] | None:
    """The delivery's fields, or None when it is not one of the bodies above."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    fields = {key: str(value).strip() for key, value in payload.items() if isinstance(value, str | int)}
    event = fields.get("event", "")
    if event not in EVENTS or not fields.get("ticket_id", "").isdecimal() or len(fields["ticket_id"]) > 18:
        return None
    if not fields.get(EVENTS[event]):
        return None
    return fields


class ZendeskWebhook:
    """The mount of `POST /zendesk/webhook` (adapters/web.py's Mount): verifies, then acts on the chat platform of
    the workspace SWARM_TICKET_WORKSPACE names (or the first one served)."""

    def __init__(self, app: App, platforms: Sequence[Platform], clock: Clock = utcnow) -> None:
        settings = app.settings
        assert settings.zendesk_webhook_secret, "ZENDESK_WEBHOOK_SECRET is needed to serve Zendesk's webhook"
        self.app = app
        self.secret = settings.zendesk_webhook_secret
        self.channel = settings.ticket_channel
        self.workspace = settings.ticket_workspace
        self.platforms = list(platforms)
        self.clock = clock

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(self.secret, request.headers, body, self.clock()):
            log.warning("refused a Zendesk webhook: bad signature or stale timestamp")
            return web.json_response({"error": "signature"}, status=401)
        fields = read(body)
        if fields is None:
            return web.json_response({"error": "not a Swarm trigger's body (docs/zendesk.md)"}, status=400)
        found = await self._platform()
        if found is None:
            log.error("a Zendesk webhook came, but no chat workspace is served to act in")
            return web.json_response({"error": "no chat workspace"}, status=503)
        platform, workspace = found
        ticket_id, invocation = fields["ticket_id"], request.headers.get(INVOCATION, "")[:100]
        async with platform.session(workspace) as ctx:
            if fields["event"] == "status":
                told = await ticket_events.ticket_changed(ctx, workspace, ZENDESK, ticket_id, fields["status"])
                return web.json_response({"ok": True, "told": told})
            if fields["event"] == "priority":
                told = await ticket_events.ticket_priority(ctx, workspace, ZENDESK, ticket_id, fields["priority"])
                return web.json_response({"ok": True, "told": told})
            if fields["event"] == "comment":
                delivery = f"zendesk:{invocation}" if invocation else None
                told = await ticket_events.customer_replied(
                    ctx, workspace, ZENDESK, ticket_id, fields["comment"], delivery
                )
                return web.json_response({"ok": True, "told": told})
            if not self.channel:
                return web.json_response({"error": "SWARM_TICKET_CHANNEL is not set"}, status=422)
            email = fields.get("assignee", "")
            try:
                owner = await ctx.core.people.find(workspace, email) if "@" in email else None
            except UserError:
                owner = None
            user = None
            if owner is not None:
                user = owner.chat_id(ctx.platform) or await ctx.chat.find_user(email)
            if owner is None or user is None:
                log.warning("Zendesk ticket %s: its assignee is not in the roster; no swarm opened", ticket_id)
                return web.json_response({"error": "the ticket's assignee is not in the roster"}, status=422)
            origin = Origin(workspace, ctx.platform, user, self.channel, owner.name, owner.email)
            event = CommandEvent(
                origin, f"{ZENDESK}:{ticket_id}", event_id=f"zendesk:{invocation}" if invocation else None
            )
            outcome = await Router(ctx.core, ctx.chat, ctx.conventions).handle(event)
        if outcome is Outcome.FAILED:
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({"ok": True, "outcome": outcome.value})

    async def _platform(self) -> tuple[Platform, str] | None:
        for platform in self.platforms:
            served = await platform.workspaces()
            if self.workspace and self.workspace in served:
                return platform, self.workspace
            if not self.workspace and served:
                return platform, served[0]
        return None
