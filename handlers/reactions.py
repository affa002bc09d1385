"""Emoji reactions: join or follow from an announcement, leave by taking it back, mark the fix in a room."""

from __future__ import annotations

from bot.models import Role, Via
from handlers import replies
from handlers.automation import refresh_summary
from handlers.chat import ReactionEvent
from handlers.commands import invite_into_room, member_joined, say_in_room
from handlers.context import Context

HELPING = (Role.HELPER, Role.EXPERT, Role.LEARNER)


async def on_reaction(ctx: Context, event: ReactionEvent) -> None:
    conventions = ctx.conventions
    if event.emoji == conventions.solution_emoji:
        await _mark_solution(ctx, event)
    elif event.emoji in (conventions.join_emoji, conventions.observe_emoji):
        role = Role.OBSERVER if event.emoji == conventions.observe_emoji else Role.HELPER
        if event.added:
            await _join(ctx, event, role)
        else:
            await _leave(ctx, event, (Role.OBSERVER,) if role is Role.OBSERVER else HELPING)


async def _join(ctx: Context, event: ReactionEvent, role: Role) -> None:
    change = await ctx.core.swarms.join_by_message(ctx.actor(event.origin), event.message_id, role, Via.REACTION)
    if change is None:
        return
    if not change.changed:
        # Already a member: if the invite failed last time (Slack down), reacting again is how they get in. Inviting
        # someone who is in the room already is no error.
        await invite_into_room(ctx, change.crew, [change.person.chat_id(ctx.platform)])
        return
    await member_joined(ctx, change)


async def _leave(ctx: Context, event: ReactionEvent, roles: tuple[Role, ...]) -> None:
    change = await ctx.core.swarms.leave_by_message(ctx.actor(event.origin), event.message_id, roles)
    if change is not None:
        await say_in_room(ctx, change.crew, replies.left(change, ctx.platform))


async def _mark_solution(ctx: Context, event: ReactionEvent) -> None:
    marked = await ctx.core.swarms.mark_solution(
        ctx.actor(event.origin), event.origin.channel, event.message_id, event.added
    )
    if marked is not None:
        await ctx.tell(event.origin, replies.solution_marked(marked))
        await refresh_summary(ctx, marked.crew)
