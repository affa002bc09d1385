"""The signed callouts of the org's Apex through the real server: one opens a swarm for a Case, owned by its owner;
a Case closed, a new priority and the customer's reply reach the room. Forged, stale, replayed and malformed requests
change nothing; the same delivery twice has one effect. The real Salesforce adapter talks to a loopback fake of
Salesforce's REST API, and every write to it is an internal CaseComment."""

from __future__ import annotations

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
from adapters.tickets.mounts import webhooks
from adapters.tickets.salesforce import Salesforce
from adapters.tickets.salesforce_webhook import (
    EVENTS,
    PATH,
    SIGNATURE,
    TIMESTAMP,
    SalesforceWebhook,
    full_id,
    read,
    signature,
    verify,
)
from bot.models import SwarmStatus
from handlers.chat import CommandEvent, Origin
from storage.database import SqlStore
from tests.adapters.tickets.conftest import webhook_server
from tests.fakes.salesforce_api import FakeSalesforce, record_id
from tests.harness import MONDAY_MORNING, WORKSPACE, Clock
from tests.production.test_secrets_in_logs import everything_logged

SECRET = "q3Jb8v_1xW0pZr7LmN4tYc2KfH9sDe6A"  # as `secrets.token_urlsafe(24)` makes one


@dataclass
class Hooked:
    """The real server with the webhook mounted, a recording chat, and a way to send what the org's Apex sends."""

    salesforce: FakeSalesforce
    case_id: str
    app: App
    chat: MemoryChat
    clock: Clock
    url: str
    session: ClientSession
    deliveries: int = 0

    async def deliver(
        self,
        payload: Any,
        *,
        secret: str = SECRET,
        age: timedelta = timedelta(0),
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        """POSTs as the Apex does: the raw body signed with the timestamp (`age` old); a new delivery id each time
        unless the payload has one."""
        if isinstance(payload, dict) and "delivery" not in payload:
            self.deliveries += 1
            payload = {**payload, "delivery": f"d-{self.deliveries}"}
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        stamp = str(int((self.clock() - age).timestamp()))
        sent = {"Content-Type": "application/json", TIMESTAMP: stamp, SIGNATURE: signature(secret, stamp, body)}
        sent.update(headers or {})
        async with self.session.post(self.url + PATH, data=body, headers=sent) as response:
            await response.read()
            return response

    def said(self, channel: str) -> list[str]:
        return [render(r) for r in self.chat.posts(channel)]

    async def swarms(self) -> list[Any]:
        async with self.app.store.unit() as uow:
            ws = await uow.workspaces.ensure(WORKSPACE)
            return await uow.swarms.list(ws.id)

    def open(self, **more: str) -> dict[str, str]:
        return {"event": "open", "case_id": self.case_id, "owner": "ana@example.com", **more}


def _every_write_is_internal(salesforce: FakeSalesforce) -> None:
    writes = salesforce.writes()
    assert writes, "nothing was written to the Case"
    for call in writes:
        assert (call.method, call.path) == ("POST", "/services/data/v62.0/sobjects/CaseComment")
        assert call.body["IsPublished"] is False, call.body
    assert all(not c["IsPublished"] for comments in salesforce.comments.values() for c in comments if c.get("swarm"))


@pytest.fixture
async def hooked(store: SqlStore) -> AsyncIterator[Hooked]:
    async with FakeSalesforce() as salesforce:
        case_id = salesforce.add_case(
            "00001026",
            "ACME cannot export invoices to PDF",
            "Since Monday every export fails.",
            priority="High",
            account="ACME Corp",
            owner_email="ana@example.com",
        )
        client = Salesforce(salesforce.url, salesforce.client_id, salesforce.client_secret, timeout=5)
        async with webhook_server(
            store,
            SalesforceWebhook,
            client,
            SALESFORCE_URL=salesforce.url,
            SALESFORCE_CLIENT_ID=salesforce.client_id,
            SALESFORCE_CLIENT_SECRET=salesforce.client_secret,
            SALESFORCE_WEBHOOK_SECRET=SECRET,
        ) as served:
            yield Hooked(salesforce, case_id, served.app, served.chat, served.clock, served.url, served.session)


async def test_a_callout_opens_a_swarm_owned_by_the_cases_owner(hooked: Hooked) -> None:
    response = await hooked.deliver(hooked.open())

    assert response.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.status is SwarmStatus.OPEN and swarm.ticket.key == f"sf:{hooked.case_id}"
    assert swarm.case.text == "ACME cannot export invoices to PDF" and swarm.case.severity == 2  # High
    assert swarm.case.customer == "ACME Corp"
    owner = await hooked.app.core.people.find(WORKSPACE, "ana@example.com")
    assert swarm.owner_id == owner.id
    announcement = hooked.said("support")[0]
    assert "*Swarm 1* is open for" in announcement and f"Ticket sf:{hooked.case_id}" in announcement
    [note] = hooked.salesforce.notes(hooked.case_id)
    assert note["IsPublished"] is False
    assert note["CommentBody"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    _every_write_is_internal(hooked.salesforce)


async def test_the_same_delivery_twice_opens_one_swarm(hooked: Hooked) -> None:
    first = await hooked.deliver(hooked.open(delivery="a1b2c3"))
    again = await hooked.deliver(hooked.open(delivery="a1b2c3"))  # the Apex retried, or someone replayed it
    other = await hooked.deliver(hooked.open())  # the trigger fired again: a new delivery for the same Case

    assert (first.status, again.status, other.status) == (200, 200, 200)
    assert len(await hooked.swarms()) == 1
    assert len(hooked.said("support")) == 1
    assert len(hooked.salesforce.notes(hooked.case_id)) == 1
    assert hooked.chat.last_private("ana@example.com") == (
        f"Swarm 1 is already open for sf:{hooked.case_id}: `/swarm join 1` joins it."
    )


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "not-the-shared-secret"},
        {"age": timedelta(minutes=6)},  # replayed after the window
        {"age": -timedelta(minutes=6)},
        {"headers": {SIGNATURE: ""}},
        {"headers": {TIMESTAMP: "2026-11-24T09:00:00Z"}},
        {"headers": {TIMESTAMP: "99999999999999999999"}},
    ],
)
async def test_a_forged_or_stale_request_is_refused_and_changes_nothing(hooked: Hooked, forgery: Any) -> None:
    response = await hooked.deliver(hooked.open(), **forgery)

    assert response.status == 401
    assert await hooked.swarms() == []
    assert hooked.salesforce.calls == []


async def test_a_body_signed_but_tampered_with_is_refused(hooked: Hooked) -> None:
    body = json.dumps(hooked.open(delivery="d-1")).encode()
    stamp = str(int(hooked.clock().timestamp()))
    headers = {TIMESTAMP: stamp, SIGNATURE: signature(SECRET, stamp, body), "Content-Type": "application/json"}
    for tampered in (body.replace(b"ana@", b"eve@"), body.replace(b'"d-1"', b'"d-2"')):
        async with hooked.session.post(hooked.url + PATH, data=tampered, headers=headers) as response:
            assert response.status == 401
    assert await hooked.swarms() == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        {"event": "open", "delivery": "d"},
        {"event": "delete", "case_id": "500000000000001", "delivery": "d"},
        {"event": "status", "case_id": "500000000000001", "delivery": "d"},
        {"event": "status", "case_id": "500000000000001", "status": "Closed", "closed": "yes", "delivery": "d"},
        {"event": "open", "case_id": "../sobjects/User", "owner": "ana@example.com", "delivery": "d"},
        {"event": "open", "case_id": "001000000000001", "owner": "ana@example.com", "delivery": "d"},  # an Account
        {"event": "open", "case_id": "500000000000001", "owner": "ana@example.com", "delivery": "no spaces"},
        {"event": "open", "case_id": "500000000000001", "owner": "ana@example.com", "delivery": None},
        {"event": "open", "case_id": "500000000000001", "delivery": "d", "case_number": "1' OR '1"},
    ],
)
async def test_a_body_the_apex_does_not_send_is_a_bad_request(hooked: Hooked, payload: Any) -> None:
    response = await hooked.deliver(payload)

    assert response.status == 400
    assert await hooked.swarms() == []


@pytest.mark.parametrize("owner", ["nobody@example.com", "", None])
async def test_an_owner_the_roster_does_not_know_opens_nothing(hooked: Hooked, owner: str | None) -> None:
    """Someone outside the roster, or a queue (whose Owner.Email the Apex sends as null)."""
    response = await hooked.deliver({**hooked.open(), "owner": owner})

    assert response.status == 422
    assert await hooked.swarms() == []
    assert hooked.salesforce.calls == []


async def test_a_case_closed_in_salesforce_is_told_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(hooked.open())
    [swarm] = await hooked.swarms()
    closed = {"event": "status", "case_id": hooked.case_id, "status": "Closed", "closed": True}

    first = await hooked.deliver(closed)
    again = await hooked.deliver(closed)

    assert (first.status, again.status) == (200, 200)
    told = [t for t in hooked.said(swarm.room_id) if f"Ticket sf:{hooked.case_id} was marked closed in Salesforce" in t]
    assert len(told) == 1  # nobody marked the fix: the owner is asked, the swarm stays open
    assert "`/swarm resolve 1`" in told[0]
    [swarm] = await hooked.swarms()
    assert swarm.ticket.status == "closed" and swarm.status is SwarmStatus.OPEN


async def test_a_status_the_org_counts_closed_is_done_by_isclosed(hooked: Hooked) -> None:
    await hooked.deliver(hooked.open())
    [swarm] = await hooked.swarms()

    await hooked.deliver({"event": "status", "case_id": hooked.case_id, "status": "Escalated", "closed": False})
    await hooked.deliver({"event": "status", "case_id": hooked.case_id, "status": "Fixed", "closed": True})

    room = hooked.said(swarm.room_id)
    assert not any("was marked escalated" in t for t in room)
    assert any(f"Ticket sf:{hooked.case_id} was marked fixed in Salesforce" in t for t in room)


async def test_a_15_character_id_finds_the_swarm_too(hooked: Hooked) -> None:
    await hooked.deliver(hooked.open(case_id=hooked.case_id[:15]))
    [swarm] = await hooked.swarms()
    assert swarm.ticket.id == hooked.case_id

    await hooked.deliver({"event": "priority", "case_id": hooked.case_id[:15], "priority": "Low"})

    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 4


async def test_a_swarm_opened_while_salesforce_was_down_is_found_by_its_case_number(hooked: Hooked) -> None:
    hooked.salesforce.down = True
    owner = await hooked.app.core.people.find(WORKSPACE, "ana@example.com")
    user = await hooked.chat.find_user("ana@example.com")
    origin = Origin(WORKSPACE, hooked.chat.platform, user or "", "support", owner.name, owner.email)
    await hooked.app.router(hooked.chat).handle(CommandEvent(origin, "sf:00001026 export fails"))
    [swarm] = await hooked.swarms()
    assert swarm.ticket.key == "sf:00001026"  # the reference typed: Salesforce could not say the Id
    hooked.salesforce.down = False

    closed = {"event": "status", "case_id": hooked.case_id, "status": "Closed", "closed": True}
    await hooked.deliver(closed)  # by the Id alone, it is not found
    assert not any("was marked closed" in t for t in hooked.said(swarm.room_id))
    await hooked.deliver({**closed, "case_number": "00001026"})

    told = [t for t in hooked.said(swarm.room_id) if "Ticket sf:00001026 was marked closed in Salesforce" in t]
    assert len(told) == 1


async def test_the_swarms_severity_follows_the_cases_priority(hooked: Hooked) -> None:
    await hooked.deliver(hooked.open())
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 2  # High

    lowered = await hooked.deliver({"event": "priority", "case_id": hooked.case_id, "priority": "Low"})
    await hooked.deliver({"event": "priority", "case_id": hooked.case_id, "priority": "Low"})
    await hooked.deliver({"event": "priority", "case_id": hooked.case_id, "priority": "Whatever"})

    assert lowered.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 4
    told = [t for t in hooked.said(swarm.room_id) if "priority in Salesforce" in t]
    assert told == [f"Ticket sf:{hooked.case_id} is now low priority in Salesforce: swarm 1 is sev4 now."]


async def test_a_customers_reply_is_said_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(hooked.open())
    [swarm] = await hooked.swarms()
    reply = {"event": "comment", "case_id": hooked.case_id, "comment": "It fails again <b>today</b> & yesterday"}

    await hooked.deliver({**reply, "delivery": "reply-1"})
    await hooked.deliver({**reply, "delivery": "reply-1"})  # the Apex retried the same delivery
    await hooked.deliver({**reply, "case_id": record_id("500", 999)})  # a Case without a swarm

    told = [r.text for r in hooked.chat.posts(swarm.room_id) if r.text.startswith("Customer replied")]
    assert told == [f"Customer replied on sf:{hooked.case_id}: It fails again &lt;b&gt;today&lt;/b&gt; &amp; yesterday"]
    _every_write_is_internal(hooked.salesforce)  # the room heard it; nothing went back to the customer


async def test_no_salesforce_secret_reaches_the_logs(hooked: Hooked) -> None:
    settings = hooked.app.settings
    with everything_logged(settings, "json") as out:
        await hooked.deliver(hooked.open())
        await hooked.deliver(hooked.open(), secret="forged")
        await hooked.deliver({"event": "status", "case_id": hooked.case_id, "status": "Closed", "closed": True})
    logged = out.getvalue()
    assert "aiohttp.access" in logged  # the libraries did log at DEBUG
    tokens = list(hooked.salesforce.tokens)
    assert tokens, "no token was issued"
    for secret in (hooked.salesforce.client_secret, SECRET, *tokens):
        assert secret not in logged


def test_the_signature_is_the_one_docs_salesforce_md_gives_for_checking_the_apex() -> None:
    """The known answer of docs/salesforce.md (computed with `openssl dgst -sha256 -hmac` as well)."""
    body = (
        b'{"event":"priority","case_id":"5005Y00001abcDEQAY","priority":"Low",'
        b'"delivery":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}'
    )
    assert signature(SECRET, "1795510800", body) == "/SVewdDjNCLmf5ifrRQOXCqgX7fLcvaFFYY+WpXCjME="
    signed = {TIMESTAMP: "1795510800", SIGNATURE: "/SVewdDjNCLmf5ifrRQOXCqgX7fLcvaFFYY+WpXCjME="}
    assert verify(SECRET, signed, body, MONDAY_MORNING)  # 2026-11-24 09:00:00 UTC
    assert not verify(SECRET, signed, body, MONDAY_MORNING + timedelta(minutes=5, seconds=1))


async def test_the_webhook_is_served(hooked: Hooked) -> None:
    [mount] = [m for m in webhooks(hooked.app, []) if isinstance(m, SalesforceWebhook)]
    assert mount.path == "/salesforce/webhook" and mount.secret == SECRET


def test_the_id_suffix_is_salesforces() -> None:
    for number in (1, 42, 3000000):
        long = record_id("500", number)
        assert full_id(long[:15]) == long and full_id(long) == long
    assert full_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # one record, 15 and 18 characters
    assert full_id("5003000000D8cuI") == "5003000000D8cuIAAR"  # the pair tests/bot/test_tickets.py reads


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(["event", "case_id", "status", "owner", "closed", "delivery", "x"]),
            st.one_of(
                st.sampled_from(["open", "status", "500000000000001", "", "Closed", "d-1"]),
                st.text(max_size=20),
                st.integers(),
                st.booleans(),
                st.none(),
            ),
        ).map(lambda d: json.dumps(d).encode()),
    ),
    stamp=st.one_of(st.just(str(int(MONDAY_MORNING.timestamp()))), st.text(max_size=30)),
    signed=st.text(max_size=60),
)
def test_any_request_is_read_or_refused_and_never_an_error(body: bytes, stamp: str, signed: str) -> None:
    fields = read(body)
    assert fields is None or (fields["event"] in EVENTS and len(fields["case_id"]) == 18)
    assert not verify(SECRET, {TIMESTAMP: stamp, SIGNATURE: signed}, body, MONDAY_MORNING)
    now = str(int(MONDAY_MORNING.timestamp()))
    assert verify(SECRET, {TIMESTAMP: now, SIGNATURE: signature(SECRET, now, body)}, body, MONDAY_MORNING)
