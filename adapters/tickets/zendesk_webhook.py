"""`POST /zendesk/webhook`: Zendesk's signed webhooks, from triggers on tickets (docs/zendesk.md); what each event
does is adapters/tickets/webhook.py's, the same for every ticket system.

Zendesk signs each request: HMAC-SHA256, keyed by the webhook's signing secret, over the value of
`X-Zendesk-Webhook-Signature-Timestamp` immediately followed by the raw body, base64-encoded, in
`X-Zendesk-Webhook-Signature`. A request whose signature does not match, or whose timestamp is more than five minutes
from now (a replay), is answered 401 and changes nothing; a body that is not the JSON below, 400.

The body is the one the triggers of docs/zendesk.md send:

    {"event": "open", "ticket_id": "{{ticket.id}}", "assignee": "{{ticket.assignee.email}}"}
    {"event": "status", "ticket_id": "{{ticket.id}}", "status": "{{ticket.status}}"}
    {"event": "priority", "ticket_id": "{{ticket.id}}", "priority": "{{ticket.priority}}"}
    {"event": "comment", "ticket_id": "{{ticket.id}}", "comment": "{{ticket.latest_public_comment}}"}

The same delivery twice is known by Zendesk's invocation id. A ticket solved or closed is done.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from adapters.tickets.webhook import EventKind, TicketEvent, TicketWebhook
from bot.tickets import ZENDESK

PATH = "/zendesk/webhook"
SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION = "X-Zendesk-Webhook-Invocation-Id"
TOLERANCE = timedelta(minutes=5)
# Each event and the field it needs beside ticket_id.
EVENTS: dict[EventKind, str] = {"open": "ticket_id", "status": "status", "priority": "priority", "comment": "comment"}
DONE = ("solved", "closed")  # the statuses after which Zendesk counts a ticket finished


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Zendesk puts in X-Zendesk-Webhook-Signature for this timestamp and body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """Whether a request is Zendesk's, signed with `secret`, and fresh (its timestamp within five minutes of now)."""
    stamp, signed = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not stamp or not signed:
        return False
    when = _moment(stamp)
    if when is None or abs(now - when) > TOLERANCE:
        return False
    return hmac.compare_digest(signature(secret, stamp, body).encode(), signed.encode())


def _moment(stamp: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def read(body: bytes) -> dict[str, str] | None:
    """The delivery's fields, or None when it is not one of the bodies above."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    fields = {key: str(value).strip() for key, value in payload.items() if isinstance(value, str | int)}
    event = fields.get("event", "")
    if event not in EVENTS or not fields.get("ticket_id", "").isdecimal() or len(fields["ticket_id"]) > 18:
        return None
    if not fields.get(EVENTS[event]):
        return None
    return fields


class ZendeskWebhook(TicketWebhook):
    system = ZENDESK
    path = PATH
    vendor = "Zendesk"

    secret_setting = "zendesk_webhook_secret"

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(secret, headers, body, self.clock())

    def read(self, headers: Mapping[str, str], body: bytes) -> TicketEvent | None:
        fields = read(body)
        if fields is None:
            return None
        kind = next(k for k in EVENTS if k == fields["event"])
        value = fields.get("assignee", "") if kind == "open" else fields[EVENTS[kind]]
        invocation = headers.get(INVOCATION, "")[:100] or None
        done = kind == "status" and value.lower() in DONE
        return TicketEvent(kind, fields["ticket_id"], value, done, invocation)
