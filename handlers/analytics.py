"""`/swarm stats [7d|30d|90d]`, and the one CSAT question a requester is asked after a resolve.

Where CSAT is asked: in the requester's own chat with Swarm (a Slack DM, the Teams personal chat), right after the
resolve. Only the person asked sees it, so the room and the channel the swarm was announced in (where the summary is
posted twice) get no buttons that are not theirs to press; it reaches the owner even when a member resolved and they
are elsewhere, and it stays there to answer later, where a Slack ephemeral would be gone after a reload. It is asked
once per swarm, whether it was resolved with a fix or by a known article, and never again after a reopen.
"""

from __future__ import annotations

import logging

from bot.analytics import DEFAULT_PERIOD
from bot.errors import UserError
from bot.swarms import Crew
from handlers import replies
from handlers.chat import ActionEvent, CommandEvent
from handlers.context import Context

log = logging.getLogger(__name__)


async def stats(ctx: Context, event: CommandEvent, args: str) -> None:
    period = args.strip() or DEFAULT_PERIOD
    report = await ctx.core.analytics.last(event.origin.workspace, period, ctx.conventions.digest_timezone)
    await ctx.tell(event.origin, replies.stats_card(report, period))


async def ask_csat(ctx: Context, crew: Crew) -> None:
    """Asks the swarm's owner, once, how well it was handled. Never fails the resolve it follows."""
    swarm = crew.swarm
    user = crew.owner.chat_id(ctx.platform)
    if swarm.id is None or user is None:
        return
    try:
        if not await ctx.core.analytics.ask(swarm.id):
            return
    except Exception:
        log.exception("could not check whether to ask about swarm %s", swarm.number)
        return
    try:
        await ctx.chat.direct(user, replies.csat_question(crew))
    except Exception:
        # Released, so the next resolve of this swarm (after a reopen) may ask again.
        await ctx.core.analytics.unask(swarm.id)
        log.exception("could not ask the owner of swarm %s how it was handled", swarm.number)


async def rate(ctx: Context, event: ActionEvent) -> None:
    """One of the five CSAT buttons: value `<swarm number>:<score>`."""
    number, _, score = event.value.partition(":")
    if not (number.isdecimal() and score.isdecimal()):
        raise UserError("unknown_action", action=event.action)
    rated = await ctx.core.analytics.rate(ctx.actor(event.origin), int(number), int(score))
    await ctx.tell(event.origin, replies.csat_noted(rated))
