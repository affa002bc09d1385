"""A loopback fake of Salesforce's REST API, for tests that drive the real Salesforce adapter.

    async with FakeSalesforce() as salesforce:
        case_id = salesforce.add_case("00001026", "ACME cannot export invoices", priority="High", account="ACME Corp")
        ... SALESFORCE_URL=salesforce.url ...
        assert salesforce.notes(case_id) == [...]

Shapes follow `../shared/ticket-api-specs/salesforce/` (the Salesforce Developers Postman collection: `Auth/Client
Credentials Flow`, `REST/Query`, `REST/SObject/SObject Create`, and its saved Username-Password token answer) and the
README's section 3: a token answer carries `access_token`, `instance_url`, `id`, `token_type`, `issued_at`,
`signature` and `scope`, and no `refresh_token`; a query answers `{"totalSize", "done", "records": [{"attributes":
{"type", "url"}, …the fields selected}]}`, relationship fields (`Account.Name`) nested as records of their own or null;
a result larger than a batch (`per_page`, 2,000 by default) answers its first batch with `"done": false` and a
`nextRecordsUrl` (`/services/data/v62.0/query/01g…-2000`), which answers the next one; a create answers `201 {"id",
"success": true, "errors": []}`; an error is a list of `{"message", "errorCode", "fields"}` (the REST API's
documented form). Record ids are 18 characters with the checksum suffix Salesforce computes. The fields the specs do
not list (`LastModifiedDate`, `CreatedBy.Email`, `User.UserType`: `Standard` for an org's own staff) are the standard
fields of the object reference the README points to for sObject shapes.

The queries understood are a small, strict piece of SOQL: `SELECT fields FROM Case|CaseComment [WHERE conditions]
[ORDER BY field [ASC|DESC], …] [LIMIT n]`, conditions being `field op value` (`=`, `!=`, `<`, `<=`, `>`, `>=`) or
`field IN (values…)` joined by AND and OR (never both without parentheses), values being quoted strings, `true`,
`false`, `null` or dateTime literals (`2026-01-01T00:00:00Z`). Anything else is 400 MALFORMED_QUERY, as Salesforce
answers a query it cannot parse.

The rules that bite are kept: every API call needs a token the token endpoint issued (`expire_tokens` ends them:
401 INVALID_SESSION_ID); a query selecting a field the fake does not know is 400 INVALID_FIELD, as an org without it
answers; CommentBody over 4,000 bytes is 400 STRING_TOO_LONG; and a CaseComment created without `IsPublished` is
kept as published, the unsafe reading (whether the customer sees it also rests on the org's portal settings).

Every request, the token endpoint's included, is recorded in `calls`; `fail` answers the next calls with an error
(`403 REQUEST_LIMIT_EXCEEDED`, Salesforce's answer to too many calls, by default), and `down` makes every call fail
as an outage does (503 SERVER_UNAVAILABLE).
"""

from __future__ import annotations

import itertools
import operator
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes import loopback
from tests.fakes.loopback import Fault, Loopback, retry_after

JSON = dict[str, Any]

CLIENT_ID = "3MVG9fake.SwarmConsumerKey0123456789"
CLIENT_SECRET = "FAKE0123456789CONSUMERSECRET"
ORG_ID = "00D5Y000001crJvUAI"
RUN_AS = "0055Y00000DWwAIQA1"  # the client credentials flow's run-as user
VERSION = "62.0"
CREATED = "2026-11-23T08:12:05.000+0000"
LIMITS = {
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred."),
}
_CASE_FIELDS = {
    "Id",
    "CaseNumber",
    "Subject",
    "Description",
    "Status",
    "Priority",
    "Origin",
    "Type",
    "IsClosed",
    "ClosedDate",
    "CreatedDate",
    "LastModifiedDate",
    "AccountId",
    "Account.Name",
    "ContactId",
    "OwnerId",
    "Owner.Email",
    "Owner.Name",
}
_COMMENT_FIELDS = {
    "Id",
    "ParentId",
    "CommentBody",
    "IsPublished",
    "CreatedById",
    "CreatedDate",
    "CreatedBy.Email",
    "CreatedBy.UserType",
}
_WRITABLE_COMMENT_FIELDS = {"ParentId", "CommentBody", "IsPublished"}
_QUERY = re.compile(
    r"SELECT (?P<fields>.+?) FROM (?P<object>\w+)(?: WHERE (?P<where>.+?))?(?: ORDER BY (?P<order>.+?))?"
    r"(?: LIMIT (?P<limit>\d+))?",
    re.IGNORECASE,
)
_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})")
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<op><=|>=|!=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][\w.]*))"
)


def record_id(prefix: str, number: int) -> str:
    """An 18-character record id: 15 characters and the suffix that makes it case-safe."""
    short = f"{prefix}5Y{number:010d}"[:15]
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return short + suffix


class Call(loopback.Call):
    """One request made of the fake; asking for a token writes nothing."""

    @property
    def writes(self) -> bool:
        return super().writes and not self.path.startswith("/services/oauth2/")


@dataclass
class FakeSalesforce(Loopback):
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    down: bool = False  # every call answers 503 SERVER_UNAVAILABLE, as in an outage (or a maintenance window)
    latency: float = 0.0  # seconds each answer takes, as across the internet (bench/tickets.py)
    tokens_work: bool = True  # False: the tokens it issues are refused at once (a run-as user deactivated)
    per_page: int = 2000  # records in a query's batch: Salesforce's default batch size
    calls: list[Call] = field(default_factory=list)
    cases: dict[str, JSON] = field(default_factory=dict)
    comments: dict[str, list[JSON]] = field(default_factory=dict)
    users: dict[str, JSON] = field(default_factory=dict)
    accounts: dict[str, JSON] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._numbers = itertools.count(3000000)
        self._queries = itertools.count(1)
        self._locators: dict[str, list[JSON]] = {}  # a query's records, by its query locator (`01g…`)
        self.users[RUN_AS] = {"Id": RUN_AS, "Name": "Swarm", "Email": "swarm@acme.example", "UserType": "Standard"}
        app = web.Application()
        app.router.add_post("/services/oauth2/token", self._token)
        app.router.add_get(f"/services/data/v{VERSION}/query", self._query)
        app.router.add_get(f"/services/data/v{VERSION}/query/{{locator}}", self._more)
        app.router.add_post(f"/services/data/v{VERSION}/sobjects/CaseComment", self._create_comment)
        self.serve(app)

    @property
    def url(self) -> str:
        """The org's My Domain, as SALESFORCE_URL takes it (`https://acme.my.salesforce.com`)."""
        return super().url

    # -- the org's data -------------------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return record_id(prefix, next(self._numbers))

    def add_user(self, name: str, email: str | None, *, staff: bool = True) -> str:
        """A user of the org: its staff (`UserType` Standard), or a customer who signs in to its portal."""
        user_id = self._id("005")
        kind = "Standard" if staff else "PowerCustomerSuccess"
        self.users[user_id] = {"Id": user_id, "Name": name, "Email": email, "UserType": kind}
        return user_id

    def user(self, email: str, *, staff: bool = True) -> str:
        """The user with that e-mail, added the first time."""
        found = next((u["Id"] for u in self.users.values() if u.get("Email") == email), None)
        return found or self.add_user(email.split("@")[0].title(), email, staff=staff)

    def add_account(self, name: str) -> str:
        account_id = self._id("001")
        self.accounts[account_id] = {"Id": account_id, "Name": name}
        return account_id

    def add_case(
        self,
        case_number: str,
        subject: str,
        description: str | None = "Hi there, something is broken.",
        *,
        priority: str | None = "Medium",
        status: str = "New",
        account: str | None = None,
        owner_email: str | None = None,
        owner_is_queue: bool = False,
    ) -> str:
        """A Case as a customer would have filed it, owned by a user with that e-mail (or by a queue), of an
        Account named `account`; returns its 18-character Id."""
        case_id = self._id("500")
        owner = self._id("00G") if owner_is_queue else self.user(owner_email or "agent@acme.example")
        if owner_is_queue:
            self.users[owner] = {"Id": owner, "Name": "Tier 2 queue", "Email": owner_email}
        self.cases[case_id] = {
            "Id": case_id,
            "CaseNumber": case_number,
            "Subject": subject,
            "Description": description,
            "Status": status,
            "Priority": priority,
            "Origin": "Web",
            "Type": "Problem",
            "IsClosed": status == "Closed",
            "ClosedDate": None,
            "CreatedDate": CREATED,
            "LastModifiedDate": CREATED,
            "AccountId": self.add_account(account) if account else None,
            "ContactId": None,
            "OwnerId": owner,
        }
        self.comments[case_id] = []
        return case_id

    def add_comment(
        self, case_id: str, body: str, published: bool = True, *, by: str = RUN_AS, at: str = CREATED
    ) -> JSON:
        """A CaseComment written by the user `by` (Swarm's run-as user unless said) at `at`."""
        comment = {
            "Id": self._id("00a"),
            "ParentId": case_id,
            "CommentBody": body,
            "IsPublished": published,
            "CreatedById": by,
            "CreatedDate": at,
        }
        self.comments[case_id].append(comment)
        return comment

    def close_case(self, case_id: str, at: str = CREATED) -> None:
        self.cases[case_id].update(Status="Closed", IsClosed=True, ClosedDate=at, LastModifiedDate=at)

    def solve(
        self,
        case_id: str,
        comment: str,
        *,
        by: str | None = None,
        helpers: tuple[str, ...] = (),
        at: str = "2026-11-24T10:30:00.000+0000",
    ) -> None:
        """An agent closes the Case with a comment (its owner, or the user `by` made owner); each of `helpers`
        (staff e-mails) left an internal comment before."""
        case = self.cases[case_id]
        if by is not None:
            case["OwnerId"] = self.user(by)
        for email in helpers:
            self.add_comment(case_id, f"Have you tried {email}'s trick?", published=False, by=self.user(email), at=at)
        self.add_comment(case_id, comment, by=case["OwnerId"], at=at)
        self.close_case(case_id, at)

    # -- faults ---------------------------------------------------------------------------------------------------

    def fail(self, times: int = 1, status: int = 403, retry_after: float | None = None) -> None:
        """The next `times` API calls fail with `status` (403: REQUEST_LIMIT_EXCEEDED)."""
        code, message = LIMITS.get(status, ("UNKNOWN_EXCEPTION", "Try again"))
        header = None if retry_after is None else str(retry_after)
        self.queue_faults(times, Fault(status, header, code, message))

    def expire_tokens(self) -> None:
        """Every token issued so far stops working, as when the session times out or the app is revoked."""
        self.tokens.clear()

    # -- what happened --------------------------------------------------------------------------------------------

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/services/oauth2/token"]

    def notes(self, case_id: str) -> list[JSON]:
        """The CaseComments Swarm's run-as user added to a Case, oldest first."""
        return [c for c in self.comments.get(case_id, []) if c["CreatedById"] == RUN_AS and c.get("swarm")]

    # -- routes ---------------------------------------------------------------------------------------------------

    def new_call(self, request: web.Request, body: Any) -> Call:
        return Call(request.method, request.path, dict(request.query), body, 200)

    async def _begin(self, request: web.Request) -> tuple[Call, web.Response | None]:
        call = await self.record(request)
        if self.down:
            return call, self._error(call, 503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        return call, None

    async def _api(self, request: web.Request) -> tuple[Call, web.Response | None]:
        call, refused = await self._begin(request)
        if refused is not None:
            return call, refused
        fault = self.next_fault()
        if fault is not None:
            if fault.status == 429:  # Salesforce never says 429; a proxy in front of it does, in plain text
                call.status = 429
                return call, web.Response(status=429, text="Too Many Requests", headers=retry_after(fault))
            return call, self._error(call, fault.status, fault.code, fault.message, headers=retry_after(fault))
        bearer = request.headers.get("Authorization", "")
        if not bearer.startswith("Bearer ") or bearer.removeprefix("Bearer ") not in self.tokens:
            return call, self._error(call, 401, "INVALID_SESSION_ID", "Session expired or invalid")
        return call, None

    @staticmethod
    def _error(
        call: Call,
        status: int,
        code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        call.status = status
        body = [{"message": message, "errorCode": code, "fields": fields or []}]
        return web.json_response(body, status=status, headers=headers)

    async def _token(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        form = call.body if isinstance(call.body, dict) else {}
        if form.get("grant_type") != "client_credentials":
            call.status = 400
            return web.json_response(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, status=400
            )
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            call.status = 400
            return web.json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
            )
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(24)}"
        if self.tokens_work:
            self.tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "signature": "c2lnbmF0dXJlLW9mLWlkLWFuZC1pc3N1ZWQtYXQ=",
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/{ORG_ID}/{RUN_AS}",
                "token_type": "Bearer",
                "issued_at": "1795421525000",
            }
        )

    async def _query(self, request: web.Request) -> web.Response:
        call, refused = await self._api(request)
        if refused is not None:
            return refused
        soql = " ".join(request.query.get("q", "").split())
        match = _QUERY.fullmatch(soql)
        if match is None:
            return self._error(call, 400, "MALFORMED_QUERY", "unexpected token")
        fields = [f.strip() for f in match["fields"].split(",")]
        kind = match["object"]
        known = _CASE_FIELDS if kind == "Case" else _COMMENT_FIELDS if kind == "CaseComment" else None
        if known is None:
            return self._error(call, 400, "INVALID_TYPE", f"sObject type '{kind}' is not supported.")
        try:
            where = _Conditions(match["where"]).parse() if match["where"] else None
            order = _order(match["order"])
        except ValueError as error:
            return self._error(call, 400, "MALFORMED_QUERY", str(error))
        named = [*fields, *(where.fields() if where else ()), *(name for name, _ in order)]
        unknown = [f for f in named if f not in known]
        if unknown:
            return self._error(call, 400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{kind}'.")
        rows = list(self.cases.values()) if kind == "Case" else [c for cs in self.comments.values() for c in cs]
        rows = [row for row in rows if where is None or where.holds(row)]
        for name, descending in reversed(order):  # the last key first: sorts are stable
            rows.sort(key=lambda row: _sortable(row.get(name)), reverse=descending)
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        records = [self._record(kind, row, fields) for row in rows]
        locator = f"01g5Y{next(self._queries):013d}"
        self._locators[locator] = records
        return web.json_response(self._batch(locator, 0))

    async def _more(self, request: web.Request) -> web.Response:
        """A query's next batch, by the `nextRecordsUrl` of the one before: `{locator}-{offset}`."""
        call, refused = await self._api(request)
        if refused is not None:
            return refused
        locator, _, offset = request.match_info["locator"].partition("-")
        if locator not in self._locators or not offset.isdecimal():
            return self._error(call, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return web.json_response(self._batch(locator, int(offset)))

    def _batch(self, locator: str, offset: int) -> JSON:
        records = self._locators[locator]
        end = offset + self.per_page
        found: JSON = {"totalSize": len(records), "done": end >= len(records)}
        if end < len(records):
            found["nextRecordsUrl"] = f"/services/data/v{VERSION}/query/{locator}-{end}"
        found["records"] = records[offset:end]
        return found

    def expire_locators(self) -> None:
        """Every query locator issued so far is gone, as they are a while after their query."""
        self._locators.clear()

    def _record(self, kind: str, row: JSON, fields: list[str]) -> JSON:
        record: JSON = {"attributes": {"type": kind, "url": f"/services/data/v{VERSION}/sobjects/{kind}/{row['Id']}"}}
        for name in fields:
            if "." not in name:
                record[name] = row.get(name)
                continue
            relation, inner = name.split(".", 1)
            target = self._related(relation, row)
            if target is None:
                record[relation] = None
                continue
            kind_of, found = target
            nested = record.get(relation) or {
                "attributes": {"type": kind_of, "url": f"/services/data/v{VERSION}/sobjects/{kind_of}/{found['Id']}"}
            }
            nested[inner] = found.get(inner)
            record[relation] = nested
        return record

    def _related(self, relation: str, row: JSON) -> tuple[str, JSON] | None:
        if relation == "Account":
            account = self.accounts.get(row.get("AccountId") or "")
            return ("Account", account) if account else None
        if relation == "CreatedBy":
            author = self.users.get(row.get("CreatedById") or "")
            return ("User", author) if author else None
        owner = self.users.get(row.get("OwnerId") or "")
        # Owner is polymorphic (a user or a queue): its records are of the type Name.
        return ("Name", owner) if owner else None

    async def _create_comment(self, request: web.Request) -> web.Response:
        call, refused = await self._api(request)
        if refused is not None:
            return refused
        body = call.body if isinstance(call.body, dict) else None
        if body is None:
            return self._error(call, 400, "JSON_PARSER_ERROR", "Unexpected parameter")
        unknown = [k for k in body if k not in _WRITABLE_COMMENT_FIELDS]
        if unknown:
            message = f"No such column '{unknown[0]}' on sobject of type CaseComment"
            return self._error(call, 400, "INVALID_FIELD", message)
        parent = str(body.get("ParentId") or "")
        if parent not in self.cases:
            return self._error(
                call, 400, "FIELD_INTEGRITY_EXCEPTION", "Parent ID: id value of incorrect type", fields=["ParentId"]
            )
        text = body.get("CommentBody")
        if not isinstance(text, str) or not text.strip():
            return self._error(call, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [CommentBody]")
        if len(text.encode()) > 4000:
            return self._error(call, 400, "STRING_TOO_LONG", "Body: data value too large", fields=["CommentBody"])
        # Without IsPublished the fake keeps it published: the reading that would show it to the customer.
        comment = self.add_comment(parent, text, published=bool(body.get("IsPublished", True)))
        comment["swarm"] = True
        call.status = 201
        return web.json_response({"id": comment["Id"], "success": True, "errors": []}, status=201)


def _same(field_value: object, value: str) -> bool:
    if isinstance(field_value, str) and len(value) == 15 and len(field_value) == 18:
        return field_value[:15] == value  # a 15-character id names the same record as its 18-character form
    return str(field_value) == value


def _time(value: str) -> datetime:
    """A dateTime as records carry it (`2026-11-23T08:12:05.000+0000`) or as SOQL writes it (`…T08:12:05Z`)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _sortable(value: object) -> tuple[int, str]:
    """ORDER BY's key: nulls first, as Salesforce sorts them ascending; dateTimes as instants."""
    if value is None:
        return (0, "")
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return (1, _time(value).astimezone(UTC).isoformat())
    return (1, str(value))


def _order(text: str | None) -> list[tuple[str, bool]]:
    """ORDER BY's fields, each with whether it is DESC."""
    if not text:
        return []
    keys = []
    for part in text.split(","):
        words = part.split()
        if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise ValueError(f"unexpected token: '{part.strip()}'")
        keys.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    return keys


class _Conditions:
    """A WHERE clause, parsed into a tree of (field, op, value), ("AND" | "OR", [children]) nodes."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            found = _TOKEN.match(text, position)
            if found is None or found.end() == position:
                raise ValueError(f"unexpected token: '{text[position : position + 20]}'")
            kind = found.lastgroup or ""
            self.tokens.append((kind, found[kind]))
            position = found.end()
        self.position = 0
        self.tree: Any = None

    def parse(self) -> _Conditions:
        self.tree = self._joined()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected token: '{self.tokens[self.position][1]}'")
        return self

    def fields(self, node: Any = None) -> list[str]:
        node = self.tree if node is None else node
        if node[0] in ("AND", "OR"):
            return [name for child in node[1] for name in self.fields(child)]
        return [node[0]]

    def holds(self, row: JSON, node: Any = None) -> bool:
        node = self.tree if node is None else node
        if node[0] == "AND":
            return all(self.holds(row, child) for child in node[1])
        if node[0] == "OR":
            return any(self.holds(row, child) for child in node[1])
        name, op, value = node
        if op == "IN":
            return any(_compare(row.get(name), "=", v) for v in value)
        return _compare(row.get(name), op, value)

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if not token[0]:
            raise ValueError("unexpected end of query")
        self.position += 1
        return token

    def _joined(self) -> Any:
        children, joiner = [self._single()], None
        while self._peek()[0] == "word" and self._peek()[1].upper() in ("AND", "OR"):
            word = self._take()[1].upper()
            if joiner not in (None, word):
                raise ValueError("unexpected token: AND and OR need parentheses")
            joiner = word
            children.append(self._single())
        return (joiner, children) if joiner else children[0]

    def _single(self) -> Any:
        if self._peek() == ("op", "("):
            self._take()
            inner = self._joined()
            if self._take() != ("op", ")"):
                raise ValueError("unexpected token: expected ')'")
            return inner
        kind, name = self._take()
        if kind != "word":
            raise ValueError(f"unexpected token: '{name}'")
        kind, op = self._take()
        if kind == "word" and op.upper() == "IN":
            if self._take() != ("op", "("):
                raise ValueError("unexpected token: expected '('")
            values = [self._value()]
            while self._peek() == ("op", ","):
                self._take()
                values.append(self._value())
            if self._take() != ("op", ")"):
                raise ValueError("unexpected token: expected ')'")
            return (name, "IN", values)
        if kind != "op" or op in ("(", ")", ","):
            raise ValueError(f"unexpected token: '{op}'")
        return (name, op, self._value())

    def _value(self) -> object:
        kind, text = self._take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "datetime":
            return _time(text)
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise ValueError(f"unexpected token: '{text}'")


def _compare(field_value: object, op: str, value: object) -> bool:
    if isinstance(value, datetime):
        if not isinstance(field_value, str):
            return False
        left: Any = _time(field_value)
        right: Any = value
    elif isinstance(value, str):
        if op == "=":
            return _same(field_value, value)
        if op == "!=":
            return not _same(field_value, value)
        if field_value is None:
            return False
        left, right = str(field_value), value
    else:
        return (field_value == value) == (op == "=") if op in ("=", "!=") else False
    return bool(_OPERATORS[op](left, right))
