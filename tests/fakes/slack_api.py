"""A loopback fake of Slack's Web API, for tests that run the real server and its real slack_sdk client.

    async with FakeSlack() as slack:
        slack.add_user("U1", "ana", "ana@example.com", real_name="Ana Ruiz")
        slack.add_channel("C1", "support", members=["U1", "UBOT"])
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        ...
        assert slack.calls_to("chat.postMessage")[0].args["channel"] == "C1"

Method names, argument names, response fields and error codes follow Slack's published OpenAPI document
(`/work/shared/slack-api-specs/slack_web_openapi_v2.json`): HTTP 200 with `{"ok": true, ...}` or
`{"ok": false, "error": ...}`. Arguments may arrive in the query string, a form body or a JSON body, as slack_sdk
sends them. Every request is recorded in `calls`; `fail`, `stall`, `drop` and `chaos` inject faults.

It also serves the `response_url` hooks that bolt's `respond()` posts to (see `hook_url`): `in_channel` answers
become channel messages, the others ephemeral messages, `replace_original`/`delete_original` edit the clicked message.

Sign in with Slack (OpenID Connect): `sign_in_with_slack(user, team)` names who approves the next sign-in; the
authorize page (`/openid/connect/authorize`, beside `/api/` as on slack.com) sends the browser straight back to the
app's redirect_uri with a code, which `openid.connect.token` exchanges (client id and secret, as Basic auth or
arguments) for a user token that `openid.connect.userInfo` answers about (`https://slack.com/team_id`, …).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import random
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

JSON = dict[str, Any]

TEAM_ID = "T0001"
TEAM_NAME = "Swarm Test"
TEAM_DOMAIN = "swarm-test"
BOT_USER_ID = "UBOT"
BOT_ID = "B0001"
APP_ID = "A0001"
DEFAULT_TOKEN = "xoxb-test"

# Slack's limits (its API documentation); the fake enforces them so the product hits them in tests, not in production.
MAX_NAME = 80
MAX_TOPIC = 250
MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_VIEW_BLOCKS = 100
MAX_PRIVATE_METADATA = 3_000
HOOK_USES = 5  # a response_url takes five posts
TRIGGER_TTL = 3.0  # seconds a trigger_id stays valid

CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
TRIGGER_ID = re.compile(r"(\d+)\.(\d+)\.([0-9a-f]+)")
# JSON-valued arguments that form-encoded callers send as strings; recorded decoded so tests assert on structure.
JSON_ARGS = ("blocks", "view", "attachments")
INVALID = "invalid_arguments"
FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}
TIMEOUT = -1  # a chaos "status": the call is held (chaos's `timeout` seconds) and never gets through


def new_trigger_id(now: float | None = None) -> str:
    """A trigger_id in Slack's `digits.digits.hex` shape whose first part is its issue time in ms, so the fake
    can tell when it is over TRIGGER_TTL old (Slack's own ids carry no readable time; ours must, to model expiry)."""
    issued = int((time.time() if now is None else now) * 1000)
    return f"{issued}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def hook_url(base: str, kind: str, channel: str, user: str, message_ts: str | None = None) -> str:
    """A response_url on a FakeSlack (`base` = `slack.hooks_url`): the path carries what Slack keeps server-side
    (where to answer, for whom, which message a button sat on)."""
    return f"{base}{kind}/{TEAM_ID}/{channel}/{user}/{message_ts or '-'}/{secrets.token_hex(8)}"


class SlackError(Exception):
    """What a method answers with `{"ok": false, ...}`; `messages` go into response_metadata as Slack does."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass
class Call:
    """One request the fake received. status 0: no HTTP answer (dropped, or still stalled)."""

    method: str
    args: JSON
    status: int = 0
    response: JSON = field(default_factory=dict)
    token: str | None = None
    stalled: bool = False  # held by an injected stall right now
    held: float = 0.0  # seconds an injected stall held it

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok") is True

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None


@dataclass
class Channel:
    """A conversation: public or private channel, DM (`is_im`, with `user`) or group DM (`is_mpim`)."""

    id: str
    name: str
    members: list[str] = field(default_factory=list)
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_archived: bool = False
    user: str | None = None
    creator: str = BOT_USER_ID
    created: int = field(default_factory=lambda: int(time.time()))
    topic: str = ""
    purpose: str = ""
    messages: list[JSON] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)

    def to_slack(self, *, num_members: bool = False) -> JSON:
        if self.is_im:
            im: JSON = {"id": self.id, "created": self.created, "is_im": True, "user": self.user, "priority": 0}
            return im | dict.fromkeys(("is_org_shared", "is_user_deleted"), False)
        channel: JSON = {"id": self.id, "name": self.name, "name_normalized": self.name}
        channel |= {"created": self.created, "creator": self.creator, "unlinked": 0}
        # Private channels made since 2021 have C ids and count as channels; is_group marks only older ones.
        channel |= {
            "is_channel": not self.is_mpim,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
        }
        channel |= {"is_archived": self.is_archived, "is_member": BOT_USER_ID in self.members}
        channel |= dict.fromkeys(("is_group", "is_im", "is_general", "is_shared", "is_ext_shared"), False)
        channel |= dict.fromkeys(("is_org_shared", "is_pending_ext_shared"), False)
        for key, value in (("topic", self.topic), ("purpose", self.purpose)):
            channel[key] = {"value": value, "creator": self.creator if value else "", "last_set": 0}
        channel |= {"previous_names": [], "pending_shared": []}
        if num_members:
            channel["num_members"] = len(self.members)
        return channel

    def message(self, ts: str) -> JSON:
        for message in self.messages:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")


@dataclass
class Fault:
    """One injected misbehaviour: an HTTP status (0 drops the connection), or a stall before a normal answer."""

    status: int = 200
    error: str | None = None
    retry_after: int = 1
    stall: float = 0.0
    effect: bool = True  # a stall's outcome: carried out and answered, or (False) the connection dropped unheard
    when: Callable[[JSON], bool] | None = None  # only for a call whose arguments this accepts (None: any)


@dataclass
class Chaos:
    rate: float
    rng: random.Random
    statuses: tuple[int, ...]
    methods: frozenset[str] | None
    retry_after: int
    timeout: float = 0.0


def _s(args: JSON, key: str) -> str:
    value = args.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):  # JSON booleans, compared with form values "true"/"1"
        return "true" if value else "false"
    return str(value)


def _flag(args: JSON, key: str) -> bool:
    return _s(args, key).lower() in ("1", "true")


def _ids(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _blocks(value: Any, pointer: str = "/blocks", limit: int = MAX_BLOCKS) -> list[JSON] | None:
    """Blocks as Slack validates them: a JSON array of objects with a type, at most `limit`, section text ≤ 3000."""
    if value is None or value == "":
        return None
    if not isinstance(value, list) or not all(isinstance(block, dict) for block in value):
        raise SlackError("invalid_blocks_format")
    if len(value) > limit:
        raise SlackError("invalid_blocks", f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    for index, block in enumerate(value):
        if not isinstance(block.get("type"), str):
            raise SlackError("invalid_blocks", f"[ERROR] missing required field: type [json-pointer:{pointer}/{index}]")
        text = block.get("text")
        if block["type"] == "section" and isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            raise SlackError(
                "invalid_blocks",
                f"[ERROR] must be less than {MAX_SECTION_TEXT + 1} characters "
                f"[json-pointer:{pointer}/{index}/text/text]",
            )
    return value


def _content(args: JSON) -> tuple[str, list[JSON] | None]:
    """The text and blocks of a message, with chat.postMessage's checks."""
    text = _s(args, "text")
    blocks = _blocks(args.get("blocks"))
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


def _view(value: Any, kinds: tuple[str, ...]) -> JSON:
    """A view argument as views.* validate it (answers `invalid_arguments` with a json-pointer, as Slack does)."""
    if not isinstance(value, dict):
        raise SlackError(INVALID, "[ERROR] failed to match all allowed schemas [json-pointer:/view]")
    if value.get("type") not in kinds:
        raise SlackError(INVALID, f"[ERROR] must be one of {list(kinds)} [json-pointer:/view/type]")
    if value["type"] == "modal" and not isinstance(value.get("title"), dict):
        raise SlackError(INVALID, "[ERROR] missing required field: title [json-pointer:/view]")
    blocks = value.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
        raise SlackError(INVALID, f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]")
    if len(str(value.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        raise SlackError(INVALID, "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]")
    return value


class FakeSlack:
    """The fake workspace T0001 with the bot UBOT (bot id B0001, token xoxb-test), served on 127.0.0.1."""

    def __init__(
        self,
        *,
        ts_start: float | None = None,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        trigger_ttl: float | None = TRIGGER_TTL,
        host: str = "127.0.0.1",
    ) -> None:
        self.tokens = set(tokens)
        self._oauth_codes: dict[str, dict[str, str]] = {}
        # Sign in with Slack: who approves the next authorize request, the codes handed out and the user tokens.
        self.oidc_user: JSON | None = None
        self._oidc_codes: dict[str, tuple[JSON, str]] = {}
        self._oidc_tokens: dict[str, JSON] = {}
        self.trigger_ttl = trigger_ttl
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        self.users: dict[str, JSON] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemeral: list[JSON] = []
        self.views: dict[str, JSON] = {}
        self.home_views: dict[str, list[JSON]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._chaos: Chaos | None = None
        # The ts clock: by default fake (Nov 2023), so ts values are predictable and strictly increasing; with
        # ts_start (the time now, say) they are epoch times as Slack's are, for what compares them with a clock
        # (conversations.history's `oldest`, as the resumed steps use it).
        self._micros = int((ts_start if ts_start is not None else 1_700_000_000) * 1_000_000) // 100 * 100
        self._serial = 0
        self._used_triggers: set[str] = set()
        self._hook_uses: dict[str, int] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.add_user(BOT_USER_ID, "swarm", "", real_name="Swarm", is_bot=True)

    # ----------------------------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/openid/connect/authorize", self._handle_oidc_authorize)
        app.router.add_post("/hooks/{kind}/{team}/{channel}/{user}/{ts}/{key}", self._handle_hook)
        # A short shutdown_timeout: a test that ends while a call is stalled must not wait a minute for it.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing.set()  # releases stalled calls at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The base_url for slack_sdk clients (it appends the method name)."""
        return f"http://{self.host}:{self.port}/api/"

    @property
    def hooks_url(self) -> str:
        """The base of this fake's response_url hooks; pass it to `hook_url` or to SlackSender(hooks_url=...)."""
        return f"http://{self.host}:{self.port}/hooks/"

    # ------------------------------------------------------------------------------------------- seeding state

    def add_user(
        self,
        id: str,
        name: str,
        email: str,
        real_name: str | None = None,
        *,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
    ) -> JSON:
        real = real_name or name
        profile: JSON = {"real_name": real, "real_name_normalized": real, "display_name": name}
        profile |= {"display_name_normalized": name, "team": TEAM_ID}
        profile |= dict.fromkeys(("title", "status_text", "status_emoji"), "")
        if email:
            profile["email"] = email
        if is_bot:
            profile |= {"bot_id": BOT_ID, "api_app_id": APP_ID}
        user: JSON = {"id": id, "team_id": TEAM_ID, "name": name, "deleted": False, "real_name": real}
        user |= {"tz": tz, "tz_label": tz, "tz_offset": 0, "is_admin": is_admin, "is_bot": is_bot}
        user |= dict.fromkeys(("is_primary_owner", "is_restricted", "is_ultra_restricted"), False)
        user["is_owner"] = is_owner
        user |= {"is_app_user": False, "updated": int(time.time()), "profile": profile}
        self.users[id] = user
        return user

    def add_channel(
        self,
        id: str,
        name: str,
        members: Iterable[str] = (),
        *,
        is_private: bool = False,
        is_archived: bool = False,
        topic: str = "",
    ) -> Channel:
        """A channel as if people made it; the bot is a member only if "UBOT" is in `members`."""
        channel = Channel(id=id, name=name, members=list(members), is_private=is_private, is_archived=is_archived)
        channel.topic, channel.creator = topic, next(iter(channel.members), "U0")
        self.channels[id] = channel
        return channel

    def add_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None, ts: str | None = None
    ) -> str:
        """A message a person posted (to react to, pin, link or reply under); returns its ts."""
        if ts is None:
            ts = self._next_ts()
        else:  # keep the clock ahead of every ts it has seen, so later ts stay strictly increasing
            seconds, _, micros = ts.partition(".")
            self._micros = max(self._micros, int(seconds) * 1_000_000 + int(micros or 0))
        message: JSON = {"type": "message", "user": user, "text": text, "ts": ts, "team": TEAM_ID}
        message["client_msg_id"] = secrets.token_hex(16)
        self._append(self.channels[channel], message, thread_ts)
        return ts

    # --------------------------------------------------------------------------------------- what tests assert

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages(self, channel_id: str, thread_ts: str | None = None) -> list[JSON]:
        """The channel's messages in order (a thread: its parent and replies), as Slack stores them."""
        messages = self.channels[channel_id].messages
        if thread_ts is None:
            return list(messages)
        return [m for m in messages if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def ephemerals(self, user: str | None = None) -> list[JSON]:
        return [e for e in self.ephemeral if user is None or e["user"] == user]

    def views_published(self, user: str) -> list[JSON]:
        return list(self.home_views.get(user, []))

    # ------------------------------------------------------------------------------------------ fault injection

    def fail(
        self, method: str, times: int = 1, status: int = 429, retry_after: int = 1, error: str | None = None
    ) -> None:
        """The next `times` calls of `method` ("*": any) answer `status`: 429 with Retry-After and `ratelimited`,
        5xx with a Slack-like error body, or 200 with `{"ok": false, "error": error}`."""
        self._queue(method, [Fault(status=status, error=error, retry_after=retry_after) for _ in range(times)])

    def mend(self, method: str) -> None:
        """Drops the faults still queued for `method`: it answers normally again."""
        self._faults.pop(method, None)

    def stall(
        self,
        method: str,
        seconds: float,
        times: int = 1,
        *,
        effect: bool = True,
        when: Callable[[JSON], bool] | None = None,
    ) -> None:
        """The next `times` calls (those whose arguments `when` accepts, if given) wait `seconds`, then are carried
        out and answered. A client that timed out or died in the meantime never hears that its message was posted —
        as with Slack. With effect=False the call never gets through: after the wait its connection is dropped."""
        self._queue(method, [Fault(stall=seconds, effect=effect, when=when) for _ in range(times)])

    def stalled(self, method: str) -> list[Call]:
        """Calls of `method` being held by a stall right now (no answer yet)."""
        return [call for call in self.calls if call.method == method and call.status == 0 and call.stalled]

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls get their connection closed with no answer, and have no effect."""
        self._queue(method, [Fault(status=0) for _ in range(times)])

    def chaos(
        self,
        rate: float = 0.2,
        seed: int = 1,
        statuses: Iterable[int] = (429, 500, 503),
        methods: Iterable[str] | None = None,
        retry_after: int = 0,
        timeout: float = 0.0,
    ) -> None:
        """From now on each call (of `methods`, default all) fails with probability `rate`, with a status drawn from
        `statuses` (0 = drop; TIMEOUT = held `timeout` seconds, longer than the client waits, then dropped unheard);
        seeded, so a load test replays the same faults. rate=0 turns it off."""
        chosen = frozenset(methods) if methods is not None else None
        chaos = Chaos(rate, random.Random(seed), tuple(statuses), chosen, retry_after, timeout)
        self._chaos = chaos if rate > 0 else None

    def clear_faults(self) -> None:
        self._faults.clear()
        self._chaos = None

    def _queue(self, method: str, faults: list[Fault]) -> None:
        self._faults.setdefault(method, deque()).extend(faults)

    def _next_fault(self, method: str, args: JSON) -> Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                for fault in queue:
                    if fault.when is None or fault.when(args):
                        queue.remove(fault)
                        return fault
        chaos = self._chaos
        if chaos and (chaos.methods is None or method in chaos.methods) and chaos.rng.random() < chaos.rate:
            status = chaos.rng.choice(chaos.statuses)
            if status == TIMEOUT:
                return Fault(stall=chaos.timeout, effect=False)
            return Fault(status=status, retry_after=chaos.retry_after)
        return None

    # ----------------------------------------------------------------------------------------------- the server

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args, token, bad_body = await self._read(request)
        call = Call(method, args, token=token)
        self.calls.append(call)
        early = await self._fault_answer(request, method, call)
        if early is not None:
            return early
        try:
            if bad_body:
                raise SlackError(bad_body)
            body = self._answer(method, args, token)
        except SlackError as error:
            body = error.body()
        return self._reply(call, 200, body)

    async def _fault_answer(self, request: web.Request, method: str, call: Call) -> web.StreamResponse | None:
        """Applies the next fault for `method`: an answer to send instead of the normal one, or None to go on."""
        fault = self._next_fault(method, call.args)
        if fault is not None and fault.stall:
            call.stalled = True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(fault.stall):
                    await self._closing.wait()
            call.stalled, call.held = False, fault.stall
            fault = Fault(status=0) if self._closing.is_set() or not fault.effect else None
        if fault is None:
            return None
        if fault.status == 0:
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never reaches the client: the connection is gone
        if fault.status == 200:
            return self._reply(call, 200, {"ok": False, "error": fault.error or "fatal_error"})
        body = {"ok": False, "error": fault.error or FAULT_ERRORS.get(fault.status, "fatal_error")}
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        return self._reply(call, fault.status, body, headers)

    def _reply(self, call: Call, status: int, body: JSON, headers: dict[str, str] | None = None) -> web.Response:
        call.status, call.response = status, copy.deepcopy(body)
        return web.json_response(body, status=status, headers=headers)

    async def _read(self, request: web.Request) -> tuple[JSON, str | None, str | None]:
        """(arguments, token, error): query string and body merged; the token from `Authorization: Bearer` or the
        `token` argument; JSON-valued arguments decoded when they came as strings."""
        args: JSON = dict(request.query)
        error = None
        if request.content_type == "application/json":
            raw = await request.text()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                body, error = {}, "invalid_json"
            if isinstance(body, dict):
                args.update(body)
            else:
                error = "json_not_object"
        elif request.body_exists:
            form = await request.post()
            args.update({key: value for key, value in form.items() if isinstance(value, str)})
        header = request.headers.get("Authorization", "")
        token = args.pop("token", None)
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):  # the app's client id and secret (openid.connect.token, oauth.v2.access)
            with contextlib.suppress(ValueError):
                client_id, _, secret = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
                args.setdefault("client_id", client_id)
                args.setdefault("client_secret", secret)
        for key in JSON_ARGS:
            if isinstance(args.get(key), str) and args[key]:
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args, token, error

    def _answer(self, method: str, args: JSON, token: str | None) -> JSON:
        if method == "oauth.v2.access":
            return {"ok": True, **self._oauth_v2_access(args)}
        if method == "openid.connect.token":
            return {"ok": True, **self._openid_connect_token(args)}
        if method == "openid.connect.userInfo":
            return {"ok": True, **self._openid_connect_user_info(token)}
        row = METHODS.get(method)
        if row is None:
            raise SlackError("unknown_method")
        if not token:
            raise SlackError("not_authed")
        if token not in self.tokens:
            raise SlackError("invalid_auth")
        handler, required = row
        for name, error in required.items():
            if args.get(name) in (None, ""):
                raise SlackError(error, f"[ERROR] missing required field: {name}")
        return {"ok": True, **handler(self, args)}

    async def _handle_hook(self, request: web.Request) -> web.StreamResponse:
        """A response_url post (bolt's `respond()`): Slack answers plain `ok`, or 4xx with the error as text."""
        args, _, bad_body = await self._read(request)
        call = Call("response_url", args)
        self.calls.append(call)
        early = await self._fault_answer(request, "response_url", call)
        if early is not None:
            return early
        uses = self._hook_uses[request.path] = self._hook_uses.get(request.path, 0) + 1
        try:
            if bad_body or uses > HOOK_USES:
                raise SlackError(bad_body or "used_url")
            self._respond(request.match_info, args)
        except SlackError as error:
            call.status, call.response = 404 if error.error == "used_url" else 400, error.body()
            return web.Response(status=call.status, text=error.error)
        call.status, call.response = 200, {"ok": True}
        return web.Response(text="ok")

    def _respond(self, where: dict[str, str], args: JSON) -> None:
        channel = self.channels.get(where["channel"]) or self._dm(where["user"])
        ts = where["ts"] if where["ts"] != "-" else None
        if ts and _flag(args, "delete_original"):
            channel.messages.remove(channel.message(ts))
            return
        text, blocks = _content(args)
        if ts and _flag(args, "replace_original"):
            self._edit(channel.message(ts), args, text, blocks)
        elif args.get("response_type") == "in_channel":
            self._append(channel, self._bot_message(text, blocks), _s(args, "thread_ts") or None)
        else:
            self._ephemeral(channel, where["user"], text, blocks, args)

    # ------------------------------------------------------------------------------------------------- helpers

    def _next_ts(self) -> str:
        self._micros += 100
        return f"{self._micros // 1_000_000}.{self._micros % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        while True:
            self._serial += 1
            candidate = f"{prefix}{self._serial:08d}"
            if candidate not in self.channels and candidate not in self.views:
                return candidate

    def _conversation(self, args: JSON, key: str = "channel") -> Channel:
        channel = self.channels.get(_s(args, key))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _target(self, args: JSON) -> Channel:
        """chat.* also accept a #name or a user id (the bot's DM with that user)."""
        ref = _s(args, "channel")
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:
            return self._dm(ref)
        channel = self.channel_by_name(ref.removeprefix("#"))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _dm(self, user: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and channel.user == user:
                return channel
        channel = Channel(id=self._new_id("D"), name="", members=[user, BOT_USER_ID], is_im=True, user=user)
        self.channels[channel.id] = channel
        return channel

    def _writable(self, channel: Channel) -> Channel:
        if channel.is_archived:
            raise SlackError("is_archived")
        if (channel.is_private or channel.is_mpim) and BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _bot_message(self, text: str, blocks: list[JSON] | None) -> JSON:
        message: JSON = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID}
        message |= {"text": text, "ts": self._next_ts(), "team": TEAM_ID}
        if blocks is not None:
            message["blocks"] = blocks
        return message

    def _append(self, channel: Channel, message: JSON, thread_ts: str | None) -> None:
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = next((m for m in channel.messages if m["ts"] == thread_ts), None)
            if parent is not None:  # Slack keeps the thread summary on the parent
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                parent["reply_users"] = list(dict.fromkeys([*parent.get("reply_users", []), message["user"]]))
                parent["reply_users_count"] = len(parent["reply_users"])
                message["parent_user_id"] = parent["user"]
        channel.messages.append(message)

    def _edit(self, message: JSON, args: JSON, text: str, blocks: list[JSON] | None) -> None:
        if "text" in args:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}

    def _ephemeral(self, channel: Channel, user: str, text: str, blocks: list[JSON] | None, args: JSON) -> str:
        ts = self._next_ts()
        record: JSON = {"channel": channel.id, "user": user, "text": text, "message_ts": ts}
        if blocks is not None:
            record["blocks"] = blocks
        if args.get("thread_ts"):
            record["thread_ts"] = _s(args, "thread_ts")
        self.ephemeral.append(record)
        return ts

    def _use_trigger(self, trigger_id: str) -> None:
        match = TRIGGER_ID.fullmatch(trigger_id)
        if match is None:
            raise SlackError("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        if self.trigger_ttl is not None and time.time() - int(match.group(1)) / 1000 > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(trigger_id)

    def _store_view(self, view: JSON, view_id: str, root_view_id: str | None = None) -> JSON:
        self._serial += 1
        stored: JSON = {"id": view_id, "team_id": TEAM_ID, "type": view["type"], "blocks": [], "state": {"values": {}}}
        stored |= {"private_metadata": "", "callback_id": "", "external_id": "", "app_installed_team_id": TEAM_ID}
        stored |= {"app_id": APP_ID, "bot_id": BOT_ID, "clear_on_close": False, "notify_on_close": False}
        stored |= dict.fromkeys(("close", "submit", "previous_view_id"))
        stored |= view
        stored |= {
            "id": view_id,
            "root_view_id": root_view_id or view_id,
            "hash": f"{int(time.time())}.{self._serial:08x}",
        }
        self.views[view_id] = stored
        return copy.deepcopy(stored)

    # -------------------------------------------------------------------------------------------------- methods

    def install(self, code: str, team_id: str, token: str, bot_user_id: str = "UBOT2") -> None:
        """Makes `code` exchangeable by oauth.v2.access for a bot token of another workspace."""
        self._oauth_codes[code] = {"team_id": team_id, "token": token, "bot_user_id": bot_user_id}

    def _oauth_v2_access(self, args: JSON) -> JSON:
        # No bearer token here: the app authenticates with its client id and secret and the one-time code.
        grant = self._oauth_codes.pop(str(args.get("code", "")), None)
        if grant is None:
            raise SlackError("invalid_code")
        self.tokens.add(grant["token"])
        return {
            "access_token": grant["token"],
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": grant["bot_user_id"],
            "app_id": APP_ID,
            "team": {"id": grant["team_id"], "name": grant["team_id"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "UINSTALLER"},
        }

    def sign_in_with_slack(
        self, user: str, team_id: str = TEAM_ID, *, name: str = "", email: str = "", team_name: str = TEAM_NAME
    ) -> None:
        """The person who approves the next Sign in with Slack: the authorize page sends them straight back to the
        app with a code, as Slack does once they click Allow."""
        self.oidc_user = {"user": user, "team_id": team_id, "name": name or user, "email": email}
        self.oidc_user["team_name"] = team_name

    async def _handle_oidc_authorize(self, request: web.Request) -> web.StreamResponse:
        """https://slack.com/openid/connect/authorize: redirects to redirect_uri with a code and the state."""
        args = dict(request.query)
        call = Call("openid.connect.authorize", args)
        self.calls.append(call)
        redirect = args.get("redirect_uri", "")
        if args.get("response_type") != "code" or not redirect or "openid" not in args.get("scope", "").split(","):
            call.status, call.response = 400, {"ok": False, "error": "invalid_request"}
            return web.Response(status=400, text="invalid_request")
        if self.oidc_user is None:
            location = f"{redirect}?error=access_denied&state={args.get('state', '')}"
        else:
            code = f"oidc-{secrets.token_hex(8)}"
            self._oidc_codes[code] = (dict(self.oidc_user), redirect)
            location = f"{redirect}?code={code}&state={args.get('state', '')}"
        call.status, call.response = 302, {"ok": True, "location": location}
        raise web.HTTPFound(location)

    def _openid_connect_token(self, args: JSON) -> JSON:
        if not _s(args, "client_id") or not _s(args, "client_secret"):
            raise SlackError("invalid_client_id")
        grant = self._oidc_codes.pop(_s(args, "code"), None)
        if grant is None:
            raise SlackError("invalid_code")
        who, redirect = grant
        if _s(args, "redirect_uri") and _s(args, "redirect_uri") != redirect:
            raise SlackError("bad_redirect_uri")
        token = f"xoxp-{secrets.token_hex(8)}"
        self._oidc_tokens[token] = who
        # The id_token is a JWT in Slack's answer; this one is only shaped like one (nothing here verifies it).
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
        claims = base64.urlsafe_b64encode(json.dumps({"sub": who["user"]}).encode()).decode().rstrip("=")
        return {"access_token": token, "token_type": "Bearer", "id_token": f"{header}.{claims}."}

    def _openid_connect_user_info(self, token: str | None) -> JSON:
        if not token:
            raise SlackError("not_authed")
        who = self._oidc_tokens.get(token)
        if who is None:
            raise SlackError("invalid_auth")
        return {
            "sub": who["user"],
            "https://slack.com/user_id": who["user"],
            "https://slack.com/team_id": who["team_id"],
            "email": who["email"],
            "email_verified": bool(who["email"]),
            "name": who["name"],
            "given_name": who["name"].split(" ")[0],
            "locale": "en-US",
            "https://slack.com/team_name": who["team_name"],
            "https://slack.com/team_domain": who["team_id"].lower(),
        }

    def _api_test(self, args: JSON) -> JSON:
        return {"args": args}

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": self.users[BOT_USER_ID]["name"],
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: JSON) -> JSON:
        user = self.users.get(_s(args, "user"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _users_lookup_by_email(self, args: JSON) -> JSON:
        email = _s(args, "email").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    def _conversations_create(self, args: JSON) -> JSON:
        name = _s(args, "name")
        if len(name) > MAX_NAME:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if not name.strip("-_"):
            raise SlackError("invalid_name_punctuation")
        if any(c.name == name for c in self.channels.values()):  # archived channels keep their names too
            raise SlackError("name_taken")
        channel = Channel(id=self._new_id("C"), name=name, members=[BOT_USER_ID], is_private=_flag(args, "is_private"))
        self.channels[channel.id] = channel
        return {"channel": channel.to_slack()}

    def _conversations_invite(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        users = _ids(_s(args, "users"))
        if not users:
            raise SlackError("no_user")
        for user in users:
            if user == BOT_USER_ID:
                raise SlackError("cant_invite_self")
            if user not in self.users:
                raise SlackError("user_not_found")
        new = [user for user in users if user not in channel.members]
        if not new:
            raise SlackError("already_in_channel")
        channel.members.extend(new)
        return {"channel": channel.to_slack()}

    def _conversations_join(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        if channel.is_im or channel.is_mpim or channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if BOT_USER_ID in channel.members:
            warning = "already_in_channel"
            return {"channel": channel.to_slack(), "warning": warning, "response_metadata": {"warnings": [warning]}}
        channel.members.append(BOT_USER_ID)
        return {"channel": channel.to_slack()}

    def _conversations_set_topic(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        if channel.is_archived:
            raise SlackError("is_archived")
        if BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        topic = _s(args, "topic")
        if len(topic) > MAX_TOPIC:
            raise SlackError("too_long")
        channel.topic = topic
        return {"channel": channel.to_slack()}

    def _conversations_archive(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def _conversations_info(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        return {"channel": channel.to_slack(num_members=_flag(args, "include_num_members"))}

    def _conversations_members(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        page, next_cursor = _page(channel.members, args)
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, args: JSON) -> JSON:
        """The channel's messages newest first (thread replies left out, as Slack does); `metadata` only with
        include_all_metadata."""
        channel = self._conversation(args)
        if BOT_USER_ID not in channel.members and not channel.is_im:
            raise SlackError("not_in_channel")
        oldest = float(_s(args, "oldest") or 0)
        top = [
            m for m in reversed(channel.messages) if m.get("thread_ts") in (None, m["ts"]) and float(m["ts"]) > oldest
        ]
        return _history_page(top, args)

    def _conversations_replies(self, args: JSON) -> JSON:
        """A thread: its parent first, then the replies oldest first (those after `oldest`)."""
        channel = self._conversation(args)
        if BOT_USER_ID not in channel.members and not channel.is_im:
            raise SlackError("not_in_channel")
        ts, oldest = _s(args, "ts"), float(_s(args, "oldest") or 0)
        parent = next((m for m in channel.messages if m["ts"] == ts), None)
        if parent is None:
            raise SlackError("thread_not_found")
        replies = [m for m in channel.messages if m.get("thread_ts") == ts and m is not parent]
        return _history_page([parent, *(m for m in replies if float(m["ts"]) > oldest)], args)

    def _conversations_list(self, args: JSON) -> JSON:
        """Channels of the asked types (public by default); private ones only where the bot is a member."""
        types = set((_s(args, "types") or "public_channel").split(","))
        if not types <= {"public_channel", "private_channel", "mpim", "im"}:
            raise SlackError("invalid_types")
        listed = [
            c
            for c in self.channels.values()
            if _kind(c) in types
            and (_kind(c) == "public_channel" or BOT_USER_ID in c.members)
            and not (c.is_archived and _flag(args, "exclude_archived"))
        ]
        page, next_cursor = _page(listed, args)
        return {"channels": [c.to_slack() for c in page], "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_open(self, args: JSON) -> JSON:
        if _s(args, "channel"):
            channel = self._conversation(args)
            return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
        users = _ids(_s(args, "users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        for user in users:
            if user not in self.users:
                raise SlackError("user_not_found")
        others = [user for user in users if user != BOT_USER_ID]
        if not others:
            raise SlackError("not_enough_users")
        if len(others) > 8:
            raise SlackError("too_many_users")
        members = [*others, BOT_USER_ID]
        existing = next((c for c in self.channels.values() if (c.is_im or c.is_mpim) and c.members == members), None)
        if existing is not None:
            channel, opened = existing, {"no_op": True, "already_open": True}
        elif len(others) == 1:
            channel, opened = self._dm(others[0]), {}
        else:  # a group DM: Slack names it after its members
            name = "mpdm-" + "--".join(self.users[u]["name"] for u in others) + "-1"
            channel = Channel(id=self._new_id("G"), name=name, members=[*others, BOT_USER_ID], is_mpim=True)
            self.channels[channel.id] = channel
            opened = {}
        body = channel.to_slack() if _flag(args, "return_im") else {"id": channel.id}
        return {**opened, "channel": body}

    def _chat_post_message(self, args: JSON) -> JSON:
        channel = self._writable(self._target(args))
        text, blocks = _content(args)
        message = self._bot_message(text, blocks)
        if (metadata := _metadata(args)) is not None:
            message["metadata"] = metadata
        self._append(channel, message, _s(args, "thread_ts") or None)
        return {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        # Lenient on purpose: any existing channel and known user will do (membership is not checked).
        channel = self._target(args)
        if channel.is_archived:
            raise SlackError("is_archived")
        user = _s(args, "user")
        if user not in self.users:
            raise SlackError("user_not_in_channel")
        text, blocks = _content(args)
        return {"message_ts": self._ephemeral(channel, user, text, blocks, args)}

    def _chat_update(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        message = channel.message(_s(args, "ts"))
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        text, blocks = _content(args)
        self._edit(message, args, text, blocks)
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"], "message": copy.deepcopy(message)}

    def _chat_get_permalink(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        message = channel.message(_s(args, "message_ts"))
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _reactions_add(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        message = channel.message(_s(args, "timestamp"))
        name = _s(args, "name")
        if not re.fullmatch(r"[a-z0-9_+'-]+", name):  # e.g. ":eyes:" is refused: names go without colons
            raise SlackError("invalid_name")
        reactions: list[JSON] = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if BOT_USER_ID in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(BOT_USER_ID)
        reaction["count"] += 1
        return {}

    def _pins_add(self, args: JSON) -> JSON:
        channel = self._conversation(args)
        message = channel.message(_s(args, "timestamp"))
        if message["ts"] in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(message["ts"])
        message["pinned_to"] = [channel.id]
        return {}

    def _views_open(self, args: JSON) -> JSON:
        self._use_trigger(_s(args, "trigger_id"))
        view = _view(args.get("view"), ("modal",))
        return {"view": self._store_view(view, self._new_id("V"))}

    def _views_update(self, args: JSON) -> JSON:
        view_id, external_id = _s(args, "view_id"), _s(args, "external_id")
        if not view_id and not external_id:
            raise SlackError(INVALID, "[ERROR] either view_id or external_id is required")
        current = self.views.get(view_id) or next(
            (v for v in self.views.values() if external_id and v.get("external_id") == external_id), None
        )
        if current is None:
            raise SlackError("not_found")
        if _s(args, "hash") and _s(args, "hash") != current["hash"]:
            raise SlackError("hash_conflict")
        view = _view(args.get("view"), (current["type"],))
        return {"view": self._store_view(view, current["id"], current["root_view_id"])}

    def _views_publish(self, args: JSON) -> JSON:
        user = _s(args, "user_id")
        if user not in self.users:
            raise SlackError(INVALID, "invalid `user_id`")
        view = _view(args.get("view"), ("home",))
        published = self.home_views.setdefault(user, [])
        if published and _s(args, "hash") and _s(args, "hash") != published[-1]["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, published[-1]["id"] if published else self._new_id("V"))
        published.append(copy.deepcopy(stored))
        return {"view": stored}


def _page(items: list[Any], args: JSON) -> tuple[list[Any], str]:
    """One page of a cursor-paginated list (`limit`, `cursor`) and the next page's cursor ("" after the last)."""
    limit = int(_s(args, "limit") or 100)
    if not 1 <= limit <= 1000:
        raise SlackError("invalid_limit")
    start = 0
    if cursor := _s(args, "cursor"):
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:"))
        except ValueError as error:
            raise SlackError("invalid_cursor") from error
    more = start + limit < len(items)
    return items[start : start + limit], base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""


def _history_page(messages: list[JSON], args: JSON) -> JSON:
    page, next_cursor = _page(messages, args)
    shown = [copy.deepcopy(m) for m in page]
    if not _flag(args, "include_all_metadata"):
        for message in shown:
            message.pop("metadata", None)
    return {"messages": shown, "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


def _metadata(args: JSON) -> JSON | None:
    """chat.postMessage's `metadata` ({"event_type", "event_payload"}), as a JSON object or its text."""
    value = args.get("metadata")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise SlackError("invalid_metadata_format") from error
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": dict(value.get("event_payload", {}))}


def _kind(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


_Handler = Callable[[FakeSlack, JSON], JSON]
# One row per Web API method: the function that answers it, and its required arguments, each with the error Slack
# gives when it is missing (the spec's specific error where there is one, else `invalid_arguments`).
CHANNEL = {"channel": "channel_not_found"}
METHODS: dict[str, tuple[_Handler, dict[str, str]]] = {
    "api.test": (FakeSlack._api_test, {}),
    "auth.test": (FakeSlack._auth_test, {}),
    "users.info": (FakeSlack._users_info, {"user": INVALID}),
    "users.lookupByEmail": (FakeSlack._users_lookup_by_email, {"email": INVALID}),
    "conversations.create": (FakeSlack._conversations_create, {"name": "invalid_name_required"}),
    "conversations.invite": (FakeSlack._conversations_invite, {**CHANNEL, "users": "no_user"}),
    "conversations.join": (FakeSlack._conversations_join, CHANNEL),
    "conversations.setTopic": (FakeSlack._conversations_set_topic, CHANNEL),
    "conversations.archive": (FakeSlack._conversations_archive, CHANNEL),
    "conversations.info": (FakeSlack._conversations_info, CHANNEL),
    "conversations.members": (FakeSlack._conversations_members, CHANNEL),
    "conversations.list": (FakeSlack._conversations_list, {}),
    "conversations.history": (FakeSlack._conversations_history, CHANNEL),
    "conversations.replies": (FakeSlack._conversations_replies, {**CHANNEL, "ts": "thread_not_found"}),
    "conversations.open": (FakeSlack._conversations_open, {}),
    "chat.postMessage": (FakeSlack._chat_post_message, CHANNEL),
    "chat.postEphemeral": (FakeSlack._chat_post_ephemeral, {**CHANNEL, "user": "user_not_in_channel"}),
    "chat.update": (FakeSlack._chat_update, {**CHANNEL, "ts": "message_not_found"}),
    "chat.getPermalink": (FakeSlack._chat_get_permalink, {**CHANNEL, "message_ts": "message_not_found"}),
    "reactions.add": (FakeSlack._reactions_add, {**CHANNEL, "name": "invalid_name", "timestamp": "no_item_specified"}),
    "pins.add": (FakeSlack._pins_add, {**CHANNEL, "timestamp": "no_item_specified"}),
    "views.open": (FakeSlack._views_open, {"trigger_id": INVALID, "view": INVALID}),
    "views.update": (FakeSlack._views_update, {"view": INVALID}),
    "views.publish": (FakeSlack._views_publish, {"user_id": INVALID, "view": INVALID}),
}
