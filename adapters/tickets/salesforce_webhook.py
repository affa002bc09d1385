"""`POST /salesforce/webhook`: the signed callouts an Apex trigger in the org makes for Cases (docs/salesforce.md);
what each event does is adapters/tickets/webhook.py's, the same for every ticket system.

Salesforce signs nothing of its own (Outbound Messages are unsigned SOAP; a Flow's HTTP callout sends what the admin
defines), so Swarm's Apex signs each callout itself, with a secret both sides hold (SALESFORCE_WEBHOOK_SECRET):
HMAC-SHA256 (Apex `Crypto.generateMac('hmacSHA256', …)`) over the value of `X-Swarm-Timestamp` (Unix seconds), a
`.`, and the raw body, base64-encoded (`EncodingUtil.base64Encode`), in `X-Swarm-Signature`. A forged body fails the
signature; a replayed one fails the timestamp once five minutes have passed, and within them is the same delivery
again: its `delivery` id is inside the signed body, so a replay cannot pass for a new one. Either is answered 401 and
changes nothing; a body that is not the JSON below, 400.

    {"event": "open", "case_id": "500…", "owner": "<Case.Owner.Email>", "delivery": "…"}
    {"event": "status", "case_id": "500…", "status": "<Case.Status>", "closed": <Case.IsClosed>, "delivery": "…"}
    {"event": "priority", "case_id": "500…", "priority": "<Case.Priority>", "delivery": "…"}
    {"event": "comment", "case_id": "500…", "comment": "<the customer's public CaseComment>", "delivery": "…"}

`case_id` is the Case's Id (15 or 18 characters; kept as 18, as the swarm keeps it). Any body may add
`"case_number": "<Case.CaseNumber>"`: a swarm opened while Salesforce was down keeps the reference typed (the Case
Number, or a 15-character Id), and is found by it when the Id finds none. `owner` is null for a Case a
queue owns, which opens nothing (422, as an owner the roster does not know). A Case that IsClosed (or, when the body
does not say, whose status is `Closed`) is done.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from adapters.tickets.salesforce import CASE_ID, CASE_NUMBER
from adapters.tickets.webhook import EventKind, TicketEvent, TicketWebhook
from bot.tickets import SALESFORCE
from handlers.context import Context

PATH = "/salesforce/webhook"
SIGNATURE = "X-Swarm-Signature"
TIMESTAMP = "X-Swarm-Timestamp"
TOLERANCE = timedelta(minutes=5)
# Each event and the field it needs beside case_id.
EVENTS: dict[EventKind, str] = {"open": "owner", "status": "status", "priority": "priority", "comment": "comment"}
DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the Apex of docs/salesforce.md puts in X-Swarm-Signature for this timestamp and body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """Whether a request is signed with `secret`, and fresh (its timestamp within five minutes of now)."""
    stamp, signed = headers.get(TIMESTAMP, "").strip(), headers.get(SIGNATURE)
    if not stamp.isdecimal() or len(stamp) > 12 or not signed:
        return False
    if abs(now.timestamp() - int(stamp)) > TOLERANCE.total_seconds():
        return False
    return hmac.compare_digest(signature(secret, stamp, body).encode(), signed.strip().encode())


def full_id(case_id: str) -> str:
    """A record id's 18-character form: a 15-character id with the suffix Salesforce computes (each five
    characters' capitals as bits), so that either form finds the swarm."""
    if len(case_id) != 15:
        return case_id
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(case_id[start : start + 5]) if "A" <= char <= "Z")
        suffix += _SUFFIX[bits]
    return case_id + suffix


def read(body: bytes) -> dict[str, Any] | None:
    """The delivery's fields, or None when it is not one of the bodies above."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    event = payload.get("event")
    case_id, delivery = payload.get("case_id"), payload.get("delivery")
    if event not in EVENTS or not isinstance(case_id, str) or not CASE_ID.fullmatch(case_id):
        return None
    if not isinstance(delivery, str) or not DELIVERY.fullmatch(delivery):
        return None
    value = payload.get(EVENTS[event])
    if event == "open" and value is None:
        value = ""  # a Case a queue owns: its owner has no e-mail, and the mount says no one in the roster owns it
    if not isinstance(value, str) or (event != "open" and not value.strip()):
        return None
    closed, number = payload.get("closed"), payload.get("case_number")
    if closed is not None and not isinstance(closed, bool):
        return None
    if number is not None and not (isinstance(number, str) and CASE_NUMBER.fullmatch(number)):
        return None
    return {
        "event": event,
        "case_id": full_id(case_id),
        "value": value.strip(),
        "delivery": delivery,
        "closed": closed,
        "case_number": number,
    }


@dataclass(frozen=True)
class CaseEvent(TicketEvent):
    """A TicketEvent that also names the other references a swarm may keep for the Case."""

    aliases: tuple[str, ...] = ()


class SalesforceWebhook(TicketWebhook):
    system = SALESFORCE
    path = PATH
    vendor = "Salesforce"

    secret_setting = "salesforce_webhook_secret"

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(secret, headers, body, self.clock())

    def read(self, headers: Mapping[str, str], body: bytes) -> TicketEvent | None:
        fields = read(body)
        if fields is None:
            return None
        kind = next(k for k in EVENTS if k == fields["event"])
        value = str(fields["value"])
        closed = fields["closed"]
        done = kind == "status" and (closed if closed is not None else value.lower() == "closed")
        case_id, number = str(fields["case_id"]), fields["case_number"]
        aliases = (case_id[:15], *((str(number),) if number else ()))
        return CaseEvent(kind, case_id, value, done, str(fields["delivery"]), aliases)

    async def _tell(self, ctx: Context, workspace: str, event: TicketEvent) -> bool:
        """As every system's webhook tells, by the Id; then, if that told nothing, by each other reference a swarm
        opened while Salesforce was down may keep. A swarm keeps one, so at most one of them finds it."""
        told = await super()._tell(ctx, workspace, event)
        for alias in event.aliases if isinstance(event, CaseEvent) else ():
            if told:
                break
            told = await super()._tell(ctx, workspace, replace(event, ticket_id=alias))
        return told
