"""What the Teams adapter remembers that the core has no word for, kept in platform refs (JSON by workspace, kind
and key) with a small in-memory cache in front.

kinds:
- conversation: conversation id → the ConversationReference as JSON (serviceUrl included), for proactive posts.
- tenant: "last" → the serviceUrl and a conversation of the tenant, so a scheduler can reach it.
- user: AAD object id → {id (29:…), name, email, asked: whether Teams was asked for the e-mail};
  member: Teams user id (29:…) → {aad}; email: address → {aad}.
- personal: AAD object id → the 1:1 chat with the bot.
- room: thread conversation id → {root, title, filled}: a swarm's room and whether its case card is in place.
- card: room card message id → {swarm, conversation}; swarm: number → {card, card_conversation, reply,
  announcement}; announcement: message id → {swarm}.
- home: AAD object id → the message id of the person's home card.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)
PLATFORM = "teams"
CACHED = 20_000
MISSING_FOR = 10.0  # seconds


class Refs(Protocol):
    """The platform refs store the composition root hands in (storage.refs.SqlPlatformRefs)."""

    async def put(self, workspace: str, platform: str, kind: str, key: str, data: dict[str, Any]) -> None: ...

    async def get(self, workspace: str, platform: str, kind: str, key: str) -> dict[str, Any] | None: ...


class TeamsState:
    def __init__(self, refs: Refs, clock: Callable[[], float] = time.monotonic) -> None:
        self.refs = refs
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
        self._missing: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    async def get(self, workspace: str, kind: str, key: str) -> dict[str, Any] | None:
        slot = (workspace, kind, key)
        if slot in self._cache:
            self._cache.move_to_end(slot)
            return dict(self._cache[slot])
        # With RSC every channel message asks "is this thread a room?"; a recent "no" saves asking the database,
        # and is short-lived so that what another server wrote is seen soon.
        if self._missing.get(slot, 0.0) > self.clock():
            return None
        data = await self.refs.get(workspace, PLATFORM, kind, key)
        if data is not None:
            self._remember(slot, data)
        else:
            self._missing[slot] = self.clock() + MISSING_FOR
            self._missing.move_to_end(slot)
            while len(self._missing) > CACHED:
                self._missing.popitem(last=False)
        return data

    async def put(self, workspace: str, kind: str, key: str, data: dict[str, Any]) -> None:
        slot = (workspace, kind, key)
        current = self._cache[slot] if slot in self._cache else await self.refs.get(workspace, PLATFORM, kind, key)
        if current == data:
            self._remember(slot, data)
            return
        try:
            await self.refs.put(workspace, PLATFORM, kind, key, data)
        except Exception:
            # Two turns may insert the same new key at once; the second write then finds the row and updates it.
            log.debug("retrying a platform ref write for %s", slot, exc_info=True)
            await self.refs.put(workspace, PLATFORM, kind, key, data)
        self._remember(slot, data)

    async def merge(self, workspace: str, kind: str, key: str, **changes: Any) -> dict[str, Any]:
        data = (await self.get(workspace, kind, key) or {}) | changes
        await self.put(workspace, kind, key, data)
        return data

    def _remember(self, slot: tuple[str, str, str], data: dict[str, Any]) -> None:
        self._missing.pop(slot, None)
        self._cache[slot] = dict(data)
        self._cache.move_to_end(slot)
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)

    # -- people ---------------------------------------------------------------------------------------------------

    async def remember_user(
        self, workspace: str, aad: str, teams_id: str, name: str | None, email: str | None = None
    ) -> dict[str, Any]:
        known = await self.get(workspace, "user", aad) or {}
        data = known | {
            "id": teams_id or known.get("id"),
            "name": name or known.get("name"),
            "email": email or known.get("email"),
        }
        await self.put(workspace, "user", aad, data)
        if teams_id:
            await self.put(workspace, "member", teams_id, {"aad": aad})
        if data["email"]:
            await self.put(workspace, "email", str(data["email"]).lower(), {"aad": aad})
        return data

    async def user(self, workspace: str, aad: str) -> dict[str, Any] | None:
        return await self.get(workspace, "user", aad)

    async def aad_of(self, workspace: str, teams_id: str) -> str | None:
        found = await self.get(workspace, "member", teams_id)
        return str(found["aad"]) if found else None

    async def aad_by_email(self, workspace: str, email: str) -> str | None:
        found = await self.get(workspace, "email", email.strip().lower())
        return str(found["aad"]) if found else None

    # -- rooms, cards and announcements ---------------------------------------------------------------------------

    async def room(self, workspace: str, conversation: str) -> dict[str, Any] | None:
        return await self.get(workspace, "room", conversation)

    async def swarm_of_card(self, workspace: str, message_id: str) -> int | None:
        found = await self.get(workspace, "card", message_id)
        return int(found["swarm"]) if found else None

    async def swarm_of_announcement(self, workspace: str, message_id: str) -> int | None:
        found = await self.get(workspace, "announcement", message_id)
        return int(found["swarm"]) if found else None

    async def swarm(self, workspace: str, number: int) -> dict[str, Any]:
        return await self.get(workspace, "swarm", str(number)) or {}
