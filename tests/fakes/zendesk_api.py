"""A loopback fake of Zendesk's Support API (`/api/v2/…`), for tests that drive the real Zendesk adapter.

    async with FakeZendesk() as zendesk:
        zendesk.add_ticket(4521, "ACME cannot export invoices", priority="high", organization="ACME Corp")
        ... ZENDESK_URL=zendesk.url ...
        assert zendesk.notes(4521) == [...]

Shapes follow Zendesk's OpenAPI document (`../shared/ticket-api-specs/zendesk/oas.yaml`: ShowTicket, ListTicketComments
(with `include=users`, the sideload its description documents), ShowUser, ShowOrganization, UpdateTicket,
IncrementalTicketExportCursor (CursorBasedExportIncrementalTicketsResponse; `per_page` here is the fake's page size), a
ticket's `satisfaction_rating` as TicketObject and SatisfactionRatingObject describe it) and the real responses decoded
from zenpy's recordings (`examples/zenpy-betamax/decoded/`): a ticket object has the fields a real one has, ids are
numbers, times are ISO 8601 UTC with a `Z`, a missing record is `404 {"error": "RecordNotFound", "description": "Not
found"}`. Zendesk's rules that bite are kept: a comment added by UpdateTicket is public unless it says `"public":
false`; a closed ticket cannot be updated (422); every call needs HTTP Basic `{email}/token:{api_token}` (401
otherwise).

Every request is recorded in `calls`; `fail` answers the next calls with an error (429 with Retry-After, 503), and
`down` makes every call fail as an outage does.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.fakes.loopback import Call, Fault, Loopback, retry_after

JSON = dict[str, Any]

EMAIL = "swarm-bot@acme.example"
TOKEN = "fake-zendesk-api-token-0123456789"
CREATED = "2026-11-23T08:12:05Z"


@dataclass
class FakeZendesk(Loopback):
    email: str = EMAIL
    token: str = TOKEN
    down: bool = False  # every call answers 503, as Zendesk does in an outage (or a maintenance window)
    latency: float = 0.0  # seconds each answer takes, as across the internet (bench/tickets.py)
    calls: list[Call] = field(default_factory=list)
    tickets: dict[int, JSON] = field(default_factory=dict)
    comments: dict[int, list[JSON]] = field(default_factory=dict)
    users: dict[int, JSON] = field(default_factory=dict)
    organizations: dict[int, JSON] = field(default_factory=dict)
    per_page: int = 1000  # tickets per page of the incremental export (Zendesk's own is 1000)

    def __post_init__(self) -> None:
        self._ids = itertools.count(6130907993114)
        app = web.Application()
        app.router.add_get("/api/v2/tickets/{ticket_id}", self._show_ticket)
        app.router.add_put("/api/v2/tickets/{ticket_id}", self._update_ticket)
        app.router.add_get("/api/v2/tickets/{ticket_id}/comments", self._list_comments)
        app.router.add_get("/api/v2/users/{user_id}", self._show_user)
        app.router.add_get("/api/v2/organizations/{organization_id}", self._show_organization)
        app.router.add_get("/api/v2/incremental/tickets/cursor", self._export_tickets)
        self.serve(app)

    @property
    def url(self) -> str:
        """The account's address, as ZENDESK_URL takes it (`https://acme.zendesk.com`)."""
        return super().url

    # -- the account's data ---------------------------------------------------------------------------------------

    def add_user(self, name: str, email: str | None, role: str = "end-user", organization_id: int | None = None) -> int:
        user_id = next(self._ids)
        self.users[user_id] = {
            "id": user_id,
            "url": f"{self._api()}/users/{user_id}.json",
            "name": name,
            "email": email,
            "created_at": CREATED,
            "updated_at": CREATED,
            "time_zone": "Europe/Madrid",
            "iana_time_zone": "Europe/Madrid",
            "locale": "en-US",
            "organization_id": organization_id,
            "role": role,
            "verified": True,
            "active": True,
            "suspended": False,
            "tags": [],
            "user_fields": {},
        }
        return user_id

    def add_organization(self, name: str) -> int:
        organization_id = next(self._ids)
        self.organizations[organization_id] = {
            "url": f"{self._api()}/organizations/{organization_id}.json",
            "id": organization_id,
            "name": name,
            "shared_tickets": False,
            "shared_comments": False,
            "external_id": None,
            "created_at": CREATED,
            "updated_at": CREATED,
            "domain_names": [],
            "details": None,
            "notes": None,
            "group_id": None,
            "tags": [],
            "organization_fields": {},
        }
        return organization_id

    def add_ticket(
        self,
        ticket_id: int,
        subject: str,
        description: str = "Hi there, something is broken.",
        *,
        priority: str | None = "normal",
        status: str = "open",
        tags: tuple[str, ...] = (),
        organization: str | None = None,
        organization_on_ticket: bool = True,
        assignee_email: str | None = None,
    ) -> JSON:
        """A ticket as an end user would have filed it: its requester (of `organization`, if given), its first
        comment (the description), an agent assignee with that e-mail."""
        organization_id = self.add_organization(organization) if organization else None
        requester = self.add_user("The Customer", "customer@client.example", organization_id=organization_id)
        assignee = self.add_user("Agent", assignee_email, role="agent") if assignee_email else None
        ticket = {
            "url": f"{self._api()}/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": None,
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": CREATED,
            "updated_at": CREATED,
            "type": "incident",
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "priority": priority,
            "status": status,
            "recipient": None,
            "requester_id": requester,
            "submitter_id": requester,
            "assignee_id": assignee,
            "organization_id": organization_id if organization_on_ticket else None,
            "group_id": 6130852536346,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": list(tags),
            "custom_fields": [],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": 6130892426138,
            "followup_ids": [],
            "ticket_form_id": 6130830344474,
            "brand_id": 6130830354842,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }
        self.tickets[ticket_id] = ticket
        self.comments[ticket_id] = [self._comment(requester, description, public=True)]
        return ticket

    def solve(
        self,
        ticket_id: int,
        comment: str,
        *,
        by: str | None = None,
        helpers: tuple[str, ...] = (),
        at: str = "2026-11-24T10:30:00Z",
    ) -> None:
        """An agent solves the ticket with a public comment (the assignee, or the agent `by` made assignee); each of
        `helpers` (agents' e-mails) left an internal note before."""
        ticket = self.tickets[ticket_id]
        if by is not None:
            ticket["assignee_id"] = self.add_user(by.split("@")[0].title(), by, role="agent")
        for email in helpers:
            helper = self.add_user(email.split("@")[0].title(), email, role="agent")
            self.comments[ticket_id].append(
                self._comment(helper, f"Have you tried {email}'s trick?", public=False, at=at)
            )
        self.comments[ticket_id].append(self._comment(ticket["assignee_id"], comment, public=True, at=at))
        ticket["status"], ticket["updated_at"] = "solved", at

    def rate(self, ticket_id: int, score: str) -> None:
        """The customer's answer to the satisfaction survey (`good`, `bad`), or its state (`offered`, `unoffered`)."""
        ticket = self.tickets[ticket_id]
        ticket["satisfaction_rating"] = {"id": next(self._ids), "score": score, "comment": None}

    def _comment(self, author_id: int, body: str, public: bool, at: str = CREATED) -> JSON:
        return {
            "id": next(self._ids),
            "type": "Comment",
            "author_id": author_id,
            "body": body,
            "html_body": f'<div class="zd-comment" dir="auto"><p>{body}</p></div>',
            "plain_body": body,
            "public": public,
            "attachments": [],
            "audit_id": next(self._ids),
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "metadata": {"system": {"client": "Swarm"}, "custom": {}},
            "created_at": at,
        }

    def _api(self) -> str:
        return f"{self.url}/api/v2" if self.serving else "https://acme.zendesk.com/api/v2"

    # -- faults ---------------------------------------------------------------------------------------------------

    def fail(self, times: int = 1, status: int = 429, retry_after: float | str | None = None) -> None:
        """The next `times` calls fail with `status` (and a Retry-After header, if given)."""
        self.queue_faults(times, Fault(status, None if retry_after is None else str(retry_after)))

    # -- what happened --------------------------------------------------------------------------------------------

    def notes(self, ticket_id: int) -> list[JSON]:
        """The comments Swarm added to a ticket (all but the first, the requester's), oldest first."""
        return self.comments.get(ticket_id, [])[1:]

    # -- routes ---------------------------------------------------------------------------------------------------

    async def _begin(self, request: web.Request) -> tuple[Call, web.Response | None]:
        call = await self.record(request)
        if self.down:
            return call, self._error(call, 503, "ServiceUnavailable", "Maintenance")
        fault = self.next_fault()
        if fault is not None:
            if fault.status == 429:
                # Zendesk's 429 body is plain text ("Rate limit for ticket updates exceeded, please wait…").
                call.status = 429
                return call, web.Response(status=429, text="Too Many Requests", headers=retry_after(fault))
            return call, self._error(call, fault.status, "ServiceUnavailable", "Try again", retry_after(fault))
        if request.headers.get("Authorization") != self._basic():
            return call, self._error(call, 401, "Couldn't authenticate you", "")
        return call, None

    def _basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()

    @staticmethod
    def _error(
        call: Call, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status = status
        return web.json_response({"error": error, "description": description}, status=status, headers=headers)

    def _record(self, call: Call, collection: dict[int, JSON], raw: str) -> JSON | web.Response:
        key = int(raw) if raw.isdecimal() else -1
        if key not in collection:
            return self._error(call, 404, "RecordNotFound", "Not found")
        return collection[key]

    async def _show_ticket(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._record(call, self.tickets, request.match_info["ticket_id"])
        return found if isinstance(found, web.Response) else web.json_response({"ticket": found})

    async def _list_comments(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._record(call, self.tickets, request.match_info["ticket_id"])
        if isinstance(found, web.Response):
            return found
        comments = self.comments[found["id"]]
        if request.query.get("sort_order") == "desc":
            comments = comments[::-1]
        page: JSON = {"comments": comments, "next_page": None, "previous_page": None, "count": len(comments)}
        if request.query.get("include") == "users":
            authors = dict.fromkeys(c["author_id"] for c in comments)
            page["users"] = [self.users[a] for a in authors if a in self.users]
        return web.json_response(page)

    async def _export_tickets(self, request: web.Request) -> web.Response:
        """The tickets changed since `start_time` (Unix seconds), oldest change first, `per_page` at a time; the
        cursor is where the next page starts. Past the last ticket, `end_of_stream` and the same cursor again."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        cursor, start = request.query.get("cursor"), request.query.get("start_time", "")
        if cursor is not None:
            try:
                since, offset = (int(part) for part in base64.b64decode(cursor).decode().split("|"))
            except ValueError:
                return self._error(call, 400, "InvalidCursor", "Invalid cursor")
        elif start.isdecimal():
            since, offset = int(start), 0
        else:
            return self._error(call, 400, "InvalidValue", "start_time is required")
        changed = sorted(
            (t for t in self.tickets.values() if _unix(t["updated_at"]) >= since),
            key=lambda t: (_unix(t["updated_at"]), t["id"]),
        )
        tickets = changed[offset : offset + self.per_page]
        after = base64.b64encode(f"{since}|{offset + len(tickets)}".encode()).decode()
        return web.json_response(
            {
                "tickets": tickets,
                "after_cursor": after,
                "after_url": f"{self._api()}/incremental/tickets/cursor.json?cursor={after}",
                "before_cursor": None,
                "before_url": None,
                "end_of_stream": offset + len(tickets) >= len(changed),
            }
        )

    async def _show_user(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._record(call, self.users, request.match_info["user_id"])
        return found if isinstance(found, web.Response) else web.json_response({"user": found})

    async def _show_organization(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._record(call, self.organizations, request.match_info["organization_id"])
        return found if isinstance(found, web.Response) else web.json_response({"organization": found})

    async def _update_ticket(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._record(call, self.tickets, request.match_info["ticket_id"])
        if isinstance(found, web.Response):
            return found
        update = call.body.get("ticket") if isinstance(call.body, dict) else None
        if not isinstance(update, dict):
            return self._error(call, 400, "InvalidEndpoint", "Expected a ticket object")
        if found["status"] == "closed":
            call.status = 422
            details = {"status": [{"description": "Status: closed prevents ticket update"}]}
            return web.json_response(
                {"error": "RecordInvalid", "description": "Record validation errors", "details": details}, status=422
            )
        comment = update.get("comment")
        if isinstance(comment, dict):
            body = comment.get("body") or comment.get("html_body")
            if not isinstance(body, str) or not body.strip():
                return self._error(call, 422, "RecordInvalid", "Comment: body cannot be blank")
            # Zendesk's own default: a comment is public unless it says otherwise.
            public = comment.get("public", True)
            self.comments[found["id"]].append(self._comment(6130907993114, body, public=bool(public)))
        for name in ("status", "priority", "tags", "subject"):
            if name in update:
                found[name] = update[name]
        audit = {"id": next(self._ids), "ticket_id": found["id"], "created_at": CREATED, "events": []}
        return web.json_response({"ticket": found, "audit": audit})


def _unix(moment: str) -> int:
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())
