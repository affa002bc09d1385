"""Messages in a swarm's room become its timeline; the bot stays quiet."""

from __future__ import annotations

from handlers.chat import MessageEvent
from handlers.context import Context


async def on_message(ctx: Context, event: MessageEvent) -> None:
    if event.text.strip():
        await ctx.core.swarms.record_message(
            ctx.actor(event.origin), event.origin.channel, event.message_id, event.text
        )
