"""Each workspace's own ticket-system accounts (bot.ports.TicketAccounts), for a Swarm that serves several workspaces,
each with its own Zendesk (docs/zendesk.md#several-workspaces).

An account is kept in Swarm's database with its secrets sealed (adapters/sealing.py, under SWARM_SECRET_KEY); it is
opened only here, to build the system's client, which is kept until the account changes. `swarm tickets connect`
(adapters/cli.py) keeps one; a workspace's own account takes the place, for that workspace, of the system set up in
the environment (ZENDESK_URL, …).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from adapters.sealing import Sealer, SealKeyError
from adapters.tickets.jira import Jira
from adapters.tickets.salesforce import Salesforce
from adapters.tickets.zendesk import Zendesk
from bot.context import Clock, utcnow
from bot.errors import TicketSystemDown
from bot.models import Ticket, TicketAccount
from bot.ports import Store, TicketSystem
from bot.tickets import JSM, SALESFORCE, SYSTEM_NAMES, ZENDESK

log = logging.getLogger(__name__)

PURPOSE = b"swarm ticket accounts v1"
# How each system's client is built from an account: (url, login, secret, timeout). A new system adds its line.
BUILDERS: dict[str, Callable[[str, str, str, float], TicketSystem]] = {
    ZENDESK: Zendesk,
    JSM: Jira,
    SALESFORCE: Salesforce,
}
# What the login and the secret are, in each system's words (`swarm tickets connect`).
CREDENTIALS: dict[str, tuple[str, str]] = {
    ZENDESK: ("the agent's e-mail", "API token"),
    JSM: ("the Atlassian account's e-mail", "API token"),
    SALESFORCE: ("the connected app's client id", "client secret"),
}


class AccountError(ValueError):
    """An account that cannot be kept as given (an unknown system, no address)."""


class SealedTicketAccounts:
    def __init__(self, store: Store, secret_key: str | None, timeout: float = 10.0, clock: Clock = utcnow) -> None:
        self.store = store
        self.sealer = Sealer(secret_key, PURPOSE, "ticket accounts")
        self.timeout = timeout
        self.clock = clock
        # (workspace id, system) → the account a client was built from, and the client: rebuilt when it changes.
        self._clients: dict[tuple[int, str], tuple[TicketAccount, TicketSystem]] = {}

    async def systems(self, workspace_id: int) -> dict[str, TicketSystem]:
        async with self.store.unit() as uow:
            accounts = await uow.ticket_accounts.for_workspace(workspace_id)
        found: dict[str, TicketSystem] = {}
        for account in accounts:
            build = BUILDERS.get(account.system)
            if build is None:
                continue  # kept by a version that knew a system this one does not
            key = (workspace_id, account.system)
            kept = self._clients.get(key)
            if kept is None or kept[0] != account:
                if kept is not None:
                    await _close(kept[1])
                try:
                    secret = self.sealer.open(account.secret) or ""
                except SealKeyError as err:
                    # Never the shared account instead: it may be another company's. The system is down for this
                    # workspace, its notes wait, until the key is set right.
                    log.error("workspace %s's %s account cannot be used: %s", workspace_id, account.system, err)
                    client: TicketSystem = Unopenable(SYSTEM_NAMES[account.system], account.url)
                else:
                    client = build(account.url, account.login, secret, self.timeout)
                kept = self._clients[key] = (account, client)
            found[account.system] = kept[1]
        for key in [k for k in self._clients if k[0] == workspace_id and k[1] not in found]:
            await _close(self._clients.pop(key)[1])  # an account removed since
        return found

    async def connect(
        self, workspace: str, system: str, url: str, login: str, secret: str, webhook_secret: str | None = None
    ) -> TicketAccount:
        """Keeps the workspace's account with `system`, its secrets sealed, in place of any it had."""
        if system not in BUILDERS:
            known = ", ".join(f"{key} ({SYSTEM_NAMES[key]})" for key in BUILDERS)
            raise AccountError(f"{system!r} is not a ticket system Swarm reaches; it knows {known}")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise AccountError(f"{url!r} is no address: use https://… (the account's address)")
        if not login.strip() or not secret.strip():
            raise AccountError("the account needs who Swarm acts as (--login) and its secret")
        async with self.store.unit() as uow:
            found = await uow.workspaces.ensure(workspace)
            assert found.id is not None
            account = TicketAccount(
                workspace_id=found.id,
                system=system,
                url=url.strip().rstrip("/"),
                login=login.strip(),
                secret=self.sealer.seal(secret.strip()) or "",
                webhook_secret=self.sealer.seal(webhook_secret.strip()) if webhook_secret else None,
                updated_at=self.clock(),
            )
            await uow.ticket_accounts.put(account)
            await uow.commit()
        return account

    async def disconnect(self, workspace: str, system: str) -> bool:
        async with self.store.unit() as uow:
            found = await uow.workspaces.get(workspace)
            removed = found is not None and found.id is not None and await uow.ticket_accounts.remove(found.id, system)
            await uow.commit()
        return removed

    async def webhook_secret(self, workspace: str, system: str) -> str | None:
        """The webhook secret of the workspace's own account with `system`, opened; None if it has none, or if it
        cannot be opened (the log says why)."""
        account = next((a for a in await self.listed(workspace) if a.system == system), None)
        if account is None or account.webhook_secret is None:
            return None
        try:
            return self.sealer.open(account.webhook_secret)
        except SealKeyError as err:
            log.error("workspace %s's %s webhook secret cannot be opened: %s", account.workspace_id, system, err)
            return None

    async def listed(self, workspace: str) -> list[TicketAccount]:
        """The workspace's accounts, their secrets still sealed."""
        async with self.store.unit() as uow:
            found = await uow.workspaces.get(workspace)
            if found is None or found.id is None:
                return []
            return await uow.ticket_accounts.for_workspace(found.id)

    async def close(self) -> None:
        for _, client in self._clients.values():
            await _close(client)
        self._clients.clear()


class Unopenable:
    """A workspace's account whose secret cannot be opened (SWARM_SECRET_KEY unset or changed): down, not missing."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.base = url

    def url(self, ticket_id: str) -> str:
        return f"{self.base}/{ticket_id}"

    def accepts(self, host: str | None) -> bool:
        return True

    async def fetch(self, ticket_id: str) -> Ticket:
        raise TicketSystemDown("the account's secret cannot be opened (SWARM_SECRET_KEY)")

    async def add_note(self, ticket_id: str, body: str) -> None:
        raise TicketSystemDown("the account's secret cannot be opened (SWARM_SECRET_KEY)")


async def _close(system: TicketSystem) -> None:
    close = getattr(system, "close", None)
    if close is not None:
        await close()
