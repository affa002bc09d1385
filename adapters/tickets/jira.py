"""Jira Service Management Cloud (Jira's REST API v3 and JSM's `/rest/servicedeskapi`), as the core's TicketSystem:
read a request (an issue), add an internal comment; and, opt-in, the customer's satisfaction rating (TicketRatings)
and the solved requests as history (TicketHistory).

A thin async client on aiohttp rather than atlassian-python-api: that library is synchronous (on `requests`: each
call would hold a thread off the event loop) and retries and sleeps through 429s and 5xx on its own, where the outbox
must hear a 429 and its Retry-After and move on. Swarm needs seven endpoints (docs/jira.md).

Every call raises bot.errors.TicketNotFound for what Jira will never do (404: no such issue, or not a JSM request;
a key that is no key) and TicketSystemDown for what may work later (429 with its Retry-After, 5xx, 401/403, a
timeout, no connection). Nothing here logs a ticket's words or anyone's e-mail.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.tickets import answers
from adapters.tickets.adf import plain_text
from bot.errors import TicketNotFound, TicketSystemDown
from bot.models import SolvedPage, SolvedTicket, Ticket
from bot.tickets import JSM

log = logging.getLogger(__name__)

JSON = dict[str, Any]
RETRY_AFTER_UNSAID = 60.0  # a 429 without Retry-After (Jira sends one; a proxy may not)
KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}-\d{1,18}")  # a project key, a dash, a number: all that reaches a URL
# The JSM custom field that holds a request's organisations; its id (`customfield_10002`, …) differs per site.
ORGANIZATIONS_FIELD = "com.atlassian.servicedesk:sd-customer-organizations"
FIELDS = ("summary", "description", "priority", "labels", "status", "created", "assignee", "reporter")
UNKNOWN = "?"  # the organisations field not looked up yet
PAGE = 100  # issues asked for per page of a search (Jira may give fewer)
SOLVED_FIELDS = ("summary", "description", "labels", "created", "updated", "resolutiondate", "assignee", "reporter")
# JQL takes a date without a time zone and reads it in the searching account's: a day wider than asked covers any
# zone (UTC-12 to UTC+14) and the minutes JQL cannot say; what is before the real bound is dropped here.
JQL_MARGIN = timedelta(days=1)
# The search "might not" show the latest changes at once (its spec): a re-run carries on a little before the last
# change it listed, so one indexed late is not skipped for good. What it lists again is known, and skipped unread.
RESUME_LAG = timedelta(minutes=5)
GOOD, BAD = range(4, 6), range(1, 4)  # CSATFeedbackFullDTO's `rating`, 1..5: satisfied (4-5) or not (1-3)


class Jira:
    name = "Jira Service Management"

    def __init__(
        self,
        url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        # HTTP Basic with the account's e-mail and an API token (both specs' basicAuth).
        basic = base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._organizations_field: str | None = UNKNOWN
        self._sleep = sleep  # how the history export waits out a 429

    def url(self, ticket_id: str) -> str:
        return f"{self.base}/browse/{ticket_id}"

    def accepts(self, host: str | None) -> bool:
        """A short reference always; a URL of this site; any URL when JIRA_URL is no atlassian.net address (a test
        fake, a proxy), which cannot be told apart."""
        own = (urlsplit(self.base).hostname or "").lower()
        return host is None or host == own or not own.endswith(".atlassian.net")

    async def fetch(self, ticket_id: str) -> Ticket:
        """getIssue with the fields a case needs: one call, once the site's organisations field is known (getFields,
        once per process). The requester's organisations (getOrganizations) when the request has none, and the first
        comment (getComments) when the description is empty, are read at once after it."""
        key = _key(ticket_id)
        organizations_field = await self._organizations()
        fields = ",".join((*FIELDS, organizations_field) if organizations_field else FIELDS)
        issue = await self._call("GET", f"/rest/api/3/issue/{key}", params={"fields": fields})
        found = object_at(issue, "fields")
        description, organization = await asyncio.gather(
            self._description(key, found), self._organization(found, organizations_field)
        )
        priority, status, assignee = (object_at(found, name) for name in ("priority", "status", "assignee"))
        real_key = str(issue.get("key") or key)
        return Ticket(
            system=JSM,
            id=real_key,
            subject=str(found.get("summary") or ""),
            description=description,
            organization=organization,
            priority=answers.text(priority.get("name")),
            status=answers.text(status.get("name")),
            tags=tuple(str(label) for label in found.get("labels") or () if isinstance(label, str)),
            assignee_email=answers.text(assignee.get("emailAddress")),
            created_at=_time(found.get("created")),
            url=self.url(real_key),
        )

    async def add_note(self, ticket_id: str, body: str) -> None:
        """createRequestComment with `public: false`: what makes it an internal comment, which the customer never
        sees (JSM's default for an agent's comment on the portal is public)."""
        payload = {"body": body, "public": False}
        await self._call("POST", f"/rest/servicedeskapi/request/{_key(ticket_id)}/comment", payload)

    async def rating(self, ticket_id: str) -> str | None:
        """TicketRatings: getFeedback's CSAT `rating` (1 to 5) in Swarm's words: 4 and 5 `good`, 1 to 3 `bad`, so that
        the share good is the usual CSAT % (satisfied answers of all answers). None when the request has no feedback
        (a 404, which JSM also answers for a request it does not have). JSM does not say whether a survey was sent
        and not answered: a Jira request is never `offered` nor `unoffered`."""
        key = _key(ticket_id)
        try:
            found = await self._call("GET", f"/rest/servicedeskapi/request/{key}/feedback")
        except TicketNotFound:
            return None
        score = found.get("rating")
        if found.get("type", "csat") != "csat" or not isinstance(score, int) or isinstance(score, bool):
            return None
        return "good" if score in GOOD else "bad" if score in BAD else None

    async def solved(
        self, since: datetime, cursor: str | None = None, known: Callable[[str], Awaitable[bool]] | None = None
    ) -> AsyncIterator[SolvedPage]:
        """TicketHistory: searchAndReconsileIssuesUsingJql for the issues Done and updated since `since` (or since the
        cursor), oldest change first, page by page with nextPageToken; for each not `known`, getComments (newest
        first) gives the solving comment and who else helped. A 429 is waited out.

        The cursor a page leaves is the `updated` time of the last issue listed, not nextPageToken: a token expires
        after 7 days and belongs to its query, and an import is re-run whenever someone gets to it. Carrying on from
        a little before that time (RESUME_LAG) lists the last issues again, which `known` skips unread."""
        resumed = _time(cursor) if cursor else None
        start = _utc(resumed - RESUME_LAG if resumed is not None else since)
        jql = f'statusCategory = Done AND updated >= "{start - JQL_MARGIN:%Y-%m-%d %H:%M}" ORDER BY updated ASC'
        params = {"jql": jql, "maxResults": str(PAGE), "fields": ",".join(SOLVED_FIELDS)}
        last_seen = cursor
        while True:
            page = await self._patient("/rest/api/3/search/jql", params)
            tickets, skipped = [], []
            issues = [issue for issue in page.get("issues") or () if isinstance(issue, dict)]
            for issue in issues:  # one at a time: the calls are rate limited anyway
                key, fields = issue.get("key"), object_at(issue, "fields")
                updated = _time(fields.get("updated"))
                if not isinstance(key, str) or KEY.fullmatch(key) is None or updated is None or updated < start:
                    continue  # before the real bound: in the day JQL was asked for more
                last_seen = _utc(updated).isoformat()
                if known is not None and await known(key):
                    skipped.append(key)
                    continue
                try:
                    tickets.append(await self._solved(key, fields))
                except TicketNotFound:
                    log.info("A request was deleted while its history was read: skipped")
            token = page.get("nextPageToken")
            last = page.get("isLast") is True or not isinstance(token, str) or not token
            yield SolvedPage(tuple(tickets), last_seen, last, tuple(skipped))
            if last:
                return
            params = {**params, "nextPageToken": str(token)}

    async def _solved(self, key: str, fields: JSON) -> SolvedTicket:
        """The solving comment: the assignee's latest, else the latest of any agent (an `atlassian` account, not the
        reporter: customers and apps are no agents); the other agents who commented are its helpers."""
        params = {"orderBy": "-created", "maxResults": str(PAGE)}
        found = await self._patient(f"/rest/api/3/issue/{key}/comment", params)
        comments = [c for c in found.get("comments") or () if isinstance(c, dict)]
        assignee = object_at(fields, "assignee")
        reporter = object_at(fields, "reporter").get("accountId")

        def by_agent(comment: JSON) -> bool:
            author = object_at(comment, "author")
            return author.get("accountType") == "atlassian" and author.get("accountId") != reporter

        agents = [c for c in comments if by_agent(c)]
        solver = assignee.get("accountId")
        solving = next((c for c in agents if solver and object_at(c, "author").get("accountId") == solver), None)
        solving = solving or next(iter(agents), None)
        solver_user = assignee or object_at(solving or {}, "author")
        helpers = {
            str(author.get("emailAddress")): None
            for author in (object_at(c, "author") for c in agents)
            if author.get("accountId") != solver_user.get("accountId") and answers.text(author.get("emailAddress"))
        }
        return SolvedTicket(
            system=JSM,
            id=key,
            subject=str(fields.get("summary") or ""),
            description=plain_text(fields.get("description")),
            tags=tuple(str(label) for label in fields.get("labels") or () if isinstance(label, str)),
            assignee_email=answers.text(solver_user.get("emailAddress")),
            participant_emails=tuple(helpers),
            created_at=_time(fields.get("created")),
            solved_at=_time((solving or {}).get("created"))
            or _time(fields.get("resolutiondate"))
            or _time(fields.get("updated")),
            solution=plain_text((solving or {}).get("body")),
        )

    async def _patient(self, path: str, params: dict[str, str]) -> JSON:
        """GET for an offline command: a 429 is waited out as long as it asks (answers.patiently)."""
        return await answers.patiently(lambda: self._call("GET", path, params=params), self._sleep, self.name)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _organizations(self) -> str | None:
        """The id of the site's JSM Organizations field (None: the site has none), asked once."""
        if self._organizations_field == UNKNOWN:
            try:
                found = await self._call_list("/rest/api/3/field")
            except TicketNotFound:  # not the request's absence: a site (or proxy) without the operation
                found = []
            self._organizations_field = next(
                (
                    str(field["id"])
                    for field in found
                    if isinstance(field, dict)
                    and isinstance(field.get("schema"), dict)
                    and field["schema"].get("custom") == ORGANIZATIONS_FIELD
                    and field.get("id")
                ),
                None,
            )
        return self._organizations_field

    async def _description(self, key: str, fields: JSON) -> str:
        """The issue's description (ADF), or else its first comment's body."""
        description = plain_text(fields.get("description"))
        if description:
            return description
        params = {"orderBy": "created", "maxResults": "1"}
        comments = (await self._call("GET", f"/rest/api/3/issue/{key}/comment", params=params)).get("comments")
        first = comments[0] if isinstance(comments, list) and comments and isinstance(comments[0], dict) else {}
        return plain_text(first.get("body"))

    async def _organization(self, fields: JSON, organizations_field: str | None) -> str | None:
        """The name of the request's first organisation, or else of its reporter's (the customer who raised it)."""
        on_request = fields.get(organizations_field) if organizations_field else None
        if isinstance(on_request, list):
            for organization in on_request:
                if isinstance(organization, dict) and organization.get("name"):
                    return str(organization["name"])
        reporter = object_at(fields, "reporter").get("accountId")
        if not isinstance(reporter, str) or not reporter:
            return None
        try:
            found = await self._call("GET", "/rest/servicedeskapi/organization", params={"accountId": reporter})
        except TicketNotFound:
            return None
        values = found.get("values")
        first = values[0] if isinstance(values, list) and values and isinstance(values[0], dict) else {}
        return answers.text(first.get("name"))

    async def _call(
        self, method: str, path: str, payload: JSON | None = None, params: dict[str, str] | None = None
    ) -> JSON:
        found = await self._request(method, path, payload, params)
        if not isinstance(found, dict):
            raise TicketSystemDown("unreadable answer")
        return found

    async def _call_list(self, path: str) -> list[Any]:
        found = await self._request("GET", path, None, None)
        if not isinstance(found, list):
            raise TicketSystemDown("unreadable answer")
        return found

    async def _request(self, method: str, path: str, payload: JSON | None, params: dict[str, str] | None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        try:
            async with self._session.request(method, self.base + path, json=payload, params=params) as response:
                if response.status == 429:
                    wait = answers.seconds(response.headers.get("Retry-After"))
                    raise TicketSystemDown("429 rate limited", RETRY_AFTER_UNSAID if wait is None else wait)
                if response.status == 404:
                    raise TicketNotFound(path)
                if response.status >= 300:
                    raise TicketSystemDown(f"{response.status} {response.reason or ''}".strip())
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TicketSystemDown(type(error).__name__) from error
        except ValueError as error:  # not JSON
            raise TicketSystemDown("unreadable answer") from error


def _key(ticket_id: str) -> str:
    """An issue key (`SUP-123`); anything else never reaches a URL."""
    if KEY.fullmatch(ticket_id) is None:
        raise TicketNotFound(ticket_id)
    return ticket_id


def object_at(parent: JSON, name: str) -> JSON:
    """The object under `name`, or an empty one when there is none (Jira leaves out, or nulls, what is unset)."""
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _time(value: object) -> datetime | None:
    """Jira's times: ISO 8601 with milliseconds and a `+0000` offset (`2026-11-23T08:12:05.000+0000`); never one
    without its zone."""
    return answers.iso_time(value, zoned=True)


def _utc(when: datetime) -> datetime:
    """A time in UTC; one without a zone (a date on the command line) is taken as UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
