"""`POST /jira/webhook`: a Jira admin webhook with a secret (docs/jira.md); what each event does is
adapters/tickets/webhook.py's, the same for every ticket system.

Jira signs each delivery of an admin webhook that has a secret: HMAC-SHA256, keyed by that secret, over the raw body,
hex, in `X-Hub-Signature: sha256=<hex>`. A request whose signature does not match is answered 401 and changes
nothing. The signature covers no header, so freshness comes from the body: its `timestamp` (when the event happened,
milliseconds) is signed with it, and a delivery whose event is more than an hour old (Jira retries for up to about
thirty minutes) is refused too, as a replay. Within that hour a replay does nothing twice: a ticket has one active
swarm, a status or priority it already has tells nothing, and a customer's comment is said once per comment id (in
the signed body, not the unsigned delivery header).

What the webhook's events mean (`webhookEvent`, and `changelog.items[]` for updates):

- `jira:issue_created` with the label `swarm`, or `jira:issue_updated` adding it → open a swarm for the issue, owned
  by its assignee (by e-mail: the body's, or else the issue's as Swarm reads it);
- `jira:issue_updated` changing `status` → the new status; done when its status category is `done`;
- `jira:issue_updated` changing `priority` → the new priority;
- `comment_created`, a public JSM comment (`jsdPublic`) by a customer (accountType `customer`, or the reporter) →
  the customer replied.

One delivery, one effect: when an update changes several of these at once, the first in that order counts (a swarm
opened reads the issue as it is then anyway). Anything else the webhook sends (another field changed, an agent's or
an internal comment) is answered 200 and changes nothing, so Jira neither retries nor counts it failed; a body that
is not a Jira webhook's, 400. The same delivery twice is known by `X-Atlassian-Webhook-Identifier`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.tickets.adf import plain_text
from adapters.tickets.jira import KEY, object_at
from adapters.tickets.webhook import Ignored, TicketEvent, TicketWebhook
from bot.errors import TicketNotFound, TicketSystemDown
from bot.tickets import JSM
from handlers.context import Context

log = logging.getLogger(__name__)

PATH = "/jira/webhook"
SIGNATURE = "X-Hub-Signature"
IDENTIFIER = "X-Atlassian-Webhook-Identifier"
TOLERANCE = timedelta(hours=1)
LABEL = "swarm"  # the label that asks for a swarm
DONE = "done"  # the status category key of a finished issue


def signature(secret: str, body: bytes) -> str:
    """What Jira puts in X-Hub-Signature for this body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """Whether a request is Jira's, signed with `secret`, about an event less than an hour from now (when the body
    says when; one that does not is no Jira webhook's, for `read` to refuse)."""
    signed = headers.get(SIGNATURE)
    if not signed or not hmac.compare_digest(signature(secret, body).encode(), signed.strip().encode()):
        return False
    when = _moment(_payload(body))
    return when is None or abs(now - when) <= TOLERANCE


def read(body: bytes, delivery: str | None = None) -> TicketEvent | Ignored | None:
    """What a (verified) delivery says: a TicketEvent, Ignored, or None when it is no Jira webhook's body."""
    payload = _payload(body)
    if payload is None or _moment(payload) is None or not isinstance(payload.get("webhookEvent"), str):
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str) or not KEY.fullmatch(issue["key"]):
        return None
    fields = issue.get("fields")
    if not isinstance(fields, dict):
        return None
    key, kind = issue["key"], payload["webhookEvent"]
    if kind == "jira:issue_created":
        if LABEL in _labels(fields.get("labels")):
            return TicketEvent("open", key, _email(fields), delivery=delivery)
        return Ignored("no swarm label")
    if kind == "jira:issue_updated":
        return _update(key, fields, payload.get("changelog"), delivery)
    if kind == "comment_created":
        return _comment(key, fields, payload.get("comment"))
    return Ignored(f"not an event Swarm follows: {kind[:60]}")


def _update(key: str, fields: dict[str, Any], changelog: Any, delivery: str | None) -> TicketEvent | Ignored | None:
    items = changelog.get("items") if isinstance(changelog, dict) else None
    if not isinstance(items, list):
        return None
    changed = {str(item.get("field")).lower(): item for item in items if isinstance(item, dict)}
    labels = changed.get("labels")
    if labels is not None and LABEL in _labels(labels.get("toString")) - _labels(labels.get("fromString")):
        return TicketEvent("open", key, _email(fields), delivery=delivery)
    status = changed.get("status")
    if status is not None:
        now = object_at(fields, "status")
        name = str(status.get("toString") or now.get("name") or "").strip()
        category = object_at(now, "statusCategory")
        if name:
            return TicketEvent("status", key, name, str(category.get("key") or "").lower() == DONE, delivery)
    priority = changed.get("priority")
    if priority is not None and str(priority.get("toString") or "").strip():
        return TicketEvent("priority", key, str(priority["toString"]).strip(), delivery=delivery)
    return Ignored("no change Swarm follows")


def _comment(key: str, fields: dict[str, Any], comment: Any) -> TicketEvent | Ignored | None:
    if not isinstance(comment, dict) or not isinstance(comment.get("id"), str | int):
        return None
    if comment.get("jsdPublic") is not True:
        return Ignored("not a public comment")
    author, reporter = object_at(comment, "author"), object_at(fields, "reporter")
    by_reporter = bool(author.get("accountId")) and author.get("accountId") == reporter.get("accountId")
    if author.get("accountType") != "customer" and not by_reporter:
        return Ignored("not the customer's comment")
    words = plain_text(comment.get("body"))
    if not words:
        return Ignored("an empty comment")
    # Said once per comment: its id is in the signed body, so a replay under another delivery id is known too.
    return TicketEvent("comment", key, words, delivery=f"comment-{str(comment['id'])[:40]}")


def _payload(body: bytes) -> dict[str, Any] | None:
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _moment(payload: dict[str, Any] | None) -> datetime | None:
    stamp = payload.get("timestamp") if payload else None
    if isinstance(stamp, bool) or not isinstance(stamp, int) or not 0 < stamp < 10**14:
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC)


def _labels(value: Any) -> set[str]:
    """Labels as the issue has them (a list) or as the changelog writes them (space-separated), lowercase."""
    found = value if isinstance(value, list) else str(value or "").split()
    return {str(label).lower() for label in found}


def _email(fields: dict[str, Any]) -> str:
    email = object_at(fields, "assignee").get("emailAddress")
    return email.strip() if isinstance(email, str) else ""


class JiraWebhook(TicketWebhook):
    system = JSM
    path = PATH
    vendor = "Jira"

    secret_setting = "jira_webhook_secret"

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(secret, headers, body, self.clock())

    def read(self, headers: Mapping[str, str], body: bytes) -> TicketEvent | Ignored | None:
        """An admin webhook sends every event of the issues its JQL picks: one that asks Swarm for nothing is
        Ignored (answered 200: a 400 for every ordinary edit would fill the webhook's log in Jira with failures)."""
        return read(body, headers.get(IDENTIFIER, "")[:100] or None)

    async def _open(self, ctx: Context, workspace: str, event: TicketEvent) -> web.Response:
        """Jira leaves the assignee's e-mail out of a webhook's body when their privacy settings hide it: then it is
        the issue's as Swarm reads it (its API token may see more)."""
        if "@" not in event.value:
            jira = (await ctx.core.tickets.systems_of(workspace)).get(JSM)
            if jira is None:
                return web.json_response({"error": "JIRA_URL is not set: the assignee cannot be read"}, status=422)
            try:
                ticket = await jira.fetch(event.ticket_id)
            except TicketNotFound:
                return web.json_response({"error": "Jira does not know the issue"}, status=422)
            except TicketSystemDown as down:
                log.warning(
                    "Jira did not answer for %s's assignee (%s): asking for the delivery again",
                    event.ticket_id,
                    down.reason,
                )
                return web.json_response({"error": "try again"}, status=503)
            event = replace(event, value=ticket.assignee_email or "")
        return await super()._open(ctx, workspace, event)
