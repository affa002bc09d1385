"""What every ticket system's webhook does once its request is verified and read: the mount all of them share.

Each system's adapter says how its requests are signed (`verify`) and what they say (`read`: one TicketEvent, or
None for a body that is not one); this module does the rest the same way for every system:

- a request that fails `verify` → 401, and nothing changes; one that `read` cannot read → 400;
- `open` opens a swarm for the ticket in SWARM_TICKET_CHANNEL, owned by the ticket's assignee found by e-mail in the
  roster, as if they had typed `/swarm zd:ID` there; the same delivery twice has one effect, and a ticket has one
  active swarm anyway;
- `status` keeps the ticket's new status; when its system counts it done, the active swarm is resolved with the fix
  marked in its room, or else its room is told and its owner asked (handlers/ticket_events.py);
- `priority`: the active swarm's severity follows the ticket's priority (SWARM_TICKET_SEVERITY);
- `comment`: the customer's public reply is said in the room, once per delivery.

Each system's webhook comes in at two addresses: `PATH`, signed with the secret of the environment
(ZENDESK_WEBHOOK_SECRET, …), acting in the workspace SWARM_TICKET_WORKSPACE names (or the first one served); and
`PATH/WORKSPACE`, signed with the webhook secret of that workspace's own account (`swarm tickets connect …
--webhook-secret`), acting in that workspace alone. An address whose secret is not set refuses everything (401), as
a wrong signature does. It answers 200 only after the effect was kept; 503 asks the system to deliver again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from aiohttp import web

from adapters.app import App
from adapters.scheduler import Platform
from adapters.tickets.accounts import SealedTicketAccounts
from bot.context import Clock, utcnow
from bot.errors import UserError
from handlers import ticket_events
from handlers.chat import CommandEvent, Origin
from handlers.context import Context
from handlers.router import Outcome, Router

log = logging.getLogger(__name__)

EventKind = Literal["open", "status", "priority", "comment"]


@dataclass(frozen=True)
class Ignored:
    """A verified delivery that asks Swarm for nothing (an edit of a field Swarm does not follow): answered 200, so the
    system's log of its webhook shows no failure for it; `reason` says why."""

    reason: str


@dataclass(frozen=True)
class TicketEvent:
    """One thing a ticket system's webhook says about one of its tickets."""

    kind: EventKind
    ticket_id: str
    # open: the assignee's e-mail; status: the new status; priority: the new priority; comment: the customer's words.
    value: str
    done: bool = False  # (status) the system counts the ticket finished: solved, closed, resolved
    delivery: str | None = None  # the system's id of this delivery: the same one twice has one effect


class TicketWebhook:
    """The mount of one ticket system's webhook (adapters/web.py's Mount). A subclass names its `system` (`zd`, …),
    `path` and the setting of its secret (`secret_setting`), and implements `verify` and `read`."""

    system: ClassVar[str]
    path: ClassVar[str]
    vendor: ClassVar[str]  # what the logs call it: "Zendesk"
    secret_setting: ClassVar[str]  # the Settings field of the environment's secret: "zendesk_webhook_secret"

    def __init__(self, app: App, platforms: Sequence[Platform], clock: Clock = utcnow) -> None:
        self.app = app
        self.secret: str | None = getattr(app.settings, self.secret_setting) or None
        self.channel = app.settings.ticket_channel
        self.workspace = app.settings.ticket_workspace
        self.platforms = list(platforms)
        self.clock = clock

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the request is the system's own, signed with `secret`, and fresh."""
        raise NotImplementedError

    def read(self, headers: Mapping[str, str], body: bytes) -> TicketEvent | Ignored | None:
        """What the (verified) request says, Ignored, or None when it is not a body Swarm's setup sends."""
        raise NotImplementedError

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.path, self.handle)
        web_app.router.add_post(self.path + "/{workspace}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        own = request.match_info.get("workspace")  # the address of one workspace's own account
        secret = self.secret if own is None else await self._own_secret(own)
        if secret is None or not self.verify(secret, request.headers, body):
            log.warning("refused a %s webhook: bad signature or stale timestamp", self.vendor)
            return web.json_response({"error": "signature"}, status=401)
        event = self.read(request.headers, body)
        if isinstance(event, Ignored):
            return web.json_response({"ok": True, "ignored": event.reason})
        if event is None:
            return web.json_response({"error": f"not a body Swarm's {self.vendor} setup sends"}, status=400)
        found = await self._platform(own)
        if found is None:
            log.error("a %s webhook came, but no chat workspace is served to act in", self.vendor)
            return web.json_response({"error": "no chat workspace"}, status=503)
        platform, workspace = found
        async with platform.session(workspace) as ctx:
            if event.kind == "open":
                return await self._open(ctx, workspace, event)
            told = await self._tell(ctx, workspace, event)
        return web.json_response({"ok": True, "told": told})

    async def _own_secret(self, workspace: str) -> str | None:
        """The webhook secret of the workspace's own account with this system; None if it has none (or the
        workspace is not one Swarm knows, which is not told apart)."""
        accounts = self.app.core.tickets.accounts
        if not isinstance(accounts, SealedTicketAccounts) or len(workspace) > 100:
            return None
        return await accounts.webhook_secret(workspace, self.system)

    async def _tell(self, ctx: Context, workspace: str, event: TicketEvent) -> bool:
        system, ticket_id = self.system, event.ticket_id
        if event.kind == "status":
            return await ticket_events.ticket_changed(ctx, workspace, system, ticket_id, event.value, event.done)
        if event.kind == "priority":
            return await ticket_events.ticket_priority(ctx, workspace, system, ticket_id, event.value)
        delivery = self._delivery(event)
        return await ticket_events.customer_replied(ctx, workspace, system, ticket_id, event.value, delivery)

    async def _open(self, ctx: Context, workspace: str, event: TicketEvent) -> web.Response:
        if not self.channel:
            return web.json_response({"error": "SWARM_TICKET_CHANNEL is not set"}, status=422)
        email = event.value
        try:
            owner = await ctx.core.people.find(workspace, email) if "@" in email else None
        except UserError:
            owner = None
        user = None
        if owner is not None:
            user = owner.chat_id(ctx.platform) or await ctx.chat.find_user(email)
        if owner is None or user is None:
            log.warning("%s ticket %s: assignee not in the roster; no swarm opened", self.vendor, event.ticket_id)
            return web.json_response({"error": "the ticket's assignee is not in the roster"}, status=422)
        origin = Origin(workspace, ctx.platform, user, self.channel, owner.name, owner.email)
        command = CommandEvent(origin, f"{self.system}:{event.ticket_id}", event_id=self._delivery(event))
        outcome = await Router(ctx.core, ctx.chat, ctx.conventions).handle(command)
        if outcome is Outcome.FAILED:
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({"ok": True, "outcome": outcome.value})

    def _delivery(self, event: TicketEvent) -> str | None:
        return f"{self.system}-webhook:{event.delivery}" if event.delivery else None

    async def _platform(self, own: str | None = None) -> tuple[Platform, str] | None:
        """The chat platform serving the workspace to act in: `own`, else SWARM_TICKET_WORKSPACE's, else the first."""
        wanted = own or self.workspace
        for platform in self.platforms:
            served = await platform.workspaces()
            if wanted and wanted in served:
                return platform, wanted
            if not wanted and served:
                return platform, served[0]
        return None
