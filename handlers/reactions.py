"""Emoji reactions: join or follow from an announcement, leave by taking it back, mark the fix in a room."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence

from bot.automation import Arrivals
from bot.models import Role, Via
from bot.swarms import Change, Joining
from handlers import replies
from handlers.automation import greeted, refresh_summary, send_welcomes, show_summary, welcome
from handlers.chat import ReactionEvent
from handlers.commands import invite_into_room, member_joined, post_in_room, say_in_room
from handlers.context import Context, Conventions
from handlers.together import side_by_side

log = logging.getLogger(__name__)

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


def joins(conventions: Conventions, event: ReactionEvent) -> bool:
    """A 🙋 or 👀 put on (on an announcement, or it is nothing): joins that come together can be done together."""
    return event.added and event.emoji in (conventions.join_emoji, conventions.observe_emoji)


async def on_joins(
    ctx: Context, events: Sequence[ReactionEvent], coming: Callable[[], Collection[str]] = frozenset
) -> None:
    """A run of 🙋 / 👀 in one channel, in one transaction; per swarm one invite, one "A and B joined" post, one
    refresh of the card, the welcomes. Their deliveries are claimed with the joins.

    `coming()` names the announcements that joins received already, and done next, are about: those swarms' cards
    are left to that run, so that a burst of joins edits each card once per run rather than once for every run."""
    observe = ctx.conventions.observe_emoji
    asked = []
    for e in events:
        role = Role.OBSERVER if e.emoji == observe else Role.HELPER
        asked.append(Joining(ctx.actor(e.origin), e.message_id, role, Via.REACTION, e.event_id))
    result = await ctx.core.swarms.join_many(asked)
    origins = {e.origin.user: e.origin for e in events}
    for joining, error in result.refused:
        await ctx.tell_or_log(origins[joining.actor.user_id], replies.error(error))
    by_swarm: dict[int | None, list[Change]] = {}
    for change in result.changes:
        by_swarm.setdefault(change.crew.swarm.id, []).append(change)
    said: list[list[Change]] = []

    async def into_room(changes: list[Change]) -> None:
        crew = changes[-1].crew
        users = [c.person.chat_id(ctx.platform) for c in changes]
        try:
            await invite_into_room(ctx, crew, users)
            if joined := [c for c in changes if c.changed]:
                await post_in_room(ctx, crew, replies.joined_together(joined, ctx.platform))
            # Those who were members already are in the room now too: if an invite failed last time, this is their
            # welcome (claimed once, never twice), and the card edit a run before may have left to this one.
            said.append(changes)
        except Exception:
            # The joins are saved and their deliveries claimed: as for one join, each person hears that it went
            # wrong, and reacting again invites them.
            log.exception("could not finish %d joins to swarm %s", len(changes), crew.swarm.number)
            for user in users:
                if user in origins:
                    await ctx.tell_or_log(origins[user], replies.apology(None))

    await side_by_side(by_swarm.values(), into_room)
    # Only for those in their room now: a welcome is claimed when it is read, so it must not be read for nothing.
    arrived = await _arrivals(ctx, said)
    later = coming() if arrived else frozenset()

    async def greet(changes: list[Change]) -> None:
        crew = changes[-1].crew
        if (found := arrived.get(crew.swarm.id)) is not None:
            if crew.swarm.announcement_id not in later:
                await show_summary(ctx, found.summary)
            await send_welcomes(ctx, crew, found.welcomes)

    await side_by_side(said, greet)


async def _arrivals(ctx: Context, joins: list[list[Change]]) -> dict[int | None, Arrivals]:
    """Per swarm someone joined: its card's summary and the welcomes, read together for the whole run. A failure
    here costs only those posts, never the joins."""
    asked = [(changes[-1].crew, greeted(ctx, (c.person for c in changes))) for changes in joins]
    try:
        found = await ctx.core.automation.arrivals(asked)
    except Exception:
        log.exception("could not read the summaries and welcomes of %d swarms", len(asked))
        return {}
    return {crew.swarm.id: arrivals for (crew, _), arrivals in zip(asked, found, strict=True)}


async def _join(ctx: Context, event: ReactionEvent, role: Role) -> None:
    change = await ctx.core.swarms.join_by_message(ctx.actor(event.origin), event.message_id, role, Via.REACTION)
    if change is None:
        return
    if not change.changed:
        # Already a member: if the invite failed last time (Slack down), reacting again is how they get in, with the
        # welcome they missed then. Inviting someone who is in the room already is no error, and a welcome is
        # claimed once: nobody gets it twice.
        await invite_into_room(ctx, change.crew, [change.person.chat_id(ctx.platform)])
        await welcome(ctx, change.crew, change.person)
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
