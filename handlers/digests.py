"""The scheduler's digests and recurring-issue alerts, posted in the workspace's digest channel.

Each post is claimed under a key before it is sent (the local date, the ISO week, the cluster's oldest member), so
a rerun or a second scheduler never posts it twice; a post that fails gives its key back, for the next run to retry.
Nothing is posted where no digest channel is set, where the workspace turned digests off, or when there is nothing
to say.
"""

from __future__ import annotations

from bot.models import Workspace
from handlers import replies
from handlers.chat import Reply
from handlers.context import Context


def digest_channel(ctx: Context, workspace: Workspace) -> str:
    """Where the workspace's digests go: its own channel (`/swarm digest here`), else the configured one."""
    return workspace.digest_channel or ctx.conventions.digest_channel


async def daily_digest(ctx: Context, workspace: str) -> bool:
    """Job "digest-daily": open swarms, yesterday's resolved ones and who helped. True if it was posted."""
    daily = await ctx.core.digests.daily(workspace, ctx.conventions.digest_timezone)
    if daily is None:
        return False
    key = f"digest-daily:{daily.today.isoformat()}"
    return await _post_once(ctx, workspace, daily.workspace, key, replies.daily_digest(daily, ctx.platform))


async def weekly_digest(ctx: Context, workspace: str) -> bool:
    """Job "digest-weekly" (Mondays): last week's numbers and thanks. True if it was posted."""
    weekly = await ctx.core.digests.weekly(workspace, ctx.conventions.digest_timezone)
    if weekly is None:
        return False
    key = f"digest-weekly:{weekly.week}"
    return await _post_once(ctx, workspace, weekly.workspace, key, replies.weekly_digest(weekly, ctx.platform))


async def recurring_alerts(ctx: Context, workspace: str) -> int:
    """Job "recurring" (hourly): one alert per new cluster of alike cases. Returns how many were posted."""
    posted = 0
    for alert in await ctx.core.digests.recurring(workspace):
        posted += await _post_once(ctx, workspace, alert.workspace, alert.key, replies.recurring_alert(alert))
    return posted


async def _post_once(ctx: Context, workspace: str, settings: Workspace, key: str, reply: Reply) -> bool:
    channel = digest_channel(ctx, settings)
    if not channel or settings.digest_off:
        return False
    if not await ctx.core.once(workspace, key):
        return False
    try:
        await ctx.chat.post(channel, reply)
    except Exception:
        # Not sent: give the key back, so the next run tries again.
        await ctx.core.forget(workspace, key)
        raise
    return True
