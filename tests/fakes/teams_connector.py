"""A loopback fake of the Bot Framework connector as Teams runs it (`{serviceUrl}/v3/conversations…`), for tests
that drive the real CloudAdapter and its real connector client.

    async with FakeConnector() as teams:
        teams.add_member("29:ana", "aad-ana", "Ana Ruiz", "ana@example.com")
        ... activities sent to the bot carry "serviceUrl": teams.url ...
        assert teams.calls_to("create_conversation")[0].body["channelData"]["channel"]["id"] == SUPPORT

Routes (as botframework-connector calls them): create conversation (a channel thread when `isGroup` with a channel
in `channelData`, else a 1:1 chat), send to a conversation, reply to an activity, update an activity, get one
member, get members. Teams' rules that bite are enforced: ids of a channel thread are `19:…;messageid=<root>`, an
activity is at most 28 KB, every mention entity must match an `<at>` in the text or card, only the bot's own posts
can be updated, 1:1 chats need the app installed for the person. Every request is recorded in `calls`; `fail`
injects throttling and outages (with Retry-After).

It also serves OpenID metadata and signing keys (`openid_url`), so authentication can be tested against it.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer

JSON = dict[str, Any]

BOT_ID = "28:swarm-bot"
BOT_NAME = "Swarm"
MAX_ACTIVITY_BYTES = 28 * 1024
CARD = "application/vnd.microsoft.card.adaptive"
TOKEN_ISSUER = "https://api.botframework.com"


@dataclass
class Call:
    """One request the bot made of the connector."""

    route: str  # create_conversation | send | reply | update | member | members
    method: str
    conversation: str | None
    activity_id: str | None
    body: Any
    status: int
    authorization: str | None = None

    @property
    def ok(self) -> bool:
        return self.status < 300


@dataclass
class Posted:
    """A message in Teams: the bot's (with every version it had) or a person's (added by the test)."""

    id: str
    conversation: str  # the conversation a reply or a reaction to it carries (a channel thread: 19:…;messageid=…)
    activity: JSON
    by_bot: bool = True
    versions: list[JSON] = field(default_factory=list)

    @property
    def text(self) -> str:
        return readable(self.activity)

    @property
    def card(self) -> JSON | None:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                content: JSON = attachment["content"]
                return content
        return None

    def buttons(self) -> list[JSON]:
        return list((self.card or {}).get("actions") or [])

    def inputs(self) -> list[JSON]:
        return [e for e in (self.card or {}).get("body", []) if str(e.get("type", "")).startswith("Input.")]


@dataclass
class Member:
    id: str  # 29:…
    aad: str
    name: str
    email: str
    personal: bool = True  # whether the app is installed for them, so a 1:1 chat can be opened

    def to_teams(self, tenant: str) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad,
            "objectId": self.aad,
            "email": self.email,
            "userPrincipalName": self.email,
            "givenName": self.name.split()[0],
            "surname": self.name.split()[-1],
            "tenantId": tenant,
            "userRole": "user",
        }


@dataclass
class Fault:
    status: int
    retry_after: str | None


def readable(activity: JSON) -> str:
    """What a person reads in a message: its text, or the text of its card's blocks, one per line."""
    lines = [activity["text"]] if activity.get("text") else []
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD:
            lines += [block["text"] for block in attachment["content"].get("body", []) if "text" in block]
    return "\n".join(lines)


def mention_entities(activity: JSON) -> list[JSON]:
    """The mention entities of a message: on the activity for text, in `msteams.entities` for a card."""
    found = [e for e in activity.get("entities") or [] if e.get("type") == "mention"]
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD:
            msteams = attachment["content"].get("msteams") or {}
            found += [e for e in msteams.get("entities") or [] if e.get("type") == "mention"]
    return found


class FakeConnector:
    def __init__(self, tenant: str = "tenant-1", token: str | None = None) -> None:
        self.tenant = tenant
        self.token = token  # when set, every call must carry "Bearer <token>"
        self.calls: list[Call] = []
        self.messages: dict[str, Posted] = {}
        self.members: dict[str, Member] = {}
        self.conversations: dict[str, str] = {}  # id → "channel" | "personal" | "groupChat"
        self.jwks: list[JSON] = []
        self.key_requests = 0  # fetches of the OpenID metadata and signing keys
        self._faults: dict[str, deque[Fault]] = {}
        self._ids = itertools.count(1_700_000_000_001)
        self._server: TestServer | None = None
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/openid/.well-known/openid-configuration", self._openid)
        app.router.add_get("/openid/keys", self._keys)
        self.app = app

    async def __aenter__(self) -> Self:
        self._server = TestServer(self.app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._server is not None
        await self._server.close()

    @property
    def url(self) -> str:
        """The serviceUrl activities carry."""
        assert self._server is not None
        return str(self._server.make_url("/"))

    @property
    def openid_url(self) -> str:
        return self.url + "openid/.well-known/openid-configuration"

    # -- set-up ---------------------------------------------------------------------------------------------------

    def add_member(self, teams_id: str, aad: str, name: str, email: str, personal: bool = True) -> Member:
        member = Member(teams_id, aad, name, email, personal)
        self.members[teams_id] = member
        return member

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_message(self, conversation: str, activity: JSON) -> Posted:
        """A person's message, as Teams would have stored it (the test sends the activity to the bot itself)."""
        posted = Posted(str(activity["id"]), conversation, activity, by_bot=False, versions=[activity])
        self.messages[posted.id] = posted
        return posted

    def fail(self, route: str, times: int = 1, status: int = 429, retry_after: float | str | None = None) -> None:
        """The next `times` calls to `route` fail with `status` (and a Retry-After header, if given)."""
        header = None if retry_after is None else str(retry_after)
        self._faults.setdefault(route, deque()).extend(Fault(status, header) for _ in range(times))

    # -- what happened --------------------------------------------------------------------------------------------

    def calls_to(self, route: str, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.route == route and (ok is None or c.ok == ok)]

    def posts(self, conversation: str | None = None) -> list[Posted]:
        """The bot's messages, oldest first; `conversation` narrows them to one conversation or thread."""
        return [
            m for m in self.messages.values() if m.by_bot and (conversation is None or m.conversation == conversation)
        ]

    def texts(self, conversation: str | None = None) -> list[str]:
        return [m.text for m in self.posts(conversation)]

    def personal_chat(self, teams_id: str) -> str:
        return f"a:dm-{teams_id}"

    # -- routes ---------------------------------------------------------------------------------------------------

    async def _record(
        self, request: web.Request, route: str, conversation: str | None = None, activity: str | None = None
    ) -> tuple[Call, web.Response | None]:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        call = Call(route, request.method, conversation, activity, body, 200, request.headers.get("Authorization"))
        self.calls.append(call)
        if self.token is not None and call.authorization != f"Bearer {self.token}":
            return call, self._error(call, 401, "Unauthorized", "the bot's token is missing or wrong")
        faults = self._faults.get(route)
        if faults:
            fault = faults.popleft()
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return call, self._error(call, fault.status, "Throttled", "injected fault", headers)
        if body is not None and len(raw) > MAX_ACTIVITY_BYTES:
            return call, self._error(call, 413, "MessageSizeTooBig", f"{len(raw)} bytes is over the limit")
        return call, None

    def _error(
        self, call: Call, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status = status
        return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)

    def _ok(self, call: Call, body: JSON, status: int = 201) -> web.Response:
        call.status = status
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request, "create_conversation")
        if failed:
            return failed
        body = call.body or {}
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if body.get("isGroup") and channel:
            first = body.get("activity")
            if not first:
                return self._error(call, 400, "BadSyntax", "a new thread needs its first activity")
            bad = self._check(first)
            if bad:
                return self._error(call, 400, "BadArgument", bad)
            root = self.new_id()
            conversation = f"{channel};messageid={root}"
            self.conversations[conversation] = "channel"
            self.messages[root] = Posted(root, conversation, first, versions=[first])
            return self._ok(call, {"id": conversation, "activityId": root, "serviceUrl": self.url})
        members = body.get("members") or []
        if len(members) != 1:
            return self._error(call, 400, "BadArgument", "a 1:1 chat has exactly one member")
        member = self._find(str(members[0].get("id", "")))
        if member is None:
            return self._error(call, 404, "NotFound", "no such user in the tenant")
        if not member.personal:
            return self._error(call, 403, "Forbidden", "Bot is not installed in user's personal scope")
        conversation = self.personal_chat(member.id)
        self.conversations[conversation] = "personal"
        return self._ok(call, {"id": conversation})

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        call, failed = await self._record(request, "send", conversation)
        if failed:
            return failed
        bad = self._check(call.body or {})
        if bad:
            return self._error(call, 400, "BadArgument", bad)
        posted_id = self.new_id()
        # A post to a bare channel starts a new thread; a post to a thread (…;messageid=) is a reply in it.
        thread = conversation if ";messageid=" in conversation or not conversation.startswith("19:") else None
        self.messages[posted_id] = Posted(
            posted_id, thread or f"{conversation};messageid={posted_id}", call.body, versions=[call.body]
        )
        return self._ok(call, {"id": posted_id})

    async def _reply(self, request: web.Request) -> web.Response:
        conversation, to = request.match_info["conversation"], request.match_info["activity"]
        call, failed = await self._record(request, "reply", conversation, to)
        if failed:
            return failed
        bad = self._check(call.body or {})
        if bad:
            return self._error(call, 400, "BadArgument", bad)
        posted_id = self.new_id()
        thread = conversation if ";messageid=" in conversation or not conversation.startswith("19:") else None
        self.messages[posted_id] = Posted(
            posted_id, thread or f"{conversation};messageid={to}", call.body, versions=[call.body]
        )
        return self._ok(call, {"id": posted_id})

    async def _update(self, request: web.Request) -> web.Response:
        conversation, activity_id = request.match_info["conversation"], request.match_info["activity"]
        call, failed = await self._record(request, "update", conversation, activity_id)
        if failed:
            return failed
        posted = self.messages.get(activity_id)
        if posted is None:
            return self._error(call, 404, "NotFound", "no such activity")
        if not posted.by_bot:
            return self._error(call, 403, "Forbidden", "a bot can only update its own messages")
        bad = self._check(call.body or {})
        if bad:
            return self._error(call, 400, "BadArgument", bad)
        posted.activity = call.body
        posted.versions.append(call.body)
        return self._ok(call, {"id": activity_id}, status=200)

    async def _member(self, request: web.Request) -> web.Response:
        conversation, wanted = request.match_info["conversation"], request.match_info["member"]
        call, failed = await self._record(request, "member", conversation, wanted)
        if failed:
            return failed
        member = self._find(wanted)
        if member is None:
            return self._error(call, 404, "MemberNotFoundInConversation", "The member is not in the conversation")
        return self._ok(call, member.to_teams(self.tenant), status=200)

    async def _members(self, request: web.Request) -> web.Response:
        _, failed = await self._record(request, "members", request.match_info["conversation"])
        if failed:
            return failed
        return web.json_response([m.to_teams(self.tenant) for m in self.members.values()])

    async def _openid(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        return web.json_response(
            {
                "issuer": TOKEN_ISSUER,
                "jwks_uri": self.url + "openid/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        return web.json_response({"keys": self.jwks})

    # -- Teams' rules ---------------------------------------------------------------------------------------------

    def _find(self, who: str) -> Member | None:
        """By Teams user id, AAD object id or e-mail (Teams takes any of them for a member)."""
        for member in self.members.values():
            if who in (member.id, member.aad) or who.lower() == member.email.lower():
                return member
        return None

    @staticmethod
    def _check(activity: JSON) -> str | None:
        if activity.get("type") != "message":
            return "only message activities are sent"
        if not activity.get("text") and not activity.get("attachments"):
            return "a message needs text or an attachment"
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                content = attachment.get("content") or {}
                if content.get("type") != "AdaptiveCard" or not isinstance(content.get("body"), list):
                    return "an Adaptive Card needs type AdaptiveCard and a body"
        shown = readable(activity)
        for entity in mention_entities(activity):
            mentioned = entity.get("mentioned") or {}
            if not mentioned.get("id") or not mentioned.get("name"):
                return "a mention needs mentioned.id and mentioned.name"
            if entity.get("text") not in shown:
                return f"mention text {entity.get('text')!r} is not in the message"
        return None
