"""What every handler receives."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.context import Actor
from bot.core import Core
from handlers.chat import ChatPort, Origin, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conventions:
    """How the workspace uses chat: which emoji mean what, and what happens to rooms."""

    join_emoji: str = "raising_hand"
    observe_emoji: str = "eyes"
    solution_emoji: str = "white_check_mark"
    private_rooms: bool = False
    archive_on_resolve: bool = False
    digest_channel: str = ""  # where digests and alerts go unless a workspace chose its own (`/swarm digest here`)
    digest_timezone: str = "UTC"  # the digests' "yesterday" and "this week" are days in this time zone
    web_url: str = ""  # where Swarm's pages are (SWARM_WEB_URL): notes on tickets link a swarm's page; "": no links


@dataclass(frozen=True)
class Context:
    """What every handler gets: the core, the chat it answers through, and the conventions."""

    core: Core
    chat: ChatPort
    conventions: Conventions

    @property
    def platform(self) -> str:
        return self.chat.platform

    def actor(self, origin: Origin) -> Actor:
        return Actor(
            origin.workspace, self.chat.platform, origin.user, origin.user_name, origin.user_email, origin.user_admin
        )

    async def tell(self, origin: Origin, reply: Reply) -> None:
        """Answers only the person who acted."""
        await self.chat.post_private(origin.channel, origin.user, reply)

    async def tell_or_log(self, origin: Origin, reply: Reply) -> None:
        """`tell`, for an answer that is the last word on what went wrong: if even it fails, it is logged."""
        try:
            await self.tell(origin, reply)
        except Exception:
            log.exception("could not answer %s in %s", origin.user, origin.channel)

    async def post_once(
        self, channel: str, reply: Reply, key: str, resumed_since: datetime | None, thread: str | None = None
    ) -> str:
        """Posts `reply` marked with `key` and returns its id. A resumed step (`resumed_since`: when it was first
        tried) looks for that post first, as a process that died may have made it without hearing the answer; a
        fresh one does not pay for that read."""
        found = await self.chat.find_post(channel, key, resumed_since, thread) if resumed_since is not None else None
        return found or await self.chat.post_marked(channel, reply, key, thread)
