"""The composition root: settings → storage → core → router. Only this module (and the CLI) imports storage."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters import logs
from adapters.metrics import Metrics
from adapters.semantic import embedder_for
from adapters.settings import Settings
from adapters.tickets import systems
from adapters.tickets.accounts import SealedTicketAccounts
from bot.context import Clock, utcnow
from bot.core import Core
from handlers.chat import ChatPort
from handlers.router import Router
from storage.database import SqlStore, sync_database_url, upgrade
from storage.inbox import SqlInbox
from storage.lease import SqlLease
from storage.refs import SqlPlatformRefs


@dataclass
class App:
    settings: Settings
    store: SqlStore
    core: Core
    # Prometheus counters of this server (adapters/metrics.py): a registry per App, so servers never share one.
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    async def start(cls, settings: Settings | None = None, migrate: bool = True, clock: Clock = utcnow) -> App:
        settings = settings or Settings()
        logs.configure(settings)  # text or JSON lines on standard error, secrets redacted (adapters/logs.py)
        if migrate:
            await upgrade(settings.database_url)
        store = SqlStore(settings.database_url)
        # None: keyword search (no semantic extra, or SWARM_SEMANTIC=off).
        embedder = embedder_for(settings.semantic, settings.model_cache_dir())
        tickets = systems(settings)  # the ticket systems whose settings are set (adapters/tickets/__init__.py)
        core = Core.build(
            store,
            settings.policy(),
            clock,
            settings.expertise_half_life_days,
            embedder=embedder,
            # Shorter than the inbox's lease: a dead worker's delivery, taken again, finds its claim free too.
            delivery_lease=settings.inbox_lease() / 2,
            tickets=tickets,
            ticket_severities=settings.ticket_severities(),
            ticket_accounts=SealedTicketAccounts(store, settings.secret_key, settings.ticket_timeout_seconds, clock),
            leases=SqlLease(store),
        )
        return cls(settings, store, core)

    def router(self, chat: ChatPort) -> Router:
        return Router(self.core, chat, self.settings.conventions())

    def lease(self) -> SqlLease:
        """The leases in Swarm's database: which `swarm serve` runs the scheduled jobs (adapters/scheduler.py)."""
        return SqlLease(self.store)

    def inbox(self, platform: str) -> SqlInbox:
        """The deliveries a platform acknowledged and Swarm has yet to work on (adapters/inbox.py)."""
        return SqlInbox(self.store, platform)

    def platform_refs(self) -> SqlPlatformRefs:
        """The platforms' own ids and references (Teams' conversation references among them)."""
        return SqlPlatformRefs(self.store)

    @property
    def job_store_url(self) -> str:
        """Swarm's database, as APScheduler's (synchronous) SQLAlchemy job store reaches it."""
        return sync_database_url(self.settings.database_url)

    def warm_up(self) -> None:
        """Starts loading the semantic extra's model in the background, if it is wired (`swarm serve` and its Slack
        workers, at start): searches are keyword searches until it is ready, and nobody waits for it."""
        if self.core.kb.semantic is not None:
            self.core.kb.semantic.warm_up()

    async def close(self) -> None:
        semantic = self.core.kb.semantic
        for task in (semantic.warming, semantic.speeding_up) if semantic is not None else ():
            if task is not None and not task.done():
                task.cancel()  # the thread loading (or exporting) the model finishes on its own; nobody waits for it
        for system in self.core.tickets.systems.values():
            close = getattr(system, "close", None)
            if close is not None:
                await close()
        if isinstance(self.core.tickets.accounts, SealedTicketAccounts):
            await self.core.tickets.accounts.close()
        await self.store.close()
