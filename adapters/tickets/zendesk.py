"""Zendesk Support's REST API (`/api/v2`), as the core's TicketSystem: read a ticket, add an internal note.

A thin async client on aiohttp rather than zenpy: zenpy is synchronous (each call would hold a thread), it sleeps
through rate limits itself (the outbox must hear a 429 and its Retry-After, and move on), and it is GPL-3.0, which an
Apache-2.0 project cannot ship with. Swarm needs four endpoints (docs/zendesk.md).

Every call raises bot.errors.TicketNotFound for what Zendesk will never do (404, a closed ticket's 422) and
TicketSystemDown for what may work later (429 with its Retry-After, 5xx, 401/403, a timeout, no connection).
Nothing here logs a ticket's words or anyone's e-mail.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.tickets import answers
from bot.errors import TicketNotFound, TicketSystemDown
from bot.models import SolvedPage, SolvedTicket, Ticket

log = logging.getLogger(__name__)

JSON = dict[str, Any]
RETRY_AFTER_UNSAID = 60.0  # a 429 without Retry-After: Zendesk's limits are per minute
RATINGS = ("good", "bad", "offered", "unoffered")  # SatisfactionRatingObject's `score`
DONE = ("solved", "closed")  # the statuses of a finished ticket
AGENTS = ("agent", "admin")  # the roles of the people who solve tickets; the rest are end users


class Zendesk:
    name = "Zendesk"

    def __init__(
        self,
        url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        # HTTP Basic with `{email}/token` and the API token (oas.yaml's basicAuth).
        basic = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._sleep = sleep  # how the history export waits out a 429
        self._emails: dict[int, str | None] = {}  # agents' e-mails read during an export, by user id

    def url(self, ticket_id: str) -> str:
        return f"{self.base}/agent/tickets/{ticket_id}"

    def accepts(self, host: str | None) -> bool:
        """A short reference always; a URL of this account; any URL when ZENDESK_URL is no zendesk.com address (a
        sandbox, a test fake), which cannot be told apart."""
        own = (urlsplit(self.base).hostname or "").lower()
        return host is None or host == own or not own.endswith(".zendesk.com")

    async def fetch(self, ticket_id: str) -> Ticket:
        """ShowTicket, then at once ShowOrganization (the ticket's, or else its requester's by ShowUser) and ShowUser
        for the assignee: two to four calls, two or three round trips. The description is the first comment
        (ListTicketComments when it is empty)."""
        ticket = (await self._call("GET", f"/api/v2/tickets/{_id(ticket_id)}"))["ticket"]
        # What the ticket points to is read at once: one round trip more than the ticket's, not three.
        description, organization, assignee_email = await asyncio.gather(
            self._description(ticket), self._organization(ticket), self._assignee_email(ticket)
        )
        return Ticket(
            system="zd",
            id=str(ticket["id"]),
            subject=str(ticket.get("subject") or ticket.get("raw_subject") or ""),
            description=str(description or ""),
            organization=organization,
            priority=ticket.get("priority"),
            status=ticket.get("status"),
            tags=tuple(str(t) for t in ticket.get("tags") or ()),
            assignee_email=assignee_email,
            created_at=answers.iso_time(ticket.get("created_at")),
            url=self.url(str(ticket["id"])),
        )

    async def rating(self, ticket_id: str) -> str | None:
        """ShowTicket's `satisfaction_rating`: its `score` (`good`, `bad`, `offered`, `unoffered`); None on a plan
        without CSAT (the field is null)."""
        ticket = (await self._call("GET", f"/api/v2/tickets/{_id(ticket_id)}")).get("ticket")
        found = ticket.get("satisfaction_rating") if isinstance(ticket, dict) else None
        score = found.get("score") if isinstance(found, dict) else None
        return score if score in RATINGS else None

    async def add_note(self, ticket_id: str, body: str) -> None:
        """UpdateTicket with a private comment: `public: false` is what makes it an internal note."""
        payload = {"ticket": {"comment": {"body": body, "public": False}}}
        await self._call("PUT", f"/api/v2/tickets/{_id(ticket_id)}", payload)

    async def solved(
        self, since: datetime, cursor: str | None = None, known: Callable[[str], Awaitable[bool]] | None = None
    ) -> AsyncIterator[SolvedPage]:
        """TicketHistory: IncrementalTicketExportCursor from `start_time` (or from `cursor`), keeping the solved and
        closed tickets of each page; for each not `known`, ListTicketComments (newest first, with its authors as
        sideloaded users) gives the solving comment, who solved it and who else helped. A 429 is waited out."""
        params = {"cursor": cursor} if cursor else {"start_time": str(max(int(since.timestamp()), 0))}
        while True:
            page = await self._patient("/api/v2/incremental/tickets/cursor", params)
            found = [t for t in page.get("tickets") or () if isinstance(t, dict) and t.get("status") in DONE]
            tickets, skipped = [], []
            for ticket in found:  # one at a time: the calls are rate limited anyway
                if known is not None and await known(str(ticket["id"])):
                    skipped.append(str(ticket["id"]))
                else:
                    tickets.append(await self._solved(ticket))
            after = page.get("after_cursor") if isinstance(page.get("after_cursor"), str) else None
            last = bool(page.get("end_of_stream")) or not after
            yield SolvedPage(tuple(tickets), after or params.get("cursor"), last, tuple(skipped))
            if last:
                return
            params = {"cursor": str(after)}

    async def _solved(self, ticket: JSON) -> SolvedTicket:
        found = await self._patient(
            f"/api/v2/tickets/{ticket['id']}/comments", {"sort_order": "desc", "include": "users"}
        )
        comments = [c for c in found.get("comments") or () if isinstance(c, dict)]
        users = {u["id"]: u for u in found.get("users") or () if isinstance(u, dict) and "id" in u}
        agents = {i for i, u in users.items() if u.get("role") in AGENTS}
        for user_id, user in users.items():
            self._emails.setdefault(user_id, user.get("email"))
        assignee = ticket.get("assignee_id")
        # The solving comment: the assignee's latest, else the latest of any agent (newest first).
        solving = next((c for c in comments if c.get("author_id") == assignee and assignee is not None), None)
        solving = solving or next((c for c in comments if c.get("author_id") in agents), None)
        solver = assignee if assignee is not None else (solving or {}).get("author_id")
        solver_email = await self._email(solver) if solver is not None else None
        helpers = dict.fromkeys(int(c["author_id"]) for c in comments if c.get("author_id") in agents)
        if solver is not None:
            helpers.pop(int(solver), None)
        emails = [self._emails.get(h) for h in helpers]
        return SolvedTicket(
            system="zd",
            id=str(ticket["id"]),
            subject=str(ticket.get("subject") or ticket.get("raw_subject") or ""),
            description=str(ticket.get("description") or ""),
            tags=tuple(str(t) for t in ticket.get("tags") or ()),
            assignee_email=solver_email,
            participant_emails=tuple(e for e in emails if e),
            created_at=answers.iso_time(ticket.get("created_at")),
            solved_at=answers.iso_time((solving or {}).get("created_at")) or answers.iso_time(ticket.get("updated_at")),
            solution=str((solving or {}).get("plain_body") or (solving or {}).get("body") or ""),
        )

    async def _email(self, user_id: int) -> str | None:
        if user_id not in self._emails:
            try:
                user = (await self._patient(f"/api/v2/users/{user_id}", {})).get("user")
            except TicketNotFound:
                user = None
            self._emails[user_id] = user.get("email") if isinstance(user, dict) else None
        return self._emails[user_id]

    async def _patient(self, path: str, params: dict[str, str]) -> JSON:
        """GET for an offline command: a 429 is waited out as long as it asks (answers.patiently)."""
        return await answers.patiently(lambda: self._call("GET", path, params=params), self._sleep, self.name)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _description(self, ticket: JSON) -> str:
        """The ticket's first comment: its description, or ListTicketComments' first when that is empty."""
        if ticket.get("description"):
            return str(ticket["description"])
        found = await self._call("GET", f"/api/v2/tickets/{ticket['id']}/comments", params={"sort_order": "asc"})
        comments = found.get("comments") or []
        first = comments[0] if comments else {}
        return str(first.get("plain_body") or first.get("body") or "")

    async def _organization(self, ticket: JSON) -> str | None:
        """The name of the ticket's organisation, or else of its requester's."""
        organization_id = ticket.get("organization_id")
        if organization_id is None and ticket.get("requester_id") is not None:
            requester = await self._optional(f"/api/v2/users/{ticket['requester_id']}", "user")
            organization_id = requester.get("organization_id") if requester else None
        if organization_id is None:
            return None
        found = await self._optional(f"/api/v2/organizations/{organization_id}", "organization")
        return str(found["name"]) if found and found.get("name") else None

    async def _assignee_email(self, ticket: JSON) -> str | None:
        if ticket.get("assignee_id") is None:
            return None
        assignee = await self._optional(f"/api/v2/users/{ticket['assignee_id']}", "user")
        return str(assignee["email"]) if assignee and assignee.get("email") else None

    async def _optional(self, path: str, key: str) -> JSON | None:
        """A record the ticket points to; one that is gone (404) is only missing, not the ticket."""
        try:
            found = (await self._call("GET", path)).get(key)
        except TicketNotFound:
            return None
        return found if isinstance(found, dict) else None

    async def _call(
        self, method: str, path: str, payload: JSON | None = None, params: dict[str, str] | None = None
    ) -> JSON:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        try:
            async with self._session.request(method, self.base + path, json=payload, params=params) as response:
                if response.status == 429:
                    wait = answers.seconds(response.headers.get("Retry-After"))
                    raise TicketSystemDown("429 rate limited", RETRY_AFTER_UNSAID if wait is None else wait)
                if response.status == 404:
                    raise TicketNotFound(path)
                if response.status == 422 and method != "GET":
                    # A closed ticket takes no more comments: waiting will not change that.
                    raise TicketNotFound(f"{path}: refused (422)")
                if response.status in (401, 403):
                    log.error(
                        "Zendesk refused Swarm's credentials (%s): check ZENDESK_EMAIL and ZENDESK_API_TOKEN",
                        response.status,
                    )
                    raise TicketSystemDown(f"{response.status} not allowed")
                if response.status >= 300:
                    raise TicketSystemDown(f"{response.status} {response.reason or ''}".strip())
                found = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TicketSystemDown(type(error).__name__) from error
        except ValueError as error:  # not JSON
            raise TicketSystemDown("unreadable answer") from error
        if not isinstance(found, dict):
            raise TicketSystemDown("unreadable answer")
        return found


def _id(ticket_id: str) -> str:
    """Ticket ids are numbers; anything else never reaches a URL."""
    if not ticket_id.isdecimal():
        raise TicketNotFound(ticket_id)
    return ticket_id
