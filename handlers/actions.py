"""Buttons on the bot's posts: Join does what the join reaction does; Resolve says how to resolve."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import Role, Via
from handlers import replies
from handlers.chat import ActionEvent
from handlers.commands import invite_into_room, number, say_in_room
from handlers.context import Context


async def on_action(ctx: Context, event: ActionEvent) -> None:
    swarm_number = number(event.value, event.action)
    if event.action == replies.JOIN:
        change = await ctx.core.swarms.join(
            ctx.actor(event.origin), swarm_number, event.origin.channel, Role.HELPER, Via.BUTTON
        )
        if not change.changed:
            await ctx.tell(event.origin, replies.already_member(change))
            return
        await invite_into_room(ctx, change.crew, [change.person.chat_id(ctx.platform)])
        await say_in_room(ctx, change.crew, replies.joined(change, ctx.platform))
    elif event.action == replies.RESOLVE:
        await ctx.tell(event.origin, replies.how_to_resolve())
    else:
        raise UserError("unknown_action", action=event.action)
