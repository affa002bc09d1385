"""Swarm's home for one person: their open swarms, skills and availability, with buttons to change them."""

from __future__ import annotations

from handlers import replies
from handlers.chat import HomeEvent, Origin
from handlers.context import Context


async def on_home(ctx: Context, event: HomeEvent) -> None:
    await refresh_home(ctx, event.origin)


async def refresh_home(ctx: Context, origin: Origin) -> None:
    actor = ctx.actor(origin)
    person = await ctx.core.people.profile(actor)
    crews = await ctx.core.swarms.mine(actor)
    await ctx.chat.show_home(origin.user, replies.home(person, crews, ctx.core.clock(), ctx.platform))
