"""The core as one object: what the composition root builds and every handler receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.analytics import Analytics
from bot.articles import KnowledgeBase
from bot.automation import Automation
from bot.context import Clock, utcnow
from bot.curation import Curation
from bot.deliveries import LEASE, Deliveries
from bot.digests import Digests
from bot.history import History
from bot.indexes import IndexCache
from bot.people import People
from bot.ports import Embedder, Store, TicketAccounts, TicketSystem
from bot.semantic import SemanticSearch
from bot.swarms import Policy, Swarms
from bot.tickets import Tickets


@dataclass(frozen=True)
class Core:
    store: Store
    swarms: Swarms
    people: People
    kb: KnowledgeBase
    clock: Clock
    history: History
    curation: Curation
    automation: Automation
    digests: Digests
    analytics: Analytics
    deliveries: Deliveries
    tickets: Tickets

    @classmethod
    def build(
        cls,
        store: Store,
        policy: Policy | None = None,
        clock: Clock = utcnow,
        half_life_days: float | None = None,
        embedder: Embedder | None = None,
        delivery_lease: timedelta = LEASE,
        tickets: Mapping[str, TicketSystem] | None = None,
        ticket_severities: Mapping[str, int] | None = None,
        ticket_accounts: TicketAccounts | None = None,
    ) -> Core:
        """embedder: hybrid knowledge-base search with this model (the semantic extra); None: keyword search.
        delivery_lease: how long a delivery's work holds its claim (bot/deliveries.py), shorter than the inbox's.
        tickets: the ticket systems set up, by short name (`zd`: bot/tickets.py); ticket_severities: priority →
        severity (None: bot.tickets.DEFAULT_SEVERITIES); ticket_accounts: each workspace's own accounts, which win
        over `tickets` for it."""
        # One index cache for both: people's changes must reach the matcher that swarms use.
        indexes = IndexCache(half_life_days) if half_life_days else IndexCache()
        # The core's clock times the vectors' rechecks too, so that a simulated month (bench/kb_deflection.py) or a
        # test sees articles embedded as the time it moves says, not as fast as the machine happens to run.
        semantic = None if embedder is None else SemanticSearch(store, embedder, clock=lambda: clock().timestamp())
        ticketing = Tickets(store, tickets, ticket_severities, clock, ticket_accounts)
        swarms = Swarms(store, policy, clock, indexes, semantic, ticketing)
        people = People(store, clock, indexes)
        history = History(store, clock, indexes)
        return cls(
            store=store,
            swarms=swarms,
            people=people,
            kb=KnowledgeBase(store, clock, semantic),
            clock=clock,
            history=history,
            curation=Curation(store, clock),
            automation=Automation(store, policy, clock),
            digests=Digests(store, clock),
            analytics=Analytics(store, clock),
            deliveries=Deliveries(store, clock, delivery_lease),
            tickets=ticketing,
        )

    async def workspaces(self) -> list[str]:
        """The keys of every workspace Swarm has data for (Slack teams, Teams tenants, the console)."""
        async with self.store.unit() as uow:
            return await uow.workspaces.keys()

    async def once(self, workspace: str, key: str) -> bool:
        """True the first time `key` is claimed in the workspace: automated posts (digests, nudges, catch-ups) claim a
        key before they are sent, so two schedulers or a rerun never send one twice. (A platform delivery's work
        holds its key while it runs instead: `deliveries.claimed`.)"""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            first = await uow.processed.claim(ws.id, key)
            await uow.commit()
            return first

    async def forget(self, workspace: str, key: str) -> None:
        """Releases a claimed key: the post it stood for failed and may be tried again."""
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            await uow.processed.release(ws.id, key)
            await uow.commit()
