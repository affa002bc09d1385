"""Opening a swarm on the chat platform: room, invites, case card, announcement — resumable step by step.

The core has already saved the swarm when this runs. Each step records what the platform made before the next one
starts, so a crash or outage half way is finished by `resume` and never done twice.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from bot import text
from bot.models import Person
from bot.swarms import Opened
from handlers import replies, tickets
from handlers.chat import Origin
from handlers.context import Context

log = logging.getLogger(__name__)


async def open_swarm(ctx: Context, origin: Origin, case_text: str) -> Opened:
    opened = await ctx.core.swarms.open(ctx.actor(origin), case_text, origin.channel)
    if opened.ticket_unread:
        await ctx.tell_or_log(origin, replies.ticket_unread(opened.crew.swarm))
    try:
        done = await finish(ctx, opened)
    except Exception:
        log.exception("opening swarm %s stopped half way", opened.crew.swarm.number)
        await ctx.tell(origin, replies.opening_interrupted(opened.crew.swarm.number))
        raise
    if done.crew.swarm.ticket is not None:
        await tickets.send(ctx, origin.workspace)
    return done


async def finish(ctx: Context, opened: Opened, *, resumed: bool = False) -> Opened:
    """Does each step not done yet. `resumed`: an interrupted opening, whose card or announcement may have been posted
    by a process that died before it heard the answer; such a post is looked for (it is marked) before posting."""
    opened = await _link_people(ctx, opened)
    swarm = opened.crew.swarm
    swarm_id = swarm.id
    assert swarm_id is not None
    if swarm.room_id is None:
        room = await ctx.chat.create_room(
            text.room_name(swarm.number, swarm.case.text),
            replies.room_topic(swarm),
            ctx.conventions.private_rooms,
            made_since=swarm.created_at,
        )
        await ctx.core.swarms.set_room(swarm_id, room.id, room.name)
        swarm = replace(swarm, room_id=room.id, room_name=room.name)
        opened = replace(opened, crew=replace(opened.crew, swarm=swarm))
    assert swarm.room_id is not None
    if swarm.card_id is None:
        # Until the card is posted the topic may be missing (a crash just after the room was saved); past it, it is set.
        await ctx.chat.set_topic(swarm.room_id, replies.room_topic(swarm))
    people = [p.chat_id(ctx.platform) for p in opened.crew.in_room()]
    await ctx.chat.invite(swarm.room_id, [user for user in people if user])
    room_id, card_id = swarm.room_id, swarm.card_id
    since = swarm.created_at or ctx.core.clock()
    if card_id is None:
        # The card is the room's rolling summary from now on: pinned, and edited in place as the swarm changes.
        card = replies.case_card(opened, ctx.platform)
        card_id = await ctx.post_once(room_id, card, f"card:{swarm_id}", since if resumed else None)
        await ctx.core.automation.set_card(swarm_id, card_id)
        swarm = replace(swarm, card_id=card_id)
        opened = replace(opened, crew=replace(opened.crew, swarm=swarm))
    # Pinned every time, not only when the card is new: an opening interrupted between posting and pinning is
    # finished with its card pinned (pinning a pinned message is no error).
    await ctx.chat.pin(room_id, card_id)
    conventions = ctx.conventions
    announcement = replies.announcement(opened, ctx.platform, conventions.join_emoji, conventions.observe_emoji)
    # Kept before the swarm is open: an opening resumed after a crash keeps it then (once: the note has a key).
    await tickets.note(ctx, swarm, "opened", replies.ticket_opened(opened, ctx.platform, conventions.web_url))
    key = f"announcement:{swarm_id}"
    message_id = await ctx.post_once(swarm.origin_channel, announcement, key, since if resumed else None)
    await ctx.core.swarms.set_announcement(swarm_id, message_id)
    return replace(opened, crew=replace(opened.crew, swarm=replace(swarm, announcement_id=message_id)))


# An opening takes well under a second, or a few minutes when the platform throttles it; one younger than this may
# still be under way in another process (a worker, a replica), and finishing it here too would post it twice.
SETTLE = timedelta(minutes=3)


async def resume(ctx: Context, workspace: str, settle: timedelta = SETTLE) -> int:
    """Finishes every opening that was interrupted (saved at least `settle` ago); returns how many."""
    finished = 0
    for opened in await ctx.core.swarms.unfinished(workspace, settle):
        swarm_id = opened.crew.swarm.id
        assert swarm_id is not None
        try:
            async with ctx.core.swarms.finishing(swarm_id) as mine:
                if mine:  # else another resume is at it (bot/swarms.py Swarms.finishing)
                    await finish(ctx, opened, resumed=True)
                    finished += 1
        except Exception:
            log.exception("could not finish opening swarm %s", opened.crew.swarm.number)
    return finished


async def _link_people(ctx: Context, opened: Opened) -> Opened:
    """Roster people known only by e-mail get their platform id looked up, so they can be invited and mentioned."""
    linked: dict[int, Person] = {}
    for person in opened.crew.in_room():
        if person.id is not None and person.chat_id(ctx.platform) is None and person.email:
            user = await ctx.chat.find_user(person.email)
            if user:
                linked[person.id] = await ctx.core.people.link(person.id, ctx.platform, user)
    if not linked:
        return opened
    crew = opened.crew
    members = tuple((m, linked.get(m.person_id, p)) for m, p in crew.members)
    matches = tuple(replace(m, person=linked.get(m.person.id or 0, m.person)) for m in opened.ranking.matches)
    owner = linked.get(crew.owner.id or 0, crew.owner)
    return replace(
        opened, crew=replace(crew, members=members, owner=owner), ranking=replace(opened.ranking, matches=matches)
    )
