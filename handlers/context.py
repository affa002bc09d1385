"""What every handler receives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Actor
from bot.core import Core
from handlers.chat import ChatPort, Origin, Reply


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
        return Actor(origin.workspace, self.chat.platform, origin.user, origin.user_name, origin.user_email)

    async def tell(self, origin: Origin, reply: Reply) -> None:
        """Answers only the person who acted."""
        await self.chat.post_private(origin.channel, origin.user, reply)
