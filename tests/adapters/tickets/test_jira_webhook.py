"""Jira's signed admin webhook through the real server: the label `swarm` opens a swarm for a request, owned by its
assignee; a request resolved, a new priority, a customer's reply reach the room. Forged, stale and malformed
requests change nothing; the same delivery twice has one effect; events Swarm does not follow are answered and
ignored. The real Jira adapter talks to a loopback fake of Jira's APIs."""

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
from adapters.tickets.jira import Jira
from adapters.tickets.jira_webhook import IDENTIFIER, PATH, SIGNATURE, Ignored, JiraWebhook, read, signature, verify
from adapters.tickets.mounts import webhooks
from adapters.tickets.webhook import TicketEvent
from bot.models import SwarmStatus
from storage.database import SqlStore
from tests.adapters.tickets.conftest import webhook_server
from tests.fakes.jira_api import FakeJira
from tests.harness import MONDAY_MORNING, WORKSPACE, Clock
from tests.production.test_secrets_in_logs import everything_logged

SECRET = "jira-admin-webhook-secret-0123456789"


@dataclass
class Hooked:
    """The real server with the webhook mounted, a recording chat, and a way to send what Jira sends."""

    jira: FakeJira
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
        identifier: str | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        """POSTs as Jira does: the raw body signed with the secret, a new delivery identifier each time unless one is
        given."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.deliveries += 1
        sent = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE: signature(secret, body),
            IDENTIFIER: identifier or f"7f1d9c2e-0000-4000-8000-{self.deliveries:012d}",
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        sent.update(headers or {})
        async with self.session.post(self.url + PATH, data=body, headers=sent) as response:
            await response.read()
            return response

    def labelled(self, age: timedelta = timedelta(0)) -> dict[str, Any]:
        """The issue updated with the label `swarm` added: what asks for a swarm."""
        return self.jira.updated("SUP-123", at=self.clock() - age, labels="billing swarm")

    def said(self, channel: str) -> list[str]:
        return [render(r) for r in self.chat.posts(channel)]

    async def swarms(self) -> list[Any]:
        async with self.app.store.unit() as uow:
            ws = await uow.workspaces.ensure(WORKSPACE)
            return await uow.swarms.list(ws.id)


@pytest.fixture
async def hooked(store: SqlStore) -> AsyncIterator[Hooked]:
    async with FakeJira() as jira:
        jira.add_issue(
            "SUP-123",
            "ACME cannot export invoices to PDF",
            "Since Monday every export fails.",
            priority="Highest",
            labels=("billing",),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        client = Jira(jira.url, jira.email, jira.token, timeout=5)
        async with webhook_server(
            store,
            JiraWebhook,
            client,
            JIRA_URL=jira.url,
            JIRA_EMAIL=jira.email,
            JIRA_API_TOKEN=jira.token,
            JIRA_WEBHOOK_SECRET=SECRET,
        ) as served:
            yield Hooked(jira, served.app, served.chat, served.clock, served.url, served.session)


def _every_write_is_internal(jira: FakeJira) -> None:
    writes = jira.writes()
    assert writes, "nothing was written to the request"
    for call in writes:
        assert (call.method, call.path) == ("POST", "/rest/servicedeskapi/request/SUP-123/comment")
        assert call.body["public"] is False, call.body
    assert all(note["public"] is False for notes in jira.request_comments.values() for note in notes)


async def test_the_swarm_label_opens_a_swarm_owned_by_the_requests_assignee(hooked: Hooked) -> None:
    response = await hooked.deliver(hooked.labelled())

    assert response.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.status is SwarmStatus.OPEN and swarm.ticket.key == "jsm:SUP-123"
    assert swarm.case.text == "ACME cannot export invoices to PDF" and swarm.case.severity == 1
    assert swarm.case.customer == "ACME Corp" and swarm.case.description == "Since Monday every export fails."
    owner = await hooked.app.core.people.find(WORKSPACE, "ana@example.com")
    assert swarm.owner_id == owner.id
    announcement = hooked.said("support")[0]
    assert "*Swarm 1* is open for" in announcement and "Ticket jsm:SUP-123" in announcement
    [note] = hooked.jira.notes("SUP-123")
    assert note["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    _every_write_is_internal(hooked.jira)


async def test_a_request_created_with_the_label_opens_one_too(hooked: Hooked) -> None:
    hooked.jira.add_issue("SUP-124", "SSO loops", labels=("swarm",), assignee_email="ana@example.com")

    response = await hooked.deliver(hooked.jira.created("SUP-124", at=hooked.clock()))

    assert response.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.ticket.key == "jsm:SUP-124" and swarm.case.severity == 3  # Medium


async def test_an_assignee_whose_email_jira_hides_is_read_from_the_request(hooked: Hooked) -> None:
    payload = hooked.labelled()
    del payload["issue"]["fields"]["assignee"]["emailAddress"]  # their privacy settings hide it from webhooks

    response = await hooked.deliver(payload)

    assert response.status == 200
    [swarm] = await hooked.swarms()
    owner = await hooked.app.core.people.find(WORKSPACE, "ana@example.com")
    assert swarm.owner_id == owner.id


async def test_the_same_delivery_twice_opens_one_swarm(hooked: Hooked) -> None:
    labelled = hooked.labelled()
    first = await hooked.deliver(labelled, identifier="same-delivery")
    again = await hooked.deliver(labelled, identifier="same-delivery")  # Jira retried
    await hooked.deliver(hooked.jira.updated("SUP-123", at=hooked.clock(), labels="billing"))
    other = await hooked.deliver(hooked.labelled())  # the label removed and added again: a new delivery

    assert (first.status, again.status, other.status) == (200, 200, 200)
    assert len(await hooked.swarms()) == 1
    assert len(hooked.said("support")) == 1
    assert len(hooked.jira.notes("SUP-123")) == 1
    assert (
        hooked.chat.last_private("ana@example.com")
        == "Swarm 1 is already open for jsm:SUP-123: `/swarm join 1` joins it."
    )


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "not-the-webhook-secret"},
        {"headers": {SIGNATURE: ""}},
        {"headers": {SIGNATURE: "sha1=0123"}},
        {"age": timedelta(hours=2)},
        {"age": -timedelta(hours=2)},
    ],
)
async def test_a_forged_or_replayed_request_is_refused_and_changes_nothing(hooked: Hooked, forgery: Any) -> None:
    age = forgery.pop("age", timedelta(0))

    response = await hooked.deliver(hooked.labelled(age), **forgery)

    assert response.status == 401
    assert await hooked.swarms() == []
    assert hooked.jira.calls == []


async def test_a_body_signed_but_tampered_with_is_refused(hooked: Hooked) -> None:
    body = json.dumps(hooked.labelled()).encode()
    headers = {SIGNATURE: signature(SECRET, body), "Content-Type": "application/json"}
    tampered = body.replace(b"SUP-123", b"SUP-124")
    async with hooked.session.post(hooked.url + PATH, data=tampered, headers=headers) as response:
        assert response.status == 401
    assert await hooked.swarms() == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        {"webhookEvent": "jira:issue_updated"},
        {"webhookEvent": "jira:issue_updated", "timestamp": 1795510800000, "issue": {"key": "../1", "fields": {}}},
        {"webhookEvent": "jira:issue_updated", "timestamp": 1795510800000, "issue": {"key": "SUP-1", "fields": {}}},
        {"webhookEvent": "jira:issue_created", "issue": {"key": "SUP-1", "fields": {"labels": ["swarm"]}}},
    ],
)
async def test_a_body_that_is_no_jira_webhooks_is_a_bad_request(hooked: Hooked, payload: Any) -> None:
    response = await hooked.deliver(payload)

    assert response.status == 400
    assert await hooked.swarms() == []


async def test_what_swarm_does_not_follow_is_answered_and_changes_nothing(hooked: Hooked) -> None:
    at = hooked.clock()
    other_field = hooked.jira.updated("SUP-123", at=at, labels="billing pdf")
    created_plain = hooked.jira.created("SUP-123", at=at)
    deleted = {**hooked.jira.created("SUP-123", at=at), "webhookEvent": "jira:issue_deleted"}

    for payload in (other_field, created_plain, deleted):
        response = await hooked.deliver(payload)
        assert response.status == 200
        assert "ignored" in await response.json()
    assert await hooked.swarms() == []
    assert hooked.jira.calls == []


async def test_an_assignee_the_roster_does_not_know_opens_nothing(hooked: Hooked) -> None:
    hooked.jira.add_issue("SUP-9", "Nobody's", labels=("swarm",), assignee_email="nobody@example.com")
    unassigned = hooked.jira.add_issue("SUP-10", "Unassigned", labels=("swarm",))
    assert unassigned["fields"]["assignee"] is None

    first = await hooked.deliver(hooked.jira.created("SUP-9", at=hooked.clock()))
    second = await hooked.deliver(hooked.jira.created("SUP-10", at=hooked.clock()))

    assert (first.status, second.status) == (422, 422)
    assert await hooked.swarms() == []
    assert hooked.jira.writes() == []


async def test_jira_down_when_the_assignee_must_be_read_asks_for_the_delivery_again(hooked: Hooked) -> None:
    payload = hooked.labelled()
    del payload["issue"]["fields"]["assignee"]["emailAddress"]
    hooked.jira.down = True

    response = await hooked.deliver(payload)

    assert response.status == 503  # Jira retries a 5xx
    assert await hooked.swarms() == []


async def test_a_request_resolved_in_jira_is_told_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(hooked.labelled())
    [swarm] = await hooked.swarms()
    at = hooked.clock()

    progress = await hooked.deliver(hooked.jira.updated("SUP-123", at=at, status=("In progress", "indeterminate")))
    resolved = hooked.jira.updated("SUP-123", at=at, status=("Resolved", "done"))
    first = await hooked.deliver(resolved)
    again = await hooked.deliver(resolved)

    assert (progress.status, first.status, again.status) == (200, 200, 200)
    said = hooked.said(swarm.room_id)
    assert not any("In progress" in text or "in progress in" in text for text in said)
    told = [text for text in said if "was marked resolved in Jira Service Management" in text]
    # Nobody marked the fix: the owner is asked, the swarm stays open.
    assert len(told) == 1 and "@Ana Ruiz, if the case is fixed, `/swarm resolve 1`" in told[0]
    [swarm] = await hooked.swarms()
    assert swarm.ticket.status == "resolved" and swarm.status is SwarmStatus.OPEN


async def test_the_swarms_severity_follows_the_requests_priority(hooked: Hooked) -> None:
    await hooked.deliver(hooked.labelled())
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 1  # Highest

    lowered = await hooked.deliver(hooked.jira.updated("SUP-123", at=hooked.clock(), priority="Low"))
    await hooked.deliver(hooked.jira.updated("SUP-123", at=hooked.clock(), priority="Low"))

    assert lowered.status == 200
    [swarm] = await hooked.swarms()
    assert swarm.case.severity == 4
    told = [t for t in hooked.said(swarm.room_id) if "priority in Jira Service Management" in t]
    assert told == ["Ticket jsm:SUP-123 is now low priority in Jira Service Management: swarm 1 is sev4 now."]


async def test_a_customers_public_reply_is_said_in_the_room_once(hooked: Hooked) -> None:
    await hooked.deliver(hooked.labelled())
    [swarm] = await hooked.swarms()
    at = hooked.clock()
    reply = hooked.jira.commented("SUP-123", "It fails again <b>today</b> & yesterday", at=at)

    await hooked.deliver(reply)
    await hooked.deliver(reply)  # a retry, or a replay under another delivery id: the same comment
    await hooked.deliver(hooked.jira.commented("SUP-123", "Looking into it", at=at, by="agent"))
    await hooked.deliver(hooked.jira.commented("SUP-123", "Internal: the worker again?", at=at, public=False))

    told = [r.text for r in hooked.chat.posts(swarm.room_id) if r.text.startswith("Customer replied")]
    # Escaped as every word people typed is: the platform shows it as written, never as markup.
    assert told == ["Customer replied on jsm:SUP-123: It fails again &lt;b&gt;today&lt;/b&gt; &amp; yesterday"]


async def test_no_jira_secret_reaches_the_logs(hooked: Hooked) -> None:
    settings = hooked.app.settings
    basic = base64.b64encode(f"{hooked.jira.email}:{hooked.jira.token}".encode()).decode()
    with everything_logged(settings, "json") as out:
        await hooked.deliver(hooked.labelled())
        await hooked.deliver(hooked.labelled(), secret="forged")
        await hooked.deliver(hooked.jira.updated("SUP-123", at=hooked.clock(), status=("Resolved", "done")))
    logged = out.getvalue()
    assert "aiohttp.access" in logged  # the libraries did log at DEBUG
    for secret in (hooked.jira.token, SECRET, basic):
        assert secret not in logged


async def test_the_webhook_is_served(hooked: Hooked) -> None:
    [mount] = [m for m in webhooks(hooked.app, []) if isinstance(m, JiraWebhook)]
    assert mount.path == "/jira/webhook" and mount.secret == SECRET


def test_reading_a_delivery() -> None:
    jira = FakeJira()
    jira.add_issue("SUP-1", "Export", labels=("swarm",), assignee_email="ana@example.com")
    at = MONDAY_MORNING

    def of(payload: dict[str, Any]) -> TicketEvent | Ignored | None:
        return read(json.dumps(payload).encode(), "d-1")

    assert of(jira.created("SUP-1", at=at)) == TicketEvent("open", "SUP-1", "ana@example.com", delivery="d-1")
    both = jira.updated("SUP-1", at=at, status=("Done", "done"), priority="Low")
    assert of(both) == TicketEvent("status", "SUP-1", "Done", True, "d-1")  # one effect: the status first
    assert of(jira.updated("SUP-1", at=at, labels="Swarm")) == Ignored("no change Swarm follows")  # it was there
    comment = of(jira.commented("SUP-1", "Thanks", at=at))
    assert isinstance(comment, TicketEvent) and comment.delivery == f"comment-{jira.comments['SUP-1'][-1]['id']}"


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(["webhookEvent", "timestamp", "issue", "changelog", "comment", "x"]),
            st.one_of(
                st.sampled_from(["jira:issue_created", "jira:issue_updated", "comment_created", "SUP-1"]),
                st.integers(),
                st.text(max_size=20),
                st.dictionaries(
                    st.sampled_from(["key", "fields", "items", "id", "jsdPublic", "body"]),
                    st.one_of(st.just("SUP-1"), st.just({}), st.just([{"field": "status"}]), st.booleans()),
                ),
            ),
        ).map(lambda d: json.dumps(d).encode()),
    ),
    signed=st.text(max_size=80),
)
def test_any_request_is_read_or_refused_and_never_an_error(body: bytes, signed: str) -> None:
    found = read(body, "d")
    assert found is None or isinstance(found, Ignored) or found.ticket_id == "SUP-1"
    assert not verify(SECRET, {SIGNATURE: signed}, body, MONDAY_MORNING)
    good = signature(SECRET, body)
    if b'"timestamp"' not in body:  # no time to be stale by: the signature decides (and `read` refuses it)
        assert verify(SECRET, {SIGNATURE: good}, body, MONDAY_MORNING)
