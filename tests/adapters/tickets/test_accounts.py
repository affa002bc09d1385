"""A workspace's own ticket account: kept with `swarm tickets connect`, its secret sealed at rest, and used for that
workspace in place of the account set up for every workspace, never for another. Each account is a loopback fake of
Zendesk's API, reached by the real Zendesk adapter."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from adapters.sealing import PREFIX
from adapters.tickets.accounts import SealedTicketAccounts
from adapters.tickets.zendesk import Zendesk
from bot.ports import Store
from storage.database import create_engine
from tests.adapters.conftest import Swarm
from tests.fakes.zendesk_api import FakeZendesk
from tests.harness import WORKSPACE, ScenarioBot

KEY = "a-long-random-secret-key-for-the-tests-0123456789"
OTHER = "T-other"


@pytest.fixture
async def zendesks() -> AsyncIterator[tuple[FakeZendesk, FakeZendesk]]:
    """The Zendesk set up for every workspace, and the test workspace's own: each has a ticket 4521."""
    async with FakeZendesk() as shared, FakeZendesk() as own:
        shared.add_ticket(4521, "Globex SSO login loops", organization="Globex")
        own.add_ticket(4521, "ACME cannot export invoices to PDF", priority="high", organization="ACME Corp")
        yield shared, own


@pytest.fixture
async def bot(store: Store, zendesks: tuple[FakeZendesk, FakeZendesk]) -> AsyncIterator[ScenarioBot]:
    shared, _ = zendesks
    client = Zendesk(shared.url, shared.email, shared.token, timeout=5)
    accounts = SealedTicketAccounts(store, KEY, timeout=5)
    scenario = ScenarioBot(store, tickets={"zd": client}, ticket_accounts=accounts)
    assert not (await scenario.load_roster()).rejected
    yield scenario
    await accounts.close()
    await client.close()


async def test_a_workspaces_own_account_is_read_and_told_in_place_of_the_shared_one(
    bot: ScenarioBot, zendesks: tuple[FakeZendesk, FakeZendesk]
) -> None:
    shared, own = zendesks
    accounts = bot.core.tickets.accounts
    assert isinstance(accounts, SealedTicketAccounts)
    await accounts.connect(WORKSPACE, "zd", own.url, own.email, own.token)

    await bot.command("/swarm zd:4521", user="ana")

    assert "ACME cannot export invoices to PDF" in bot.said("support")[0]
    [note] = own.notes(4521)
    assert note["public"] is False and note["body"].startswith("Swarm 1 is working on this ticket")
    assert not shared.notes(4521) and not shared.writes()
    # Another workspace, with no account of its own, reaches the shared one; never this workspace's.
    other = await bot.core.tickets.read("zd:4521", OTHER)
    assert other is not None and other.case.text == "Globex SSO login loops"

    assert await accounts.disconnect(WORKSPACE, "zd")
    mine = await bot.core.tickets.read("zd:4521", WORKSPACE)
    assert mine is not None and mine.case.text == "Globex SSO login loops"


async def test_an_account_whose_secret_cannot_be_opened_is_down_and_never_falls_back_to_the_shared_one(
    store: Store, bot: ScenarioBot, zendesks: tuple[FakeZendesk, FakeZendesk]
) -> None:
    shared, own = zendesks
    kept_with_another_key = SealedTicketAccounts(store, "another-long-random-secret-key-0123456789")
    await kept_with_another_key.connect(WORKSPACE, "zd", own.url, own.email, own.token)

    await bot.command("/swarm zd:4521 export fails", user="ana")

    announcement = bot.said("support")[0]
    assert "Globex" not in announcement  # not the shared account's ticket
    assert "export fails" in announcement  # opened from what was typed, as in an outage
    assert not shared.calls and not own.calls


async def test_connect_keeps_the_secret_sealed_and_list_never_shows_it(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("SWARM_SECRET_KEY", KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO("zd-api-token-0123456789\nwebhook-signing-secret\n"))

    code, out = await swarm(
        *("tickets", "connect", "zd", "--url", "https://acme.zendesk.com/", "--login", "swarm-bot@acme.example"),
        *("--webhook-secret", "--workspace", "T0123", "--create"),
    )

    assert code == 0, out
    assert out == "Workspace T0123 now reaches Zendesk at https://acme.zendesk.com as swarm-bot@acme.example.\n"
    code, out = await swarm("tickets", "list", "--workspace", "T0123")
    assert out == "zd  Zendesk  https://acme.zendesk.com  as swarm-bot@acme.example\n"
    [(secret, webhook)] = await _kept(database_url)
    assert secret.startswith(PREFIX) and "zd-api-token" not in secret
    assert webhook.startswith(PREFIX) and "webhook-signing" not in webhook

    code, out = await swarm("tickets", "disconnect", "zd", "--workspace", "T0123")
    assert out == "Forgot workspace T0123's Zendesk account.\n"
    code, out = await swarm("tickets", "list", "--workspace", "T0123")
    assert out == "Workspace T0123 has no ticket account of its own.\n"


async def test_connect_refuses_to_keep_a_secret_unencrypted(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    monkeypatch.delenv("SWARM_SECRET_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("zd-api-token-0123456789\n"))

    code, _ = await swarm(
        *("tickets", "connect", "zd", "--url", "https://acme.zendesk.com", "--login", "bot@acme.example"),
        *("--workspace", "T0123", "--create"),
    )

    assert code == 2
    assert "Refusing to keep a ticket system's secret unencrypted" in capsys.readouterr().err
    assert await _kept(database_url) == []


@pytest.mark.parametrize("url", ["acme.zendesk.com", "ftp://acme.zendesk.com", "https://"])
async def test_an_address_that_is_no_address_is_refused(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    monkeypatch.setenv("SWARM_SECRET_KEY", KEY)
    monkeypatch.setattr("sys.stdin", io.StringIO("zd-api-token-0123456789\n"))

    code, _ = await swarm(
        "tickets", "connect", "zd", "--url", url, "--login", "bot@acme.example", "--workspace", "T1", "--create"
    )

    assert code == 2
    assert "is no address" in capsys.readouterr().err


async def _kept(database_url: str) -> list[tuple[str, str | None]]:
    """The secrets as the database holds them."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT secret, webhook_secret FROM ticket_account"))
            return [(row[0], row[1]) for row in rows.all()]
    finally:
        await engine.dispose()
