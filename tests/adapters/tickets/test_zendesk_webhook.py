"""Zendesk's signed webhook through the real server: a trigger opens a swarm for a ticket, owned by its assignee;
a solved ticket is told in the room. Forged, stale and malformed requests change nothing; the same delivery twice
has one effect. The real Zendesk adapter talks to a loopback fake of Zendesk's API."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.app import App
from adapters.memory import MemoryChat, render
from adapters.tickets.accounts import SealedTicketAccounts
from adapters.tickets.zendesk import Zendesk
from adapters.tickets.zendesk_webhook import (
    EVENTS,
    INVOCATION,
    PATH,
    SIGNATURE,
    TIMESTAMP,
    ZendeskWebhook,
    read,
    signature,
    verify,
)
from bot.models import SwarmStatus
from storage.database import SqlStore
from tests.adapters.tickets.conftest import webhook_server
from tests.fakes.zendesk_api import FakeZendesk
from tests.harness import MONDAY_MORNING, WORKSPACE, Clock
from tests.production.test_secrets_in_logs import everything_logged

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's test secret, as the docs quote it
KEY = "a-long-random-secret-key-for-the-tests-0123456789"  # SWARM_SECRET_KEY: seals the workspaces' own secrets


@dataclass
class Hooked:
    """The real server with the webhook mounted, a recording chat, and a way to send what Zendesk sends."""

    zendesk: FakeZendesk
    app: App
    chat: MemoryChat
    clock: Clock
    url: str
    session: ClientSession
    invocations: int = 0

    async def deliver(
        self,
        payload: Any,
        *,
        invocation: str | None = None,
        secret: str = SECRET,
        age: timedelta = timedelta(0),
        headers: dict[str, str] | None = None,
        path: str = PATH,
    ) -> ClientResponse:
        """POSTs as Zendesk does: the raw body signed with the timestamp (`age` old), a new invocation id each time
        unless one is given."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        stamp = (self.clock() - age).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.invocations += 1
        sent = {
            "Content-Type": "application/json",
            TIMESTAMP: stamp,
            SIGNATURE: signature(secret, stamp, body),
            INVOCATION: invocation or f"inv-{self.invocations}",
            "X-Zendesk-Webhook-Id": "01HW0000000000000000000000",
        }
        sent.update(headers or {})
        async with self.session.post(self.url + path, data=body, headers=sent) as response:
            await response.read()
            return response

    def said(self, channel: str) -> list[str]:
        return [render(r) for r in self.chat.posts(channel)]

    async def swarms(self) -> list[Any]:
        async with self.app.store.unit() as uow:
            ws = await uow.workspaces.ensure(WORKSPACE)
            return await uow.swarms.list(ws.id)


OPEN = {"event": "open", "ticket_id": "4521", "assignee": "ana@example.com"}


@pytest.fixture
async def hooked(store: SqlStore) -> AsyncIterator[Hooked]:
    async with FakeZendesk() as zendesk:
        zendesk.add_ticket(
            4521,
            "ACME cannot export invoices to PDF",
            "Since Monday every export fails.",
            priority="urgent",
            tags=("billing",),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        client = Zendesk(zendesk.url, zendesk.email, zendesk.token, timeout=5)
        accounts = SealedTicketAccounts(store, KEY, timeout=5)
        try:
            async with webhook_server(
                store,
                ZendeskWebhook,
                client,
                accounts=accounts,
                ZENDESK_URL=zendesk.url,
                ZENDESK_EMAIL=zendesk.email,
                ZENDESK_API_TOKEN=zendesk.token,
                ZENDESK_WEBHOOK_SECRET=SECRET,
            ) as served:
                yield Hooked(zendesk, served.app, served.chat, served.clock, served.url, served.session)
        finally:
            await accounts.close()


async def test_a_trigger_opens_a_swarm_owned_by_the_tickets_assignee(hooked: Hooked) -> None:
    response = await hooked.deliver(OPEN)

    assert response.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.status is SwarmStatus.OPEN and swarm.ticket.key == "zd:4521"
    assert swarm.case.text == "ACME cannot export invoices to PDF" and swarm.case.severity == 1
    owner = await hooked.app.core.people.find(WORKSPACE, "ana@example.com")
    assert swarm.owner_id == owner.id
    announcement = hooked.said("support")[0]
    assert "*Swarm 1* is open for" in announcement and "Ticket zd:4521" in announcement
    [note] = hooked.zendesk.notes(4521)
    assert note["public"] is False and note["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    assert all(c.body["ticket"]["comment"]["public"] is False for c in hooked.zendesk.writes())


async def test_the_same_delivery_twice_opens_one_swarm(hooked: Hooked) -> None:
    first = await hooked.deliver(OPEN, invocation="inv-same")
    again = await hooked.deliver(OPEN, invocation="inv-same")
    other = await hooked.deliver(OPEN)  # the trigger fired again: a new invocation for the same ticket

    assert (first.status, again.status, other.status) == (200, 200, 200)
    assert len(await hooked.swarms()) == 1
    assert len(hooked.said("support")) == 1
    assert len(hooked.zendesk.notes(4521)) == 1
    assert (
        hooked.chat.last_private("ana@example.com") == "Swarm 1 is already open for zd:4521: `/swarm join 1` joins it."
    )


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "not-the-signing-secret"},
        {"age": timedelta(minutes=6)},
        {"age": -timedelta(minutes=6)},
        {"headers": {SIGNATURE: ""}},
        {"headers": {TIMESTAMP: "yesterday"}},
    ],
)
async def test_a_forged_or_stale_request_is_refused_and_changes_nothing(hooked: Hooked, forgery: Any) -> None:
    response = await hooked.deliver(OPEN, **forgery)

    assert response.status == 401
    assert await hooked.swarms() == []
    assert hooked.zendesk.calls == []


async def test_a_body_signed_but_tampered_with_is_refused(hooked: Hooked) -> None:
    body = json.dumps(OPEN).encode()
    stamp = hooked.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {TIMESTAMP: stamp, SIGNATURE: signature(SECRET, stamp, body), "Content-Type": "application/json"}
    tampered = body.replace(b"4521", b"4522")
    async with hooked.session.post(hooked.url + PATH, data=tampered, headers=headers) as response:
        assert response.status == 401
    assert await hooked.swarms() == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        {"event": "open"},
        {"event": "delete", "ticket_id": "4521"},
        {"event": "status", "ticket_id": "4521"},
        {"event": "open", "ticket_id": "../1"},
    ],
)
async def test_a_body_that_is_no_swarm_triggers_is_a_bad_request(hooked: Hooked, payload: Any) -> None:
    response = await hooked.deliver(payload)

    assert response.status == 400
    assert await hooked.swarms() == []


async def test_an_assignee_the_roster_does_not_know_opens_nothing(hooked: Hooked) -> None:
    response = await hooked.deliver({**OPEN, "assignee": "nobody@example.com"})

    assert response.status == 422
    assert await hooked.swarms() == []
    assert hooked.zendesk.calls == []


async def test_a_ticket_solved_in_zendesk_is_told_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(OPEN)
    [swarm] = await hooked.swarms()
    solved = {"event": "status", "ticket_id": "4521", "status": "Solved"}

    first = await hooked.deliver(solved)
    again = await hooked.deliver(solved)

    assert (first.status, again.status) == (200, 200)
    told = [text for text in hooked.said(swarm.room_id) if "Ticket zd:4521 was marked solved in Zendesk" in text]
    # Nobody marked the fix: the owner is asked, the swarm stays open.
    assert told == [
        "Ticket zd:4521 was marked solved in Zendesk. @Ana Ruiz, if the case is fixed, `/swarm resolve 1` with what "
        "fixed it keeps the fix for the next agent; if not, carry on and tell the ticket's agent."
    ]
    [swarm] = await hooked.swarms()
    assert swarm.ticket.status == "solved" and swarm.status is SwarmStatus.OPEN


async def test_a_solve_and_a_reopen_are_kept_once_each_for_the_tickets_figures(hooked: Hooked) -> None:
    await hooked.deliver(OPEN)
    solved = {"event": "status", "ticket_id": "4521", "status": "solved"}
    reopened = {"event": "status", "ticket_id": "4521", "status": "open"}

    hooked.clock.advance(hours=2)
    await hooked.deliver(solved, invocation="inv-solved")
    await hooked.deliver(solved, invocation="inv-solved")  # Zendesk's retry of the same delivery
    [swarm] = await hooked.swarms()
    assert (swarm.ticket.solved_at, swarm.ticket.reopens) == (hooked.clock(), 0)

    hooked.clock.advance(hours=1)
    assert (await hooked.deliver(reopened)).status == 200
    [swarm] = await hooked.swarms()
    assert (swarm.ticket.status, swarm.ticket.solved_at, swarm.ticket.reopens) == ("open", None, 1)

    hooked.clock.advance(hours=1)
    await hooked.deliver(solved)
    [swarm] = await hooked.swarms()
    assert (swarm.ticket.solved_at, swarm.ticket.reopens) == (hooked.clock(), 1)


async def test_the_swarms_severity_follows_the_tickets_priority(hooked: Hooked) -> None:
    await hooked.deliver(OPEN)
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 1  # urgent

    lowered = await hooked.deliver({"event": "priority", "ticket_id": "4521", "priority": "Low"})
    await hooked.deliver({"event": "priority", "ticket_id": "4521", "priority": "Low"})
    await hooked.deliver({"event": "priority", "ticket_id": "4521", "priority": "whatever"})

    assert lowered.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 4
    told = [t for t in hooked.said(swarm.room_id) if "priority in Zendesk" in t]
    assert told == ["Ticket zd:4521 is now low priority in Zendesk: swarm 1 is sev4 now."]


async def test_a_customers_reply_is_said_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(OPEN)
    [swarm] = await hooked.swarms()
    reply = {"event": "comment", "ticket_id": "4521", "comment": "It fails again <b>today</b> & yesterday"}

    await hooked.deliver(reply, invocation="inv-reply")
    await hooked.deliver(reply, invocation="inv-reply")  # Zendesk retried the same delivery
    await hooked.deliver({**reply, "ticket_id": "999"})  # a ticket without a swarm

    told = [r.text for r in hooked.chat.posts(swarm.room_id) if r.text.startswith("Customer replied")]
    # Escaped as every word people typed is: the platform shows it as written, never as markup.
    assert told == ["Customer replied on zd:4521: It fails again &lt;b&gt;today&lt;/b&gt; &amp; yesterday"]


async def test_no_zendesk_secret_reaches_the_logs(hooked: Hooked) -> None:
    settings = hooked.app.settings
    basic = base64.b64encode(f"{hooked.zendesk.email}/token:{hooked.zendesk.token}".encode()).decode()
    with everything_logged(settings, "json") as out:
        await hooked.deliver(OPEN)
        await hooked.deliver(OPEN, secret="forged")
        await hooked.deliver({"event": "status", "ticket_id": "4521", "status": "solved"})
    logged = out.getvalue()
    assert "aiohttp.access" in logged  # the libraries did log at DEBUG
    for secret in (hooked.zendesk.token, SECRET, basic):
        assert secret not in logged


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(["event", "ticket_id", "status", "assignee", "x"]),
            st.one_of(st.sampled_from(["open", "status", "4521", "", "solved"]), st.text(max_size=20), st.integers()),
        ).map(lambda d: json.dumps(d).encode()),
    ),
    stamp=st.one_of(st.just("2026-11-24T09:00:00Z"), st.text(max_size=30)),
    signed=st.text(max_size=60),
)
def test_any_request_is_read_or_refused_and_never_an_error(body: bytes, stamp: str, signed: str) -> None:
    fields = read(body)
    assert fields is None or (fields["event"] in EVENTS and fields["ticket_id"].isdecimal())
    assert not verify(SECRET, {TIMESTAMP: stamp, SIGNATURE: signed}, body, MONDAY_MORNING)
    good = signature(SECRET, "2026-11-24T09:00:00Z", body)
    assert verify(SECRET, {TIMESTAMP: "2026-11-24T09:00:00Z", SIGNATURE: good}, body, MONDAY_MORNING)


async def test_a_workspaces_own_webhook_secret_opens_its_own_address_and_no_other(hooked: Hooked) -> None:
    accounts = hooked.app.core.tickets.accounts
    assert isinstance(accounts, SealedTicketAccounts)
    zendesk, own, other = hooked.zendesk, "its-own-signing-secret-0123456789", "another-signing-secret-0123456789"
    await accounts.connect(WORKSPACE, "zd", zendesk.url, zendesk.email, zendesk.token, webhook_secret=own)
    await accounts.connect("T-other", "zd", zendesk.url, zendesk.email, zendesk.token, webhook_secret=other)

    refused = [
        await hooked.deliver(OPEN, secret=SECRET, path=f"{PATH}/{WORKSPACE}"),  # the environment's secret
        await hooked.deliver(OPEN, secret=own, path=PATH),  # its secret at the environment's address
        await hooked.deliver(OPEN, secret=own, path=f"{PATH}/T-other"),  # at another workspace's address
        await hooked.deliver(OPEN, secret=other, path=f"{PATH}/{WORKSPACE}"),  # another workspace's secret
        await hooked.deliver(OPEN, secret=own, path=f"{PATH}/T-nobody"),  # a workspace Swarm does not know
    ]
    assert [r.status for r in refused] == [401] * 5
    assert await hooked.swarms() == []

    opened = await hooked.deliver(OPEN, secret=own, path=f"{PATH}/{WORKSPACE}")

    assert opened.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.ticket.key == "zd:4521"
