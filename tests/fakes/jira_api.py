"""A loopback fake of Jira Cloud's REST API v3 and Jira Service Management's `/rest/servicedeskapi`, for tests that
drive the real Jira adapter; it also writes the admin webhooks' bodies Jira would send about its issues.

    async with FakeJira() as jira:
        jira.add_issue("SUP-123", "ACME cannot export invoices", priority="High", organization="ACME Corp")
        ... JIRA_URL=jira.url ...
        assert jira.notes("SUP-123") == [...]

Shapes follow Atlassian's published OpenAPI documents (`../shared/ticket-api-specs/jira/`): `swagger-v3.v3.json`
(getFields → FieldDetails, getIssue → IssueBean with StatusDetails/StatusCategory, Priority, UserDetails, getComments
→ PageOfComments, searchAndReconsileIssuesUsingJql → SearchAndReconcileResults with `issues[]`, `nextPageToken` and
`isLast`, ErrorCollection) and `jsm-swagger.v3.json` (getOrganizations → PagedDTOOrganizationDTO,
createRequestComment: CommentCreateDTO → 201 CommentDTO, getFeedback → CSATFeedbackFullDTO or a 404 ErrorResponse).
Rich text (a description, a comment's body in v3) is ADF; JSM comment bodies are strings; times are ISO 8601 with
milliseconds and `+0000`; a missing issue is `404 {"errorMessages": [...], "errors": {}}`. Jira's rules that bite are
kept: a request comment without `public` is a 400 (the spec: "missing the required public"); an issue of a project
that is no service desk is no customer request (404 on `/rest/servicedeskapi`); `fields=` limits what getIssue and
the search return; every call needs HTTP Basic `email:api_token` (401 otherwise). The search takes only the JQL Swarm
writes (anything else is a 400, as a JQL error is), reads its date in the account's time zone (`zone`), as Jira does,
gives at most `per_page` issues a page whatever `maxResults` asks (the spec: "may return fewer"), and a token it did
not issue for that JQL is a 400.

Webhook bodies (no machine-readable schema is published; the shape is the one documented on Atlassian's webhooks
page: `timestamp`, `webhookEvent`, `issue_event_type_name`, `user`, `issue` as IssueBean, `changelog.items[]` with
`field`/`fromString`/`toString`, `comment`) come from `created`, `updated` and `commented`, which also change the
issue as Jira would.

Every request is recorded in `calls`; `fail` answers the next calls with an error (429 with Retry-After, 503), and
`down` makes every call fail as an outage does.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.fakes.loopback import Call, Fault, Loopback, retry_after

JSON = dict[str, Any]

EMAIL = "swarm-bot@acme.example"
TOKEN = "fake-jira-api-token-ATATT3xFfGF0123456789"
CREATED = "2026-11-23T08:12:05.000+0000"
ORGANIZATIONS = "customfield_10002"  # the site's JSM Organizations field
# Jira's three status categories (StatusCategory: id, key, colorName, name).
CATEGORIES: dict[str, JSON] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
SOLVED = "2026-11-24T10:30:00.000+0000"
# The one JQL Swarm's history import writes (adapters/tickets/jira.py): its date is in the account's time zone.
DONE_SINCE = re.compile(r'statusCategory = Done AND updated >= "(\d{4}-\d{2}-\d{2} \d{2}:\d{2})" ORDER BY updated ASC')


@dataclass
class FakeJira(Loopback):
    email: str = EMAIL
    token: str = TOKEN
    down: bool = False  # every call answers 503, as Jira does in an outage
    latency: float = 0.0  # seconds each answer takes, as across the internet (bench/tickets.py)
    calls: list[Call] = field(default_factory=list)
    issues: dict[str, JSON] = field(default_factory=dict)
    comments: dict[str, list[JSON]] = field(default_factory=dict)  # as getComments gives them (ADF bodies)
    request_comments: dict[str, list[JSON]] = field(default_factory=dict)  # added by createRequestComment
    service_desk: set[str] = field(default_factory=set)  # the keys that are customer requests
    users: dict[str, JSON] = field(default_factory=dict)  # by accountId
    memberships: dict[str, list[JSON]] = field(default_factory=dict)  # accountId → the organisations they belong to
    feedback: dict[str, JSON] = field(default_factory=dict)  # the customers' CSAT answers (CSATFeedbackFullDTO)
    per_page: int = 5000  # the most issues a search page gives, whatever maxResults asks
    zone: str = "UTC"  # the API account's time zone, in which JQL reads its dates

    def __post_init__(self) -> None:
        self._ids = itertools.count(10_001)
        self._events = itertools.count(1)
        self._tokens: dict[str, tuple[str, int]] = {}  # nextPageToken → (its JQL, where its page starts)
        app = web.Application()
        app.router.add_get("/rest/api/3/field", self._get_fields)
        app.router.add_get("/rest/api/3/issue/{key}", self._get_issue)
        app.router.add_get("/rest/api/3/issue/{key}/comment", self._get_comments)
        app.router.add_get("/rest/api/3/search/jql", self._search)
        app.router.add_get("/rest/servicedeskapi/organization", self._get_organizations)
        app.router.add_get("/rest/servicedeskapi/request/{key}/feedback", self._get_feedback)
        app.router.add_post("/rest/servicedeskapi/request/{key}/comment", self._create_request_comment)
        self.serve(app)

    @property
    def url(self) -> str:
        """The site's address, as JIRA_URL takes it (`https://acme.atlassian.net`)."""
        return super().url

    def _site(self) -> str:
        return self.url if self.serving else "https://acme.atlassian.net"

    # -- the site's data ------------------------------------------------------------------------------------------

    def add_user(self, name: str, email: str | None, account_type: str = "atlassian") -> JSON:
        """A user as UserDetails has it; `customer` is a portal-only customer's accountType."""
        account_id = f"5b10a2844c20165700ede{next(self._ids)}"
        user = {
            "self": f"{self._site()}/rest/api/3/user?accountId={account_id}",
            "accountId": account_id,
            "accountType": account_type,
            "emailAddress": email,
            "avatarUrls": {"48x48": "https://avatar-management.example/initials/AR-5.png?size=48&s=48"},
            "displayName": name,
            "active": True,
            "timeZone": "Europe/Madrid",
        }
        if email is None:
            del user["emailAddress"]  # hidden by the user's privacy settings
        self.users[account_id] = user
        return user

    def add_organization(self, name: str) -> JSON:
        """An organisation as OrganizationDTO has it."""
        organization_id = str(next(self._ids))
        return {
            "_links": {"self": f"{self._site()}/rest/servicedeskapi/organization/{organization_id}"},
            "id": organization_id,
            "name": name,
            "scimManaged": False,
        }

    def add_issue(
        self,
        key: str,
        summary: str,
        description: str = "Hi there, something is broken.",
        *,
        priority: str | None = "Medium",
        status: str = "Waiting for support",
        category: str = "new",
        labels: tuple[str, ...] = (),
        organization: str | None = None,
        organization_on_request: bool = True,
        assignee_email: str | None = None,
        service_desk: bool = True,
    ) -> JSON:
        """A customer request as a customer raised it on the portal: its reporter (of `organization`, if given), its
        description (ADF; "" for none), an agent assignee with that e-mail."""
        reporter = self.add_user("The Customer", "customer@client.example", account_type="customer")
        organizations = [self.add_organization(organization)] if organization else []
        self.memberships[reporter["accountId"]] = organizations
        assignee = self.add_user("Agent", assignee_email) if assignee_email else None
        issue_id = str(next(self._ids))
        fields: JSON = {
            "summary": summary,
            "description": _adf(description) if description else None,
            "priority": self._priority(priority),
            "labels": list(labels),
            "status": self._status(status, category),
            "created": CREATED,
            "updated": CREATED,
            "resolutiondate": None,
            "assignee": assignee,
            "reporter": reporter,
            "creator": reporter,
            "issuetype": {"id": "10004", "name": "[System] Service request", "subtask": False},
            "project": {"id": "10000", "key": key.split("-")[0], "name": "Support", "projectTypeKey": "service_desk"},
            ORGANIZATIONS: organizations if organization_on_request else [],
        }
        issue = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue_id,
            "key": key,
            "self": f"{self._site()}/rest/api/3/issue/{issue_id}",
            "fields": fields,
        }
        self.issues[key] = issue
        self.comments[key] = []
        self.request_comments[key] = []
        if service_desk:
            self.service_desk.add(key)
        return issue

    def solve(
        self, key: str, comment: str, *, by: str | None = None, helpers: tuple[str, ...] = (), at: str = SOLVED
    ) -> None:
        """An agent resolves the request with a public comment (the assignee, or the agent `by` made assignee); each of
        `helpers` (agents' e-mails) left an internal comment before, and the customer thanked them."""
        fields = self.issues[key]["fields"]
        if by is not None:
            fields["assignee"] = self.add_user(by.split("@")[0].title(), by)
        self._comment(key, fields["reporter"], "Any news? It still spins.", public=True, at=at)
        for email in helpers:
            self._comment(key, self.add_user(email.split("@")[0].title(), email), f"Try {email}'s trick?", False, at)
        self._comment(key, fields["assignee"], comment, public=True, at=at)
        fields["status"] = self._status("Resolved", "done")
        fields["updated"] = fields["resolutiondate"] = at

    def rate(self, key: str, rating: int, comment: str | None = None) -> None:
        """The customer's answer to the request's satisfaction survey: 1 to 5 stars, and maybe a few words."""
        self.feedback[key] = {"type": "csat", "rating": rating} | ({"comment": {"body": comment}} if comment else {})

    def _comment(self, key: str, author: JSON | None, body: str, public: bool, at: str) -> None:
        """A Comment as getComments gives it."""
        self.comments[key].append(
            {
                "self": f"{self._site()}/rest/api/3/issue/{self.issues[key]['id']}/comment/{next(self._ids)}",
                "id": str(next(self._ids)),
                "author": author,
                "body": _adf(body),
                "updateAuthor": author,
                "created": at,
                "updated": at,
                "jsdPublic": public,
            }
        )

    def _priority(self, name: str | None) -> JSON | None:
        if name is None:
            return None
        number = PRIORITIES.get(name, "3")
        return {
            "self": f"{self._site()}/rest/api/3/priority/{number}",
            "iconUrl": f"{self._site()}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": number,
        }

    def _status(self, name: str, category: str) -> JSON:
        return {
            "self": f"{self._site()}/rest/api/3/status/10001",
            "description": "",
            "iconUrl": f"{self._site()}/images/icons/statuses/generic.png",
            "name": name,
            "id": "10001",
            "statusCategory": {"self": f"{self._site()}/rest/api/3/statuscategory/{CATEGORIES[category]['id']}"}
            | CATEGORIES[category],
        }

    # -- what Jira's admin webhooks send --------------------------------------------------------------------------

    def created(self, key: str, *, at: datetime) -> JSON:
        """`jira:issue_created` for an issue added with add_issue."""
        return self._event("jira:issue_created", "issue_created", key, at)

    def updated(self, key: str, *, at: datetime, **changes: str | tuple[str, str]) -> JSON:
        """`jira:issue_updated`: changes the issue as Jira would and says so in `changelog.items`.

        `status=("Resolved", "done")` (a name and its category), `priority="Low"`, `labels="swarm billing"` (all the
        labels after the change, space-separated, as Jira writes them in the changelog)."""
        fields = self.issues[key]["fields"]
        items: list[JSON] = []
        for name, value in changes.items():
            if name == "status":
                assert isinstance(value, tuple)
                before = fields["status"]
                fields["status"] = self._status(*value)
                items.append(_item("status", "jira", before["id"], before["name"], "10002", value[0]))
            elif name == "priority":
                assert isinstance(value, str)
                before = fields["priority"] or {}
                fields["priority"] = self._priority(value)
                items.append(_item("priority", "jira", before.get("id"), before.get("name"), PRIORITIES[value], value))
            elif name == "labels":
                assert isinstance(value, str)
                before_labels = " ".join(fields["labels"])
                fields["labels"] = value.split()
                items.append(_item("labels", "jira", None, before_labels, None, value))
        event = self._event("jira:issue_updated", "issue_generic", key, at)
        event["changelog"] = {"id": str(next(self._ids)), "items": items}
        return event

    def commented(self, key: str, body: str, *, at: datetime, public: bool = True, by: str = "customer") -> JSON:
        """`comment_created`: a comment added on the issue (by its reporter, the customer, or by an agent)."""
        fields = self.issues[key]["fields"]
        author = fields["reporter"] if by == "customer" else self.add_user("Another Agent", "agent@acme.example")
        comment = {
            "self": f"{self._site()}/rest/api/3/issue/{self.issues[key]['id']}/comment/{next(self._ids)}",
            "id": str(next(self._ids)),
            "author": author,
            "body": _adf(body),
            "updateAuthor": author,
            "created": _jira_time(at),
            "updated": _jira_time(at),
            "jsdPublic": public,
        }
        self.comments[key].append(comment)
        event = self._event("comment_created", "issue_commented", key, at)
        event["comment"] = copy.deepcopy(comment)
        return event

    def _event(self, webhook_event: str, type_name: str, key: str, at: datetime) -> JSON:
        issue = copy.deepcopy(self.issues[key])  # as sent: what a test does to the body leaves the issue be
        return {
            "timestamp": int(at.timestamp() * 1000),
            "webhookEvent": webhook_event,
            "issue_event_type_name": type_name,
            "user": issue["fields"]["reporter"],
            "issue": issue,
        }

    # -- faults ---------------------------------------------------------------------------------------------------

    def fail(self, times: int = 1, status: int = 429, retry_after: float | str | None = None) -> None:
        """The next `times` calls fail with `status` (and a Retry-After header, if given)."""
        self.queue_faults(times, Fault(status, None if retry_after is None else str(retry_after)))

    # -- what happened --------------------------------------------------------------------------------------------

    def notes(self, key: str) -> list[JSON]:
        """The comments Swarm added to a request (CommentDTO), oldest first."""
        return self.request_comments.get(key, [])

    # -- routes ---------------------------------------------------------------------------------------------------

    async def _begin(self, request: web.Request) -> tuple[Call, web.Response | None]:
        call = await self.record(request)
        if self.down:
            return call, self._error(call, 503, "Service Unavailable")
        fault = self.next_fault()
        if fault is not None:
            message = "Rate limit exceeded." if fault.status == 429 else ""
            return call, self._error(call, fault.status, message, retry_after(fault))
        if request.headers.get("Authorization") != self._basic():
            call.status = 401
            return call, web.Response(status=401, text="Client must be authenticated to access this resource.")
        return call, None

    def _basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()

    @staticmethod
    def _error(call: Call, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        """ErrorCollection, as the platform API answers errors."""
        call.status = status
        body = {"errorMessages": [message] if message else [], "errors": {}}
        return web.json_response(body, status=status, headers=headers)

    def _issue(self, call: Call, key: str) -> JSON | web.Response:
        if key not in self.issues:
            return self._error(call, 404, "Issue does not exist or you do not have permission to see it.")
        return self.issues[key]

    async def _get_fields(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        del call
        system = [
            {"id": name, "key": name, "name": name.capitalize(), "custom": False, "schema": {"system": name}}
            for name in ("summary", "description", "priority", "labels", "status", "created", "assignee", "reporter")
        ]
        organizations = {
            "id": ORGANIZATIONS,
            "key": ORGANIZATIONS,
            "name": "Organizations",
            "custom": True,
            "navigable": True,
            "orderable": True,
            "searchable": True,
            "clauseNames": ["cf[10002]", "Organizations"],
            "schema": {
                "type": "array",
                "items": "sd-customerorganization",
                "custom": "com.atlassian.servicedesk:sd-customer-organizations",
                "customId": 10002,
            },
        }
        return web.json_response([*system, organizations])

    async def _get_issue(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._issue(call, request.match_info["key"])
        if isinstance(found, web.Response):
            return found
        wanted = request.query.get("fields")
        fields = found["fields"]
        if wanted and wanted not in ("*all", "*navigable"):
            names = set(wanted.split(","))
            fields = {name: value for name, value in fields.items() if name in names}
        return web.json_response({**found, "fields": fields})

    async def _get_comments(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        found = self._issue(call, request.match_info["key"])
        if isinstance(found, web.Response):
            return found
        comments = list(self.comments[found["key"]])
        if request.query.get("orderBy") == "-created":
            comments.reverse()
        start = int(request.query.get("startAt", "0"))
        limit = int(request.query.get("maxResults", "5000"))
        page = comments[start : start + limit]
        return web.json_response({"comments": page, "maxResults": limit, "startAt": start, "total": len(comments)})

    async def _search(self, request: web.Request) -> web.Response:
        """searchAndReconsileIssuesUsingJql: the issues Done and updated since the JQL's date (in `zone`), oldest
        change first, `fields` of each."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        jql = request.query.get("jql", "")
        matched = DONE_SINCE.fullmatch(jql)
        if matched is None:
            return self._error(call, 400, f"Error in the JQL Query: the fake does not know '{jql}'.")
        token = request.query.get("nextPageToken")
        if token is not None and self._tokens.get(token, ("", 0))[0] != jql:
            return self._error(call, 400, "The provided next page token is invalid or expired.")
        start = self._tokens[token][1] if token is not None else 0
        since = datetime.strptime(matched[1], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(self.zone))
        found = sorted(
            (
                issue
                for issue in self.issues.values()
                if issue["fields"]["status"]["statusCategory"]["key"] == "done"
                and datetime.fromisoformat(issue["fields"]["updated"]) >= since
            ),
            key=lambda issue: (datetime.fromisoformat(issue["fields"]["updated"]), int(issue["id"])),
        )
        size = min(int(request.query.get("maxResults", "50")), self.per_page)
        names = set(request.query.get("fields", "id").split(","))
        page = [
            {**issue, "fields": {name: value for name, value in issue["fields"].items() if name in names}}
            for issue in found[start : start + size]
        ]
        body: JSON = {"issues": page, "isLast": start + size >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = base64.urlsafe_b64encode(f"page-{next(self._ids)}".encode()).decode()
            self._tokens[body["nextPageToken"]] = (jql, start + size)
        return web.json_response(body)

    async def _get_feedback(self, request: web.Request) -> web.Response:
        """getFeedback: the request's CSATFeedbackFullDTO; 404 (ErrorResponse) for a request without one."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        key = request.match_info["key"]
        if key not in self.feedback:
            call.status = 404
            message = "The customer request does not exist or has no feedback."
            return web.json_response(
                {"errorMessage": message, "i18nErrorMessage": {"i18nKey": "", "parameters": []}}, status=404
            )
        return web.json_response(self.feedback[key])

    async def _get_organizations(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        del call
        account = request.query.get("accountId")
        values = self.memberships.get(account, []) if account else []
        return web.json_response(
            {
                "_expands": [],
                "size": len(values),
                "start": 0,
                "limit": 50,
                "isLastPage": True,
                "_links": {"base": f"{self.url}/rest/servicedeskapi", "context": ""},
                "values": values,
            }
        )

    async def _create_request_comment(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        key = request.match_info["key"]
        if key not in self.issues or key not in self.service_desk:
            return self._error(call, 404, "The customer request does not exist.")
        body = call.body if isinstance(call.body, dict) else {}
        if not isinstance(body.get("public"), bool):
            return self._error(call, 400, "The 'public' field is required.")
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            return self._error(call, 400, "The comment body is required.")
        comment = {
            "_expands": ["attachment", "renderedBody"],
            "id": str(next(self._ids)),
            "body": body["body"],
            "public": body["public"],
            "author": self.add_user("Swarm", self.email),
            "created": {"iso8601": "2026-11-24T09:00:00+0000", "jira": CREATED, "epochMillis": 1795510800000},
            "_links": {"self": f"{self.url}/rest/servicedeskapi/request/{key}/comment"},
        }
        self.request_comments[key].append(comment)
        call.status = 201
        return web.json_response(comment, status=201)


def _adf(text: str) -> JSON:
    """A plain text as the ADF document Jira's editor makes of it: a paragraph a line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []} for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _item(
    name: str, kind: str, before: str | None, before_name: str | None, after: str | None, after_name: str
) -> JSON:
    """One `changelog.items[]` entry (ChangeDetails: field, fieldtype, fieldId, from, fromString, to, toString)."""
    return {
        "field": name,
        "fieldtype": kind,
        "fieldId": name,
        "from": before,
        "fromString": before_name,
        "to": after,
        "toString": after_name,
    }


def _jira_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
