"""Back to the ticket: the internal notes a swarm leaves on the ticket it belongs to, through the core's outbox.

A note is kept first (once per swarm and event, under its key), then the outbox is asked to send what is due. Neither
step may stop a swarm: a failure is logged, and the scheduler's `tickets` job sends what is left (bot/tickets.py).
"""

from __future__ import annotations

import logging

from bot.models import Swarm
from handlers import replies
from handlers.context import Context

log = logging.getLogger(__name__)


async def note(ctx: Context, swarm: Swarm, kind: str, body: str) -> None:
    """Keeps a note for the swarm's ticket (nothing if it has none); `kind` makes its key (`opened`, `resolved-1`)."""
    if swarm.ticket is None:
        return
    try:
        await ctx.core.tickets.note(swarm, kind, body)
    except Exception:
        log.exception("could not keep the %s note of swarm %s for its ticket", kind, swarm.number)


async def send(ctx: Context, workspace: str | None = None, workspace_id: int | None = None) -> None:
    """Sends the workspace's notes that are due now; what fails waits for the scheduler's next round."""
    try:
        await ctx.core.tickets.send_due(workspace, workspace_id=workspace_id)
    except Exception:
        log.exception("could not send the ticket notes of workspace %s", workspace)


async def send_notes(ctx: Context, workspace: str) -> int:
    """The scheduler's `tickets` job: every note due in the workspace (a ticket system back from an outage, a 429's
    wait over); returns how many were sent."""
    return (await ctx.core.tickets.send_due(workspace, limit=100)).sent


# Statuses after which the ticket system considers the case done (Zendesk's; `closed` follows `solved`).
DONE = ("solved", "closed")


async def ticket_changed(ctx: Context, workspace: str, system: str, ticket_id: str, status: str) -> bool:
    """A ticket's status changed in its system (a webhook): the swarms linked to it keep it, and the room of the
    active one is told when the ticket was solved or closed there. True if the room was told."""
    crew = await ctx.core.swarms.ticket_changed(workspace, system, ticket_id, status)
    if crew is None or crew.swarm.ticket is None or crew.swarm.ticket.status not in DONE:
        return False
    await ctx.chat.post(crew.swarm.room_id or crew.swarm.origin_channel, replies.ticket_done(crew))
    return True


async def ticket_priority(ctx: Context, workspace: str, system: str, ticket_id: str, priority: str) -> bool:
    """A ticket's priority changed in its system: its active swarm's severity follows (SWARM_TICKET_SEVERITY), and
    the room is told. True if it changed."""
    severity = ctx.core.tickets.severities.get(priority.strip().lower())
    if severity is None:
        return False
    crew = await ctx.core.swarms.ticket_priority(workspace, system, ticket_id, severity)
    if crew is None:
        return False
    await ctx.chat.post(crew.swarm.room_id or crew.swarm.origin_channel, replies.ticket_priority(crew, priority))
    return True


async def customer_replied(
    ctx: Context, workspace: str, system: str, ticket_id: str, words: str, delivery: str | None
) -> bool:
    """The customer added a public comment to the ticket: the room of its active swarm reads it. The same delivery
    twice (its `delivery` key) is said once. True if the room was told."""
    if not words.strip():
        return False
    crew = await ctx.core.swarms.for_ticket(workspace, system, ticket_id)
    if crew is None:
        return False
    if delivery is not None and not await ctx.core.once(workspace, f"ticket-comment:{delivery}"):
        return False
    await ctx.chat.post(crew.swarm.room_id or crew.swarm.origin_channel, replies.customer_replied(crew, words))
    return True
