"""Salesforce Service Cloud's REST API, as the core's TicketSystem: read a Case, add an internal CaseComment.

A thin async client on aiohttp rather than simple-salesforce: simple-salesforce is synchronous on requests (each call
would hold a thread), and the outbox must hear a refusal and move on, where it raises its own exception types around
requests'. Swarm needs four endpoints (docs/salesforce.md): the OAuth 2.0 client credentials flow's token, a SOQL
query and its next batches, and CaseComment's create. As TicketHistory, it reads the closed Cases for `swarm history
import --from salesforce`.

The token is asked for once and kept; a 401 (INVALID_SESSION_ID: it expired, or was revoked) gets one new token and
the call is tried once more. Every call raises bot.errors.TicketNotFound for what Salesforce will never do (a Case it
does not have, a request it refuses as malformed) and TicketSystemDown for what may work later: a 5xx, a timeout, no
connection, credentials refused, and 403 REQUEST_LIMIT_EXCEEDED, Salesforce's answer to too many calls (it has no 429
and says nothing of when to come back: Swarm rests LIMIT_REST). Nothing here logs a Case's words or anyone's e-mail.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.tickets import answers
from bot.errors import TicketNotFound, TicketSystemDown
from bot.models import SolvedPage, SolvedTicket, Ticket
from bot.tickets import SALESFORCE

log = logging.getLogger(__name__)

JSON = dict[str, Any]
API = "/services/data/v62.0"
TOKEN = "/services/oauth2/token"
# Salesforce's API limits count over a rolling 24 hours, and its 403 REQUEST_LIMIT_EXCEEDED says nothing of when to
# come back: Swarm asks it nothing for five minutes, then tries again.
LIMIT_REST = 300.0
LIMITED = "403 REQUEST_LIMIT_EXCEEDED"
RETRY_AFTER_UNSAID = 60.0  # a 429 (from a proxy in front of Salesforce) without Retry-After
COMMENT_BYTES = 4000  # CaseComment.CommentBody holds at most 4,000 bytes
CASE_ID = re.compile(r"500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")  # key prefix 500: a Case; 15 or 18 characters
CASE_NUMBER = re.compile(r"\d{1,30}")  # an auto-number, as `sf:00001026` names it
# What a swarm needs of a Case, read in one query: the relationship fields save a call each to Account and User.
CASE_FIELDS = (
    "Id, CaseNumber, Subject, Description, Status, Priority, IsClosed, CreatedDate, Account.Name, OwnerId, Owner.Email"
)
USER_PREFIX = "005"  # an owner that is a User (a queue owns cases too: its e-mail is nobody's)
# What `swarm history import` needs of a closed Case, and of its comments (their authors with them).
HISTORY_FIELDS = "Id, Subject, Description, CreatedDate, ClosedDate, LastModifiedDate, OwnerId, Owner.Email"
COMMENT_FIELDS = "Id, ParentId, CommentBody, CreatedById, CreatedDate, CreatedBy.Email, CreatedBy.UserType"
# The comments of this many Cases are read in one query: its `ParentId IN (…)` list keeps the URL about 2,200
# characters long. A relationship subquery would bring them with the Cases, but its nested shape is in no spec Swarm's
# fake is held to; a top-level query's is.
PARENTS_PER_QUERY = 100
STAFF = "Standard"  # User.UserType of the org's own people; portal and community users are customers
LIMIT_SPENT = (
    "403 REQUEST_LIMIT_EXCEEDED: the org's API requests of the last 24 hours are spent; run the same import later"
)
# Where an import got to, kept between runs: the last Case's LastModifiedDate (to the second) and Id.
POSITION = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) (500[A-Za-z0-9]{15})")


class Salesforce:
    name = "Salesforce"

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._instance: str | None = None  # where the API answers, as the token's `instance_url` says
        self._run_as: str | None = None  # the integration user's Id, as the token's `id` says: its comments are Swarm's
        self._sleep = sleep  # how the history export waits out a 429
        self._token_lock = asyncio.Lock()

    def url(self, ticket_id: str) -> str:
        """The Case's page in Lightning; a CaseNumber has none of its own, so the Cases' list."""
        if CASE_ID.fullmatch(ticket_id):
            return f"{self.base}/lightning/r/Case/{ticket_id}/view"
        return f"{self.base}/lightning/o/Case/home"

    def accepts(self, host: str | None) -> bool:
        """A short reference always; a URL of this org, its My Domain (`acme.my.salesforce.com`) or its Lightning
        address (`acme.lightning.force.com`, sandboxes alike); any URL when SALESFORCE_URL is no salesforce.com
        address (a test fake), which cannot be told apart."""
        own = (urlsplit(self.base).hostname or "").lower()
        if host is None or host == own or not own.endswith(".my.salesforce.com"):
            return True
        domain = own.removesuffix(".my.salesforce.com")
        return host in (f"{domain}.lightning.force.com", f"{domain}.my.salesforce.com")

    async def fetch(self, ticket_id: str) -> Ticket:
        """One SOQL query for the Case and what it points to (its Account's name, its owner's e-mail), by Id or by
        CaseNumber; the description is the earliest CaseComment when the Case has none (one query more)."""
        case = await self._case(ticket_id)
        description = case.get("Description") or await self._first_comment(str(case["Id"]))
        owner = case.get("Owner") if str(case.get("OwnerId") or "").startswith(USER_PREFIX) else None
        account = case.get("Account")
        return Ticket(
            system=SALESFORCE,
            id=str(case["Id"]),  # the 18-character Id: stable, and what the webhook names
            subject=str(case.get("Subject") or ""),
            description=str(description or ""),
            organization=answers.text(account.get("Name")) if isinstance(account, dict) else None,
            priority=answers.text(case.get("Priority")),
            status=answers.text(case.get("Status")),
            assignee_email=answers.text(owner.get("Email")) if isinstance(owner, dict) else None,
            created_at=answers.iso_time(case.get("CreatedDate")),
            url=self.url(str(case["Id"])),
        )

    async def add_note(self, ticket_id: str, body: str) -> None:
        """A CaseComment with `IsPublished: false`, which is what keeps it from the customer. A swarm opened while
        Salesforce was down keeps the CaseNumber typed: its Case's Id is looked up first."""
        case_id = ticket_id if CASE_ID.fullmatch(ticket_id) else str((await self._case(ticket_id))["Id"])
        payload = {"ParentId": case_id, "CommentBody": _fit(body), "IsPublished": False}
        await self._call("POST", f"{API}/sobjects/CaseComment", payload)

    async def solved(
        self, since: datetime, cursor: str | None = None, known: Callable[[str], Awaitable[bool]] | None = None
    ) -> AsyncIterator[SolvedPage]:
        """TicketHistory: the closed Cases changed since `since`, oldest change first, a batch of the query (up to
        2,000) a page, the next batches by `nextRecordsUrl`; then, for those not `known`, their comments, newest
        first, in a query per PARENTS_PER_QUERY Cases. The cursor is no query locator (those expire within the
        run's hours, not across days) but the last Case's (LastModifiedDate, Id): a re-run asks afresh for what
        sorts after it. A 429 is waited out; 403 REQUEST_LIMIT_EXCEEDED stops the export (the allowance is a
        rolling 24 hours: minutes of waiting would not bring it back)."""
        after = POSITION.fullmatch(cursor or "")
        if after is None:
            where = f"LastModifiedDate >= {_soql_time(since)}"
        else:
            moment, last_id = after[1], _literal(after[2])
            where = f"(LastModifiedDate > {moment} OR (LastModifiedDate = {moment} AND Id > {last_id}))"
        soql = f"SELECT {HISTORY_FIELDS} FROM Case WHERE IsClosed = true AND {where} ORDER BY LastModifiedDate, Id"
        found = await self._patient(f"{API}/query", {"q": soql})
        position = cursor if after is not None else None
        while True:
            cases = _records(found)
            fresh, skipped = [], []
            for case in cases:  # one at a time: the callback reads the database
                if known is not None and await known(str(case["Id"])):
                    skipped.append(str(case["Id"]))
                else:
                    fresh.append(case)
            comments = await self._comments([str(c["Id"]) for c in fresh])
            tickets = tuple(self._solved(case, comments.get(str(case["Id"]), [])) for case in fresh)
            if cases:
                position = _position(cases[-1]) or position
            following = found.get("nextRecordsUrl")
            last = found.get("done") is not False or not isinstance(following, str)
            yield SolvedPage(tickets, position, last, tuple(skipped))
            if last:
                return
            found = await self._patient(_next_batch(str(following)), None)

    def _solved(self, case: JSON, comments: list[JSON]) -> SolvedTicket:
        """The solving comment is the owner's latest, else the latest of any of the org's staff; Swarm's own notes
        are never it, nor a help. The owner (a user, not a queue) solved it, else the solving comment's author."""
        owner_id = str(case.get("OwnerId") or "")
        owner = case.get("Owner") if owner_id.startswith(USER_PREFIX) else None
        by_staff = [
            c
            for c in comments
            if c.get("CreatedById") != self._run_as and (c.get("CreatedById") == owner_id or _by_staff(c))
        ]
        solving = next((c for c in by_staff if c.get("CreatedById") == owner_id), None)
        solving = solving or next(iter(by_staff), None)
        resolver = answers.text(owner.get("Email")) if isinstance(owner, dict) else None
        if not isinstance(owner, dict) and solving is not None:
            resolver = _author_email(solving)
        helpers = dict.fromkeys(e for e in map(_author_email, by_staff) if e and e != resolver)
        earliest = comments[-1] if comments and comments[-1] is not solving else None
        description = case.get("Description") or (earliest or {}).get("CommentBody")
        solved_at = answers.iso_time((solving or {}).get("CreatedDate")) or answers.iso_time(case.get("ClosedDate"))
        return SolvedTicket(
            system=SALESFORCE,
            id=str(case["Id"]),
            subject=str(case.get("Subject") or ""),
            description=str(description or ""),
            tags=(),  # a Case has none; its Type and Reason say what kind of request it is, not what solved it
            assignee_email=resolver,
            participant_emails=tuple(helpers),
            created_at=answers.iso_time(case.get("CreatedDate")),
            solved_at=solved_at or answers.iso_time(case.get("LastModifiedDate")),
            solution=str((solving or {}).get("CommentBody") or ""),
        )

    async def _comments(self, case_ids: Sequence[str]) -> dict[str, list[JSON]]:
        """The Cases' comments, newest first, by Case Id: a query per PARENTS_PER_QUERY Cases, and its next batches."""
        found: dict[str, list[JSON]] = {}
        for start in range(0, len(case_ids), PARENTS_PER_QUERY):
            parents = ", ".join(_literal(i) for i in case_ids[start : start + PARENTS_PER_QUERY])
            soql = f"SELECT {COMMENT_FIELDS} FROM CaseComment WHERE ParentId IN ({parents}) ORDER BY CreatedDate DESC"
            batch = await self._patient(f"{API}/query", {"q": soql})
            while True:
                for comment in _records(batch):
                    found.setdefault(str(comment.get("ParentId")), []).append(comment)
                following = batch.get("nextRecordsUrl")
                if batch.get("done") is not False or not isinstance(following, str):
                    break
                batch = await self._patient(_next_batch(following), None)
        return found

    async def _patient(self, path: str, params: dict[str, str] | None) -> JSON:
        """GET for an offline command: a 429 is waited out as long as it asks (answers.patiently); a spent allowance
        stops it with a message that says so."""
        try:
            return await answers.patiently(
                lambda: self._call("GET", path, params=params),
                self._sleep,
                self.name,
                waits=lambda down: down.reason.startswith("429"),
            )
        except TicketSystemDown as down:
            if down.reason == LIMITED:
                raise TicketSystemDown(LIMIT_SPENT) from down
            raise

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _case(self, ticket_id: str) -> JSON:
        if CASE_ID.fullmatch(ticket_id):
            where = f"Id = {_literal(ticket_id)}"
        elif CASE_NUMBER.fullmatch(ticket_id):
            where = f"CaseNumber = {_literal(ticket_id)}"
        else:
            raise TicketNotFound(ticket_id)  # anything else never reaches a query
        records = await self._query(f"SELECT {CASE_FIELDS} FROM Case WHERE {where} LIMIT 1")
        if not records:
            raise TicketNotFound(ticket_id)
        return records[0]

    async def _first_comment(self, case_id: str) -> str:
        soql = (
            "SELECT Id, CommentBody, IsPublished, CreatedDate FROM CaseComment "
            f"WHERE ParentId = {_literal(case_id)} ORDER BY CreatedDate ASC LIMIT 1"
        )
        records = await self._query(soql)
        return str(records[0].get("CommentBody") or "") if records else ""

    async def _query(self, soql: str) -> list[JSON]:
        found = await self._call("GET", f"{API}/query", params={"q": soql})
        records = found.get("records")
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    async def _call(
        self, method: str, path: str, payload: JSON | None = None, params: dict[str, str] | None = None
    ) -> JSON:
        token = await self._access_token()
        try:
            return await self._request(method, path, token, payload, params)
        except _Expired:
            # The token expired or was revoked: one new one, and the call once more.
            token = await self._access_token(stale=token)
            try:
                return await self._request(method, path, token, payload, params)
            except _Expired:
                raise TicketSystemDown("401 INVALID_SESSION_ID") from None

    async def _request(
        self, method: str, path: str, token: str, payload: JSON | None, params: dict[str, str] | None
    ) -> JSON:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        url = (self._instance or self.base) + path
        try:
            async with self._http().request(method, url, json=payload, params=params, headers=headers) as response:
                status, retry_after = response.status, response.headers.get("Retry-After")
                found: Any = await response.json(content_type=None) if status != 204 else {}
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TicketSystemDown(type(error).__name__) from error
        except ValueError:  # not JSON
            if status < 300:
                raise TicketSystemDown("unreadable answer") from None
            found = None
        if status < 300:
            if not isinstance(found, dict):
                raise TicketSystemDown("unreadable answer")
            return found
        code = _error_code(found)
        if status == 401:
            raise _Expired
        if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
            raise TicketSystemDown(LIMITED, LIMIT_REST)
        if status == 429:
            wait = answers.seconds(retry_after)
            raise TicketSystemDown("429 rate limited", RETRY_AFTER_UNSAID if wait is None else wait)
        if status == 403:
            log.error(
                "Salesforce refused Swarm's call (403 %s): give the connected app's run-as user access to Case and "
                "CaseComment",
                code,
            )
            raise TicketSystemDown(f"403 {code}")
        if status in (400, 404):
            # A Case it does not have, or a request it will always refuse (a malformed id, a deleted parent).
            raise TicketNotFound(f"{path}: {status} {code}")
        raise TicketSystemDown(f"{status} {code}".strip())

    async def _access_token(self, stale: str | None = None) -> str:
        """The kept token, or a new one from the client credentials flow when there is none or `stale` is it."""
        async with self._token_lock:
            if self._token is not None and self._token != stale:
                return self._token  # kept, or renewed meanwhile by another call
            self._token = None
            try:
                async with self._http().post(self.base + TOKEN, data=self._form) as response:
                    status = response.status
                    found: Any = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError) as error:
                raise TicketSystemDown(type(error).__name__) from error
            except ValueError:
                raise TicketSystemDown(f"{status} unreadable token answer") from None
            if status in (400, 401, 403):
                refusal = str(found.get("error"))[:60] if isinstance(found, dict) else None
                log.error(
                    "Salesforce refused Swarm's client credentials (%s %s): check SALESFORCE_CLIENT_ID, "
                    "SALESFORCE_CLIENT_SECRET and the app's client credentials flow and run-as user",
                    status,
                    refusal,
                )
                raise TicketSystemDown(f"{status} token refused")
            token = found.get("access_token") if isinstance(found, dict) else None
            if status >= 300 or not isinstance(token, str) or not token:
                raise TicketSystemDown(f"{status} no token")
            instance = found.get("instance_url")
            self._instance = instance.rstrip("/") if isinstance(instance, str) and instance else None
            identity = found.get("id")  # `…/id/<orgId>/<userId>`: the run-as user
            self._run_as = identity.rsplit("/", 1)[-1] if isinstance(identity, str) and "/" in identity else None
            self._token = token
            return token

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


class _Expired(Exception):
    """A 401: the token is no longer good."""


def _literal(value: str) -> str:
    """A SOQL string literal: quotes and backslashes escaped (the ids are checked before, too)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fit(body: str) -> str:
    """The note, cut to what CommentBody holds (4,000 bytes of UTF-8), never in the middle of a character."""
    encoded = body.encode()
    if len(encoded) <= COMMENT_BYTES:
        return body
    cut = encoded[: COMMENT_BYTES - len("…".encode())].decode(errors="ignore")
    return cut + "…"


def _error_code(found: Any) -> str:
    """Salesforce's errors are a list of {message, errorCode, fields}: the first code."""
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return str(found[0].get("errorCode") or "")[:60]
    return ""


def _records(found: JSON) -> list[JSON]:
    records = found.get("records")
    return [r for r in records if isinstance(r, dict) and r.get("Id")] if isinstance(records, list) else []


def _next_batch(url: str) -> str:
    """A `nextRecordsUrl` is a path on the same instance; anything else is not followed."""
    if not url.startswith(f"{API}/query/") or "?" in url or ".." in url:
        raise TicketSystemDown("unreadable answer")
    return url


def _by_staff(comment: JSON) -> bool:
    author = comment.get("CreatedBy")
    return isinstance(author, dict) and author.get("UserType") == STAFF


def _author_email(comment: JSON) -> str | None:
    author = comment.get("CreatedBy")
    return answers.text(author.get("Email")) if isinstance(author, dict) else None


def _soql_time(moment: datetime) -> str:
    """A SOQL dateTime literal, in UTC: `2026-01-01T00:00:00Z`."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _position(case: JSON) -> str | None:
    """The cursor after this Case. Its LastModifiedDate is cut to the second: what sorts after it is still all
    asked for (`>` a moment no later than its own), at worst the Case itself again, which `known` skips."""
    moment = answers.iso_time(case.get("LastModifiedDate"))
    position = f"{_soql_time(moment)} {case['Id']}" if moment is not None else None
    return position if position is not None and POSITION.fullmatch(position) else None
