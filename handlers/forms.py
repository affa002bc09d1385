"""Submitted forms: open a swarm from the form, resolve with the edited article, save one's skills."""

from __future__ import annotations

from bot.errors import UserError
from bot.knowledge import ArticleEdits
from handlers import replies
from handlers.chat import FormEvent, Origin
from handlers.closing import announce_resolved
from handlers.commands import hand_over, number, resolve_or_propose
from handlers.context import Context
from handlers.home import refresh_home
from handlers.opening import open_swarm


async def on_form(ctx: Context, event: FormEvent) -> None:
    values = event.values
    if event.action == replies.OPEN_FORM:
        origin = event.origin
        channel = event.value or origin.channel
        await open_swarm(ctx, Origin(origin.workspace, origin.platform, origin.user, channel), case_text(values))
    elif event.action == replies.RESOLVE_FORM:
        edits = ArticleEdits(
            issue=values.get("issue", ""),
            environment=values.get("environment", ""),
            resolution=values.get("resolution", ""),
            cause=values.get("cause", ""),
        )
        swarm_number = number(event.value, "resolve")
        cause = f" cause: {edits.cause.strip()}" if edits.cause.strip() else ""
        if await ctx.core.swarms.proposal(ctx.actor(event.origin), event.origin.channel, "", swarm_number):
            # A member's edited article is a proposal: its fix goes to the owner to confirm.
            await resolve_or_propose(ctx, event.origin, swarm_number, edits.resolution.strip() + cause)
            return
        result = await ctx.core.swarms.resolve(
            ctx.actor(event.origin), event.origin.channel, "", number=swarm_number, edits=edits
        )
        await announce_resolved(ctx, result, event.origin)
    elif event.action == replies.EDIT_ARTICLE_FORM:
        changes = {name: values.get(name, "") for name in ("title", "issue", "environment", "resolution", "cause")}
        done = await ctx.core.curation.edit(ctx.actor(event.origin), number(event.value, "kb edit") or 0, changes)
        await ctx.tell(event.origin, replies.curated(done, "saved"))
    elif event.action == replies.SKILLS_FORM:
        person = await ctx.core.people.set_skills(ctx.actor(event.origin), values.get("skills", "").split())
        await ctx.tell(event.origin, replies.skills_saved(person))
        await refresh_home(ctx, event.origin)
    elif event.action == replies.HAND_OVER_FORM:
        who = values.get("who", "").strip()
        if not who:
            raise UserError("owner_whom")
        await hand_over(ctx, event.origin, number(event.value, "owner"), who)
    else:
        raise UserError("unknown_action", action=event.action)


def case_text(values: dict[str, str]) -> str:
    """The form's fields as the one-line grammar of `/swarm`, so both ways of opening parse the same."""
    parts = [" ".join(values.get("case", "").split())]
    parts += [f"#{skill.lstrip('#')}" for skill in values.get("skills", "").replace(",", " ").split()]
    if values.get("severity"):
        parts.append(values["severity"])
    for key in ("customer", "product", "version"):
        value = values.get(key, "").strip().replace('"', "'")
        if value:
            parts.append(f'{key}:"{value}"' if " " in value else f"{key}:{value}")
    return " ".join(p for p in parts if p)
