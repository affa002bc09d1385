"""The real server with one ticket system's webhook mounted and a recording chat, for the webhook tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from adapters import web
from adapters.app import App
from adapters.memory import MemoryChat
from adapters.scheduler import OneChat
from adapters.settings import Settings
from adapters.tickets.webhook import TicketWebhook
from bot.core import Core
from bot.ports import TicketAccounts, TicketSystem
from storage.database import SqlStore
from tests.harness import ROSTER, WORKSPACE, Clock


class Client(TicketSystem, Protocol):
    async def close(self) -> None: ...


@dataclass
class Served:
    app: App
    chat: MemoryChat
    clock: Clock
    url: str
    session: ClientSession


@asynccontextmanager
async def webhook_server(
    store: SqlStore,
    webhook: type[TicketWebhook],
    client: Client,
    *,
    accounts: TicketAccounts | None = None,
    **settings: Any,
) -> AsyncIterator[Served]:
    """The app on `store` with the roster, `client` as its ticket system (closed at the end), tickets announced in
    #support of a console workspace, and the server with `webhook` mounted."""
    config = Settings(  # type: ignore[call-arg]
        _env_file=None, SWARM_DATABASE_URL="sqlite://", SWARM_TICKET_CHANNEL="support", **settings
    )
    clock = Clock()
    systems = {webhook.system: client}
    app = App(config, store, Core.build(store, config.policy(), clock, tickets=systems, ticket_accounts=accounts))
    rows = [(i + 1, dict(row)) for i, row in enumerate(ROSTER)]
    assert not (await app.core.people.import_roster(WORKSPACE, rows)).rejected
    chat = MemoryChat(platform="console", workspace=WORKSPACE)
    server = TestServer(web.build(app, [webhook(app, [OneChat(app, chat, WORKSPACE)], clock=clock)]), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:
            yield Served(app, chat, clock, str(server.make_url("")).rstrip("/"), session)
    finally:
        await server.close()
        await client.close()
