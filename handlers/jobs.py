"""Work nobody asked for at that moment: the scheduler's ticks, for one workspace and its chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers import closing, opening, replies, tickets
from handlers.automation import nudge_quiet_rooms, remind_articles
from handlers.commands import invite_into_room, say_in_room
from handlers.context import Context
from handlers.digests import daily_digest, recurring_alerts, weekly_digest

log = logging.getLogger(__name__)


async def lapse_invitations(ctx: Context, workspace: str) -> int:
    """Invitations unanswered past the timeout count as "can't now"; whoever is asked instead is told in the room."""
    answers = await ctx.core.swarms.lapse(workspace)
    for answer in answers:
        try:
            if answer.replacement is not None:
                await invite_into_room(ctx, answer.crew, [answer.replacement.person.chat_id(ctx.platform)])
            await say_in_room(ctx, answer.crew, replies.answered(answer, ctx.platform))
        except Exception:
            # The lapse is saved; a failed post must not stop the others.
            log.exception("could not announce a lapsed invitation in swarm %s", answer.crew.swarm.number)
    return len(answers)


async def tick(ctx: Context, workspace: str) -> None:
    """One scheduler round for a workspace: finish interrupted openings and closings, lapse unanswered
    invitations, ask owners of quiet rooms what to do, remind owners whose fix is not written down."""
    await opening.resume(ctx, workspace)
    await closing.resume(ctx, workspace)
    await lapse_invitations(ctx, workspace)
    await nudge_quiet_rooms(ctx, workspace)
    await remind_articles(ctx, workspace)


Job = Callable[[Context, str], Awaitable[object]]

# Every job the scheduler runs, by name; each runs once per workspace of each chat platform. Their schedules are the
# scheduler's business (adapters/scheduler.py); `swarm jobs run NAME` runs one now.
JOBS: dict[str, Job] = {
    "tick": tick,
    "digest-daily": daily_digest,
    "digest-weekly": weekly_digest,
    "recurring": recurring_alerts,
    "tickets": tickets.send_notes,
}
