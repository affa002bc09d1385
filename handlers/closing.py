"""Closing a swarm on the chat platform: the summary in the room and under the announcement, the announcement
marked, the room archived, the owner asked how it went — resumable step by step, like opening.

The core has already saved the swarm as resolved or cancelled (and `closing`) when this runs. Each summary's message
id is recorded once it is posted, so a crash or outage half way is finished by `resume` and nothing is posted twice;
the summaries are marked posts (keyed by the swarm and its count of closings), so a resumed closing also finds one
that landed while the answer was lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.swarms import Closing, Crew, Resolved, Reused
from handlers import analytics, replies, tickets
from handlers.automation import refresh_summary
from handlers.chat import Origin, Reply
from handlers.context import Context
from handlers.opening import SETTLE

log = logging.getLogger(__name__)


async def announce_resolved(
    ctx: Context, result: Resolved, origin: Origin | None = None, resumed_since: datetime | None = None
) -> None:
    summary = replies.resolved(result, ctx.platform)
    note = replies.ticket_resolved(result, ctx.conventions.web_url)
    await close(ctx, result.crew, summary, ask=True, origin=origin, resumed_since=resumed_since, note=note)


async def close(
    ctx: Context,
    crew: Crew,
    summary: Reply,
    *,
    ask: bool,
    origin: Origin | None = None,
    resumed_since: datetime | None = None,
    note: str | None = None,
) -> None:
    """Posts what is not posted yet; `ask` asks the owner how the swarm was handled (once, whatever happens).

    With the `origin` of the person who closed it, a failure half way is told to them as such (the swarm is closed,
    `resume` finishes the posts); without, it is raised. `resumed_since`: an interrupted closing, closed then; its
    summaries may have landed unheard, and are looked for (they are marked) before posting. `note`: the internal note
    for the swarm's ticket, kept first (once per closing) and sent once the posts are made."""
    swarm = crew.swarm
    if note is not None and swarm.ticket is not None:
        await tickets.note(ctx, swarm, f"{swarm.status.value}-{swarm.closings}", note)
    try:
        await _post(ctx, crew, summary, ask, resumed_since)
    except Exception:
        if origin is None:
            raise
        log.exception("closing swarm %s stopped half way", crew.swarm.number)
        await ctx.tell(origin, replies.closing_interrupted(crew.swarm))
    if note is not None and swarm.ticket is not None:
        await tickets.send(ctx, workspace_id=swarm.workspace_id)


async def _post(ctx: Context, crew: Crew, summary: Reply, ask: bool, resumed_since: datetime | None) -> None:
    swarm = crew.swarm
    swarm_id = swarm.id
    assert swarm_id is not None
    closing = f"{swarm_id}:{swarm.closings}"  # this closing's summaries, not an earlier one's (before a reopen)
    if swarm.summary_id is None:
        room = swarm.room_id or swarm.origin_channel
        message_id = await ctx.post_once(room, summary, f"summary:{closing}", resumed_since)
        await ctx.core.swarms.set_summary(swarm_id, message_id)
    await refresh_summary(ctx, crew)
    if swarm.announcement_id and swarm.thread_summary_id is None:
        key, thread = f"thread-summary:{closing}", swarm.announcement_id
        message_id = await ctx.post_once(swarm.origin_channel, summary, key, resumed_since, thread)
        await ctx.core.swarms.set_summary(swarm_id, message_id, in_thread=True)
    # Editing the announcement and archiving the room say the same thing when done twice.
    await update_announcement(ctx, crew)
    if ctx.conventions.archive_on_resolve and swarm.room_id:
        await ctx.chat.archive(swarm.room_id)
    if ask:
        await analytics.ask_csat(ctx, crew)
    await ctx.core.swarms.set_closed(swarm_id)


async def restate_resolved(ctx: Context, result: Resolved) -> None:
    """Edits the resolve's summaries already posted, in the room and under the announcement, and the announcement, to
    say what the swarm's records say now (a message they quoted was edited or deleted since)."""
    swarm = result.crew.swarm
    summary = replies.resolved(result, ctx.platform)
    room = swarm.room_id or swarm.origin_channel
    for channel, message_id in [(room, swarm.summary_id), (swarm.origin_channel, swarm.thread_summary_id)]:
        if message_id is None:
            continue
        try:
            await ctx.chat.update(channel, message_id, summary)
        except Exception:
            log.exception("could not update a summary of swarm %s", swarm.number)
    try:
        await update_announcement(ctx, result.crew)
    except Exception:
        log.exception("could not update the announcement of swarm %s", swarm.number)


async def update_announcement(ctx: Context, crew: Crew) -> None:
    if crew.swarm.announcement_id:
        reply = replies.announcement_status(crew, ctx.platform)
        await ctx.chat.update(crew.swarm.origin_channel, crew.swarm.announcement_id, reply)


async def finish(ctx: Context, closing: Closing) -> None:
    outcome, since = closing.outcome, closing.at
    if isinstance(outcome, Resolved):
        await announce_resolved(ctx, outcome, resumed_since=since)
    elif isinstance(outcome, Reused):
        summary = replies.reused(outcome, closing.by, ctx.platform)
        note = replies.ticket_reused(outcome, closing.by, ctx.conventions.web_url)
        await close(ctx, outcome.crew, summary, ask=True, resumed_since=since, note=note)
    else:
        summary = replies.cancelled(outcome.crew, outcome.by, ctx.platform)
        note = replies.ticket_cancelled(outcome.crew, outcome.by)
        await close(ctx, outcome.crew, summary, ask=False, resumed_since=since, note=note)


async def resume(ctx: Context, workspace: str, settle: timedelta = SETTLE) -> int:
    """Finishes the closing posts of every swarm closed at least `settle` ago whose posts were interrupted; returns
    how many."""
    finished = 0
    for closing in await ctx.core.swarms.unclosed(workspace, settle):
        swarm_id = closing.outcome.crew.swarm.id
        assert swarm_id is not None
        try:
            async with ctx.core.swarms.finishing(swarm_id) as mine:
                if mine:  # else another resume is at it (bot/swarms.py Swarms.finishing)
                    await finish(ctx, closing)
                    finished += 1
        except Exception:
            log.exception("could not finish closing swarm %s", closing.outcome.crew.swarm.number)
    return finished
