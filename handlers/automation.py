"""What the bot does on its own in a swarm: keeps the room's card up to date, welcomes newcomers, asks the owner of a
quiet room what to do, and reminds an owner whose fix is not written down yet.

None of it may fail the person's own action: a summary that could not be edited is logged and caught up with at the
next change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.automation import Summary, Welcome
from bot.models import Person
from bot.swarms import Crew
from handlers import replies
from handlers.chat import Reply
from handlers.context import Context

log = logging.getLogger(__name__)


async def refresh_summary(ctx: Context, crew: Crew) -> None:
    """Edits the room's card (the rolling summary) to show the swarm as it is now."""
    swarm = crew.swarm
    if swarm.card_id is None or swarm.room_id is None or swarm.id is None:
        return
    try:
        summary = await ctx.core.automation.summary(swarm.id)
    except Exception:
        log.exception("could not update the summary of swarm %s", swarm.number)
        return
    await show_summary(ctx, summary)


async def show_summary(ctx: Context, summary: Summary) -> None:
    """Edits the room's card to show this summary."""
    swarm = summary.crew.swarm
    if swarm.card_id is None or swarm.room_id is None:
        return
    try:
        await ctx.chat.update(
            swarm.room_id, swarm.card_id, replies.summary_card(summary, ctx.platform, ctx.core.clock())
        )
    except Exception:
        log.exception("could not update the summary of swarm %s", swarm.number)
    await show_announcement(ctx, summary.crew)


async def show_announcement(ctx: Context, crew: Crew) -> None:
    """Edits an active swarm's announcement to show the same people as its card (a closed one says how it ended:
    closing.update_announcement)."""
    swarm = crew.swarm
    if swarm.announcement_id is None or not swarm.status.is_active:
        return
    join, observe = ctx.conventions.join_emoji, ctx.conventions.observe_emoji
    try:
        await ctx.chat.update(
            swarm.origin_channel, swarm.announcement_id, replies.announcement_now(crew, ctx.platform, join, observe)
        )
    except Exception:
        log.exception("could not update the announcement of swarm %s", swarm.number)


def greeted(ctx: Context, people: Iterable[Person]) -> list[int]:
    """The ids of those who can be told something privately here."""
    return [p.id for p in people if p.id is not None and p.chat_id(ctx.platform)]


async def welcome(ctx: Context, crew: Crew, *people: Person) -> None:
    """The how-to for someone's first swarm ever, and a catch-up for whoever joins after the room got going."""
    swarm = crew.swarm
    ids = greeted(ctx, people)
    if swarm.id is None or not ids:
        return
    try:
        found = await ctx.core.automation.welcomes(swarm.id, ids)
    except Exception:
        log.exception("could not welcome %d people to swarm %s", len(ids), swarm.number)
        return
    await send_welcomes(ctx, crew, found)


async def send_welcomes(ctx: Context, crew: Crew, found: Iterable[Welcome]) -> None:
    swarm = crew.swarm
    channel = swarm.room_id or swarm.origin_channel
    for each in found:
        user = each.person.chat_id(ctx.platform) or ""
        try:
            await ctx.chat.post_private(channel, user, replies.welcome(each, ctx.platform, ctx.core.clock()))
        except Exception:
            log.exception("could not welcome %s to swarm %s", user, swarm.number)


async def nudge_quiet_rooms(ctx: Context, workspace: str) -> int:
    """Asks the owner of each quiet room: still working? resolve, hand over, or snooze."""
    found = await ctx.core.automation.quiet(workspace)
    return await _tell_owners(ctx, workspace, [(q.crew, q.key, replies.quiet_room(q)) for q in found])


async def remind_articles(ctx: Context, workspace: str) -> int:
    """Reminds, once, the owner of a resolved swarm whose article still lacks the fix or its cause."""
    found = await ctx.core.automation.reminders(workspace)
    return await _tell_owners(ctx, workspace, [(r.crew, r.key, replies.article_reminder(r)) for r in found])


async def _tell_owners(ctx: Context, workspace: str, messages: list[tuple[Crew, str, Reply]]) -> int:
    """Sends each owner their message in their own chat; one that fails is released, so the next round retries."""
    sent = 0
    for crew, key, reply in messages:
        try:
            owner = crew.owner.chat_id(ctx.platform)
            if owner is None:
                raise LookupError(f"the owner of swarm {crew.swarm.number} has no {ctx.platform} id")
            await ctx.chat.direct(owner, reply)
            sent += 1
        except Exception:
            await ctx.core.forget(workspace, key)
            log.exception("could not reach the owner of swarm %s", crew.swarm.number)
    return sent
