"""Messages in a swarm's room become its timeline; the bot stays quiet. Edits and deletions are followed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.swarms import Retracted, RoomMessage
from handlers.automation import refresh_summary
from handlers.chat import MessageDeleted, MessageEdited, MessageEvent
from handlers.closing import restate_resolved
from handlers.context import Context


async def on_message(ctx: Context, event: MessageEvent) -> None:
    await on_messages(ctx, [event])


async def on_messages(ctx: Context, events: Sequence[MessageEvent]) -> None:
    """A run of messages in one room, kept in one transaction; a message is kept once, however often it comes."""
    if not events:
        return
    said = [RoomMessage(ctx.actor(event.origin), event.message_id, event.text) for event in events]
    recorded = await ctx.core.swarms.record_messages(events[0].origin.channel, said)
    if recorded.crew is not None:
        # Someone came into the swarm by speaking: the card and the announcement list them at once.
        await refresh_summary(ctx, recorded.crew)


async def on_edit(ctx: Context, event: MessageEdited) -> None:
    """The timeline, the ✅-marked fix, the room's card, the draft article and, once resolved, its summaries say what
    the message says now."""
    origin = event.origin
    await _show(ctx, await ctx.core.swarms.edit_message(origin.workspace, origin.channel, event.message_id, event.text))


async def on_delete(ctx: Context, event: MessageDeleted) -> None:
    """A deleted message's words leave every place Swarm copied them to, the room's card and the resolve's summaries
    included."""
    origin = event.origin
    await _show(ctx, await ctx.core.swarms.delete_message(origin.workspace, origin.channel, event.message_id))


async def _show(ctx: Context, retracted: Retracted | None) -> None:
    if retracted is None:
        return
    await refresh_summary(ctx, retracted.crew)
    if retracted.resolved is not None:
        await restate_resolved(ctx, retracted.resolved)
