"""The core as one object: what the composition root builds and every handler receives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.articles import KnowledgeBase
from bot.context import Clock, utcnow
from bot.people import People
from bot.ports import Store
from bot.swarms import Policy, Swarms


@dataclass(frozen=True)
class Core:
    store: Store
    swarms: Swarms
    people: People
    kb: KnowledgeBase
    clock: Clock

    @classmethod
    def build(cls, store: Store, policy: Policy | None = None, clock: Clock = utcnow) -> Core:
        return cls(store, Swarms(store, policy, clock), People(store, clock), KnowledgeBase(store, clock), clock)

    async def first_delivery(self, workspace: str, key: str) -> bool:
        """True once per platform delivery key: a retried event must not act twice."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            first = await uow.processed.claim(ws.id, key)
            await uow.commit()
            return first
