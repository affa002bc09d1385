"""Back to the ticket: the internal notes a swarm leaves on the ticket it belongs to, through the core's outbox.

A note is kept first (once per swarm and event, under its key), then the outbox is asked to send what is due. Neither
step may stop a swarm: a failure is logged, and the scheduler's `tickets` job sends what is left (bot/tickets.py).
"""

from __future__ import annotations

import logging

from bot.models import Swarm
from handlers.context import Context

log = logging.getLogger(__name__)


async def note(ctx: Context, swarm: Swarm, kind: str, body: str) -> None:
    """Keeps a note for the swarm's ticket (nothing if it has none); `kind` makes its key (`opened`, `resolved-1`)."""
    if swarm.ticket is None:
        return
    try:
        await ctx.core.tickets.note(swarm, kind, body)
    except Exception:
        log.exception("could not keep the %s note of swarm %s for its ticket", kind, swarm.number)


async def send(ctx: Context, workspace: str | None = None, workspace_id: int | None = None) -> None:
    """Sends the workspace's notes that are due now; what fails waits for the scheduler's next round."""
    try:
        await ctx.core.tickets.send_due(workspace, workspace_id=workspace_id)
    except Exception:
        log.exception("could not send the ticket notes of workspace %s", workspace)


async def send_notes(ctx: Context, workspace: str) -> int:
    """The scheduler's `tickets` job: every note due in the workspace (a ticket system back from an outage, a 429's
    wait over), then the satisfaction ratings due to be read from the tickets; returns how many notes were sent."""
    sent = (await ctx.core.tickets.send_due(workspace, limit=100)).sent
    try:
        await ctx.core.tickets.read_ratings(workspace)
    except Exception:
        log.exception("could not read the ticket ratings of workspace %s", workspace)
    return sent
