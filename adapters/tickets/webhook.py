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

It acts on the chat platform of the workspace SWARM_TICKET_WORKSPACE names (or the first one served), and answers
200 only after the effect was kept; 503 asks the system to deliver again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from aiohttp import web

from adapters.app import App
from adapters.scheduler import Platform
from bot.context import Clock, utcnow
from bot.errors import UserError
from handlers import ticket_events
from handlers.chat import CommandEvent, Origin
from handlers.context import Context
from handlers.router import Outcome, Router

log = logging.getLogger(__name__)

EventKind = Literal["open", "status", "priority", "comment"]


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
    """The mount of one ticket system's webhook (adapters/web.py's Mount). A subclass names its `system` (`zd`, …)
    and `path`, and implements `verify` and `read`."""

    system: ClassVar[str]
    path: ClassVar[str]
    vendor: ClassVar[str]  # what the logs call it: "Zendesk"

    def __init__(self, app: App, platforms: Sequence[Platform], clock: Clock = utcnow) -> None:
        self.app = app
        self.channel = app.settings.ticket_channel
        self.workspace = app.settings.ticket_workspace
        self.platforms = list(platforms)
        self.clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the request is the system's own, signed with its secret, and fresh."""
        raise NotImplementedError

    def read(self, headers: Mapping[str, str], body: bytes) -> TicketEvent | None:
        """What the (verified) request says, or None when it is not a body Swarm's setup sends."""
        raise NotImplementedError

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.verify(request.headers, body):
            log.warning("refused a %s webhook: bad signature or stale timestamp", self.vendor)
            return web.json_response({"error": "signature"}, status=401)
        event = self.read(request.headers, body)
        if event is None:
            return web.json_response({"error": f"not a body Swarm's {self.vendor} setup sends"}, status=400)
        found = await self._platform()
        if found is None:
            log.error("a %s webhook came, but no chat workspace is served to act in", self.vendor)
            return web.json_response({"error": "no chat workspace"}, status=503)
        platform, workspace = found
        async with platform.session(workspace) as ctx:
            if event.kind == "open":
                return await self._open(ctx, workspace, event)
            told = await self._tell(ctx, workspace, event)
        return web.json_response({"ok": True, "told": told})

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

    async def _platform(self) -> tuple[Platform, str] | None:
        for platform in self.platforms:
            served = await platform.workspaces()
            if self.workspace and self.workspace in served:
                return platform, self.workspace
            if not self.workspace and served:
                return platform, served[0]
        return None
