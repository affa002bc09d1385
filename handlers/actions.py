"""Buttons on the bot's posts: Join does what the join reaction does; Resolve says how to resolve."""

from __future__ import annotations

from bot.errors import UserError
from bot.models import MAX_CASE_CHARS, Role, Via
from handlers import analytics, replies
from handlers.chat import ActionEvent, CommandEvent, Origin
from handlers.commands import (
    answer_invitation,
    curate,
    edit_article,
    member_joined,
    number,
    offer_resolve_form,
    on_command,
    resolve_or_propose,
    reuse_article,
    whole,
)
from handlers.context import Context
from handlers.home import refresh_home
from handlers.opening import open_swarm
from handlers.subcommands import BY_NAME, split


async def on_action(ctx: Context, event: ActionEvent) -> None:
    if event.action == replies.JOIN:
        swarm_number = number(event.value, event.action)
        change = await ctx.core.swarms.join(
            ctx.actor(event.origin), swarm_number, event.origin.channel, Role.HELPER, Via.BUTTON
        )
        if not change.changed:
            await ctx.tell(event.origin, replies.already_member(change))
            return
        await member_joined(ctx, change)
    elif event.action == replies.RESOLVE:
        swarm_number = number(event.value, event.action)
        await offer_resolve_form(ctx, event.origin, event.trigger, swarm_number)
    elif event.action in (replies.ACCEPT, replies.DECLINE):
        swarm_number = number(event.value, event.action)
        await answer_invitation(ctx, event.origin, swarm_number, event.action == replies.ACCEPT)
    elif event.action == replies.CONFIRM_RESOLVE:
        swarm_text, _, resolution = event.value.partition(":")
        swarm_number = whole(swarm_text)
        if swarm_number is None:
            raise UserError("unknown_action", action=event.action)
        await resolve_or_propose(ctx, event.origin, swarm_number, resolution)
    elif event.action == replies.UNREDACT:
        await curate(ctx, event.origin, "unredact", number(event.value, event.action))
    elif event.action == replies.SOLVED_BY:
        swarm_text, _, article_text = event.value.partition(":")
        swarm_number, article_number = whole(swarm_text), whole(article_text)
        if swarm_number is None or article_number is None:
            raise UserError("unknown_action", action=event.action)
        await reuse_article(ctx, event.origin, swarm_number, article_number, solved=True)
    elif event.action in (replies.MATCH_GOOD, replies.MATCH_BAD):
        swarm_text, _, person_text = event.value.partition(":")
        swarm_number, person_id = whole(swarm_text), whole(person_text)
        if swarm_number is None or person_id is None:
            raise UserError("unknown_action", action=event.action)
        good = event.action == replies.MATCH_GOOD
        crew = await ctx.core.swarms.feedback(ctx.actor(event.origin), swarm_number, person_id, good)
        rated = next(p for _, p in crew.members if p.id == person_id)
        await ctx.tell(event.origin, replies.feedback_noted(rated, good))
    elif event.action == replies.AWAY:
        person = await ctx.core.people.away(ctx.actor(event.origin), event.value)
        await ctx.tell(event.origin, replies.away(person, ctx.core.clock()))
        await refresh_home(ctx, event.origin)
    elif event.action == replies.BACK:
        person = await ctx.core.people.back(ctx.actor(event.origin))
        await ctx.tell(event.origin, replies.back(person))
        await refresh_home(ctx, event.origin)
    elif event.action == replies.EDIT_SKILLS:
        person = await ctx.core.people.profile(ctx.actor(event.origin))
        if not await ctx.chat.open_form(event.origin, event.trigger, replies.skills_form(person)):
            await ctx.tell(event.origin, replies.profile(person, ctx.core.clock(), own=True))
    elif event.action == replies.SNOOZE:
        crew = await ctx.core.automation.snooze(ctx.actor(event.origin), number(event.value, event.action), "")
        await ctx.tell(event.origin, replies.snoozed(crew))
    elif event.action == replies.HAND_OVER:
        swarm_number = number(event.value, event.action)
        if swarm_number is None:
            raise UserError("unknown_action", action=event.action)
        if not await ctx.chat.open_form(event.origin, event.trigger, replies.hand_over_form(swarm_number)):
            await ctx.tell(event.origin, replies.how_to_hand_over(swarm_number))
    elif event.action == replies.CSAT:
        await analytics.rate(ctx, event)
    elif event.action == replies.EDIT_ARTICLE:
        article_number = number(event.value, event.action)
        if article_number is None:
            raise UserError("unknown_action", action=event.action)
        command = CommandEvent(event.origin, f"kb edit {article_number}", trigger=event.trigger)
        await edit_article(ctx, command, article_number, "")
    elif event.action == replies.RUN:
        # What a "did you mean" offered: a subcommand, run as if typed (a button never opens a swarm this way).
        if split(event.value)[0].lower() not in BY_NAME:
            raise UserError("unknown_action", action=event.action)
        await on_command(ctx, CommandEvent(event.origin, event.value, trigger=event.trigger))
    elif event.action == replies.OPEN_CASE:
        channel, _, typed = event.value.partition("\n")
        if len(typed) > MAX_CASE_CHARS:
            raise UserError("case_too_long", limit=MAX_CASE_CHARS, length=len(typed))
        origin = event.origin
        await open_swarm(ctx, Origin(origin.workspace, origin.platform, origin.user, channel or origin.channel), typed)
    else:
        raise UserError("unknown_action", action=event.action)
