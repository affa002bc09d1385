"""Messages in a swarm's room become its timeline; the bot stays quiet. Edits and deletions are followed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.swarms import RoomMessage
from handlers.automation import refresh_summary
from handlers.chat import MessageDeleted, MessageEdited, MessageEvent
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
    """The timeline, the ✅-marked fix and the draft article say what the message says now; the live summary is
    built from the timeline when it is next posted."""
    origin = event.origin
    await ctx.core.swarms.edit_message(origin.workspace, origin.channel, event.message_id, event.text)


async def on_delete(ctx: Context, event: MessageDeleted) -> None:
    """A deleted message's words leave every place Swarm copied them to."""
    origin = event.origin
    await ctx.core.swarms.delete_message(origin.workspace, origin.channel, event.message_id)
