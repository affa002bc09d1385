"""SlackSender's requests verify with slack_sdk's SignatureVerifier and parse as bolt parses Slack's; a real bolt
AsyncApp served on loopback takes every kind of request and answers through FakeSlack."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import TRIGGER_ID, FakeSlack
from tests.fakes.slack_signing import SlackSender, app_home_opened, message_event, reaction_event, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FORM = "application/x-www-form-urlencoded"
EVENTS_SPEC = Path("/work/shared/slack-api-specs/events_async_v1.json")
ENVELOPE_REQUIRED: list[str] = json.loads(EVENTS_SPEC.read_text())["components"]["schemas"]["GenericEventWrapper"][
    "required"
]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    """`handler` on POST /slack/events at 127.0.0.1:<free port>; yields the base URL."""
    app = web.Application()
    app.router.add_post("/slack/events", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class Receiver:
    """Our server in miniature: verify the signature as slack_sdk does, parse the body as bolt does."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.requests: list[AsyncBoltRequest] = []
        self.raw: list[bytes] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = dict(request.headers)
        if not self.verifier.is_valid_request(raw, headers):
            return web.Response(status=401, text="invalid signature")
        try:
            parsed = AsyncBoltRequest(body=raw.decode(), query=request.query_string, headers=dict(headers))
        except ValueError:  # json.JSONDecodeError included
            return web.Response(status=400, text="malformed")
        self.raw.append(raw)
        self.requests.append(parsed)
        return web.Response(text="ok")

    @property
    def last(self) -> AsyncBoltRequest:
        return self.requests[-1]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, SlackSender]]:
    receive = Receiver()
    async with serve(receive.handle) as url, SlackSender(url, SECRET) as sender:
        yield receive, sender


# -------------------------------------------------------------------------------------------------- signing


@pytest.mark.parametrize("body", [b"", b"token=x&text=hello+world", '{"text": "café ✅ <@U1>"}'.encode()])
def test_sign_matches_slack_sdk(body: bytes) -> None:
    verifier = SignatureVerifier(SECRET)
    assert sign(SECRET, 1_700_000_000, body) == verifier.generate_signature(timestamp="1700000000", body=body)
    assert sign(SECRET, 1_700_000_000, body) != sign(SECRET, 1_700_000_001, body) != sign("other", 1_700_000_000, body)


def test_sign_matches_slacks_documented_example() -> None:
    # The worked example in Slack's "Verifying requests from Slack" guide.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body) == expected


# --------------------------------------------------------------------------------------------------- shapes


async def test_slash_command_is_a_signed_form_like_slacks(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    text = "ACME can't export & <PDF> 100% #billing sev2 customer:ACME"
    assert await sender.slash(text, user_id="U1", channel_id="C1") == (200, "ok")
    fields = receive.last.body
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert (fields["command"], fields["text"], fields["team_id"]) == ("/swarm", text, "T0001")
    assert receive.last.content_type == FORM
    assert (receive.last.context.team_id, receive.last.context.user_id, receive.last.context.channel_id) == (
        "T0001",
        "U1",
        "C1",
    )
    match = TRIGGER_ID.fullmatch(fields["trigger_id"])
    assert match is not None and abs(int(match.group(1)) / 1000 - time.time()) < 5
    assert sender.last is not None and sender.last.payload["text"] == text and sender.last.status == 200


async def test_event_envelope_has_what_the_spec_requires(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    assert (await sender.event(message_event("C1", "U1", "The cache is stale", "1700000000.000200")))[0] == 200
    body = receive.last.body
    # authed_users gave way to `authorizations` in 2021 (Slack changelog 2020-09-15); everything else is there.
    assert set(ENVELOPE_REQUIRED) - {"authed_users"} <= set(body)
    assert body["type"] == "event_callback" and body["event_id"].startswith("Ev")
    assert body["authorizations"][0] == {
        "enterprise_id": None,
        "team_id": "T0001",
        "user_id": "UBOT",
        "is_bot": True,
        "is_enterprise_install": False,
    }
    event = body["event"]
    assert event["type"] == "message" and event["event_ts"] == event["ts"] == "1700000000.000200"
    assert (event["channel_type"], event["blocks"][0]["type"]) == ("channel", "rich_text")
    assert (receive.last.context.user_id, receive.last.context.channel_id) == ("U1", "C1")
    assert receive.last.content_type == "application/json"
    assert "x-slack-retry-num" not in receive.last.headers


async def test_retries_resend_the_same_event_with_retry_headers(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    await sender.event(reaction_event("U2", "raising_hand", "C1", "1700000000.000100"))
    assert sender.last is not None
    first_id = sender.last.payload["event_id"]
    await sender.event(reaction_event("U2", "raising_hand", "C1", "1700000000.000100"), event_id=first_id, retry_num=1)
    retried = receive.last
    assert retried.body["event_id"] == first_id
    assert retried.headers["x-slack-retry-num"] == ["1"] and retried.headers["x-slack-retry-reason"] == ["http_timeout"]
    event = retried.body["event"]
    assert event["item"] == {"type": "message", "channel": "C1", "ts": "1700000000.000100"}
    assert (event["type"], event["user"], event["item_user"]) == ("reaction_added", "U2", "UBOT")
    assert reaction_event("U2", "eyes", "C1", "1.2", added=False)["type"] == "reaction_removed"


async def test_block_action_is_one_payload_field(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    button = {"type": "button", "action_id": "join", "text": {"type": "plain_text", "text": "Join"}, "value": "1"}
    blocks = [{"type": "actions", "block_id": "swarm-1", "elements": [button]}]
    message: dict[str, Any] = {"type": "message", "ts": "1700000000.000300", "blocks": blocks}
    await sender.block_action("U2", "join", "1", "C1", "1700000000.000300", message=message)
    assert list(parse_qs(receive.raw[-1].decode())) == ["payload"]
    payload = receive.last.body
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000300",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "join",
        "swarm-1",
        "1",
        "button",
    )
    assert action["text"] == button["text"]
    assert payload["message"]["blocks"] == message["blocks"] and payload["user"]["id"] == "U2"
    assert (receive.last.context.user_id, receive.last.context.channel_id) == ("U2", "C1")
    assert receive.last.context.response_url == payload["response_url"]


async def test_view_submission_carries_state_values(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    values = {"case": {"text": {"type": "plain_text_input", "value": "ACME export fails"}}}
    await sender.view_submission("U1", "open_swarm", '{"channel": "C1"}', values, view_id="V123")
    payload = receive.last.body
    view = payload["view"]
    assert (payload["type"], view["id"], view["callback_id"]) == ("view_submission", "V123", "open_swarm")
    assert view["state"]["values"] == values and view["private_metadata"] == '{"channel": "C1"}'
    assert view["blocks"][0]["block_id"] == "case" and view["blocks"][0]["element"]["action_id"] == "text"
    assert payload["response_urls"] == [] and receive.last.context.user_id == "U1"


async def test_builders_follow_slacks_event_shapes() -> None:
    bot_post = message_event("C1", "UBOT", "Swarm 1 is open", "1.000100", bot_id="B0001")
    assert (bot_post["bot_id"], bot_post["app_id"], "client_msg_id" in bot_post) == ("B0001", "A0001", False)
    reply = message_event("D1", "U1", "hi", "1.000200", thread_ts="1.000100", subtype="thread_broadcast")
    assert (reply["channel_type"], reply["thread_ts"], reply["subtype"]) == ("im", "1.000100", "thread_broadcast")
    home = app_home_opened("U1")
    assert (home["type"], home["tab"], "view" in home) == ("app_home_opened", "home", False)


# ---------------------------------------------------------------------------------------- forged and stale


async def test_raw_requests_for_forged_stale_and_malformed(receiver: tuple[Receiver, SlackSender]) -> None:
    receive, sender = receiver
    body = b'{"type": "event_callback"}'
    json_headers = {"Content-Type": "application/json"}
    assert await sender.raw(body, json_headers) == (200, "ok")  # defaults: now, correctly signed
    assert (await sender.raw(body, json_headers, signature="v0=" + "0" * 64))[0] == 401
    assert (await sender.raw(body, json_headers, signature=""))[0] == 401  # no signature header
    assert (await sender.raw(body, json_headers, timestamp=""))[0] == 401  # no timestamp header
    assert (await sender.raw(body, json_headers, timestamp=int(time.time()) - 301))[0] == 401  # signed, but stale
    assert await sender.raw(b"payload=%7Bnot-json", {"Content-Type": FORM}) == (400, "malformed")
    assert sender.last is not None and sender.last.payload == {"payload": "{not-json"}
    assert len(receive.requests) == 1

    stale = SlackSender(sender.url.removesuffix("/slack/events"), SECRET, clock=lambda: time.time() - 600)
    wrong = SlackSender(sender.url.removesuffix("/slack/events"), "not-the-secret")
    async with stale, wrong:
        assert (await stale.slash("help", "U1", "C1"))[0] == 401
        assert (await wrong.slash("help", "U1", "C1"))[0] == 401


def test_stale_signature_is_refused_by_slack_sdk_too() -> None:
    class Later(Clock):
        def now(self) -> float:
            return 1_700_000_000 + 301

    body = b"text=hi"
    assert SignatureVerifier(SECRET).is_valid(body, "1700000000", sign(SECRET, 1_700_000_000, body)) is False
    assert SignatureVerifier(SECRET, clock=Later()).is_valid(body, "1700000301", sign(SECRET, 1_700_000_301, body))


# ------------------------------------------------------------------------------------------ real bolt end to end


async def test_a_bolt_app_takes_every_kind_and_answers_through_the_fake() -> None:
    async with FakeSlack() as slack:
        slack.add_user("U1", "ana", "ana@example.com")
        slack.add_channel("C1", "support", members=["U1", "UBOT"])
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        app = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)
        seen: list[Any] = []

        @app.command("/swarm")
        async def command(ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient) -> None:
            await ack()
            await respond(f"Opening a swarm for: {command['text']}")
            join = {"type": "button", "action_id": "join", "text": {"type": "plain_text", "text": "Join"}, "value": "1"}
            blocks = [{"type": "actions", "block_id": "swarm-1", "elements": [join]}]
            await client.chat_postMessage(channel=command["channel_id"], text="Swarm 1 is open", blocks=blocks)

        @app.action("join")
        async def joined(ack: Any, body: dict[str, Any], respond: Any) -> None:
            await ack()
            await respond(replace_original=True, text=f"<@{body['user']['id']}> joined swarm 1")

        @app.view("open_swarm")
        async def submitted(ack: Any, view: dict[str, Any]) -> None:
            await ack()
            seen.append(view["state"]["values"]["case"]["text"]["value"])

        @app.event("reaction_added")
        async def reacted(event: dict[str, Any]) -> None:
            seen.append(event["reaction"])

        @app.event("message")
        async def message(event: dict[str, Any]) -> None:
            seen.append(event["text"])

        @app.event("app_home_opened")
        async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
            await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

        async with serve(endpoint) as url, SlackSender(url, SECRET, hooks_url=slack.hooks_url) as sender:
            assert await sender.url_verification("abc") == (200, '{"challenge": "abc"}')
            assert (await sender.slash("ACME export fails", "U1", "C1"))[0] == 200
            assert [e["text"] for e in slack.ephemerals("U1")] == ["Opening a swarm for: ACME export fails"]
            announcement = slack.messages("C1")[0]

            await sender.block_action("U1", "join", "1", "C1", announcement["ts"], message=announcement)
            assert slack.messages("C1")[0]["text"] == "<@U1> joined swarm 1"

            values = {"case": {"text": {"type": "plain_text_input", "value": "PDF export"}}}
            assert (await sender.view_submission("U1", "open_swarm", "", values))[0] == 200
            await sender.event(reaction_event("U1", "raising_hand", "C1", announcement["ts"]))
            await sender.event(
                message_event("C1", "U1", "tried the default template", slack.add_message("C1", "U1", "x"))
            )
            # The bot's own post, shaped as Slack echoes it: bolt recognises it as self and drops it.
            await sender.event(message_event("C1", "UBOT", "Swarm 1 is open", announcement["ts"], bot_id="B0001"))
            await sender.event(app_home_opened("U1"))
            assert seen == ["PDF export", "raising_hand", "tried the default template"]
            assert slack.views_published("U1")[0]["type"] == "home"

            stale = SlackSender(url, SECRET, clock=lambda: time.time() - 600)
            async with stale:
                assert (await stale.slash("help", "U1", "C1"))[0] == 401
        assert [call.method for call in slack.calls if call.method != "auth.test"] == [
            "response_url",
            "chat.postMessage",
            "response_url",
            "views.publish",
        ]
