"""From the ticket to the room: what a ticket system says about a swarm's ticket (handlers of its webhook's events,
adapters/tickets/webhook.py): solved or closed, a new priority, the customer's reply."""

from __future__ import annotations

import logging

from bot.context import Actor
from bot.errors import UserError
from handlers import replies
from handlers.closing import announce_resolved
from handlers.context import Context

log = logging.getLogger(__name__)


async def ticket_changed(ctx: Context, workspace: str, system: str, ticket_id: str, status: str, done: bool) -> bool:
    """A ticket's status changed in its system (a webhook): the swarms linked to it keep it. When it is `done` there
    (solved, closed, resolved: each system's adapter knows its own words), its active swarm closes too if someone
    marked the fix (resolved by its owner, with that fix, and the article goes to the ticket); otherwise its room is
    told and its owner asked. True if the room was told."""
    crew = await ctx.core.swarms.ticket_changed(workspace, system, ticket_id, status, done)
    if crew is None or crew.swarm.ticket is None or not done:
        return False
    swarm = crew.swarm
    room = swarm.room_id or swarm.origin_channel
    owner = crew.owner.chat_id(ctx.platform)
    if swarm.id is not None and owner and await ctx.core.swarms.fix_marked(swarm.id):
        actor = Actor(workspace, ctx.platform, owner, crew.owner.name, crew.owner.email)
        try:
            result = await ctx.core.swarms.resolve(actor, room, "", number=swarm.number)
        except UserError:
            log.info("swarm %s: its ticket is done, but it could not be resolved for its owner", swarm.number)
        else:
            await ctx.chat.post(room, replies.ticket_done(crew, ctx.platform, resolved=True))
            await announce_resolved(ctx, result)
            return True
    await ctx.chat.post(room, replies.ticket_done(crew, ctx.platform))
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
