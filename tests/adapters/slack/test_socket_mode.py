"""Socket Mode: the same app takes Slack's envelopes over a WebSocket instead of HTTP (bolt's socket-mode path)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from adapters.slack.mount import web_client
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_api import new_trigger_id
from tests.fakes.slack_signing import reaction_event


class SocketSlack:
    """Slack's side of Socket Mode: apps.connections.open hands out a WebSocket on which envelopes are pushed and
    acknowledged by envelope_id."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.socket: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.acked = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self.open)
        app.router.add_get("/link", self.link)
        self.server = TestServer(app, host="127.0.0.1")

    async def open(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer xapp-test"
        return web.json_response({"ok": True, "url": str(self.server.make_url("/link")).replace("http", "ws", 1)})

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self.socket = socket
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                async with self.acked:
                    self.acks.append(json.loads(message.data))
                    self.acked.notify_all()
        return socket

    async def push(self, envelope_id: str, kind: str, payload: dict[str, Any]) -> None:
        assert self.socket is not None
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        await self.socket.send_str(json.dumps(envelope))
        async with self.acked:
            await asyncio.wait_for(
                self.acked.wait_for(lambda: any(a["envelope_id"] == envelope_id for a in self.acks)), 5
            )


async def test_slash_commands_and_events_over_socket_mode(slack: SlackScenario) -> None:
    socket_slack = SocketSlack()
    await socket_slack.server.start_server()
    handler = AsyncSocketModeHandler(
        slack.mount.bolt, "xapp-test", web_client=web_client(str(socket_slack.server.make_url("/api/")))
    )
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await asyncio.wait_for(socket_slack.connected.wait(), 5)
        command = {
            "command": "/swarm",
            "text": "ACME cannot export invoices #pdf",
            "user_id": "UANA",
            "user_name": "ana",
            "channel_id": SUPPORT,
            "team_id": "T0001",
            "trigger_id": new_trigger_id(),
            "api_app_id": "A0001",
        }
        await socket_slack.push("env-1", "slash_commands", command)
        await slack.mount.idle()
        assert slack.room().name == "swarm-1-acme-cannot-export-invoices"
        announcement_ts = slack.api.messages(SUPPORT)[-1]["ts"]

        event = {
            "type": "event_callback",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event_id": "EvSOCKET1",
            "event_time": 1700000000,
            "event": reaction_event("UFAY", "raising_hand", SUPPORT, announcement_ts),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
        }
        await socket_slack.push("env-2", "events_api", event)
        # Slack re-delivers an envelope it thinks was not acknowledged; the event id is the same.
        await socket_slack.push("env-3", "events_api", event)
        await slack.mount.idle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await socket_slack.server.close()

    assert [a["envelope_id"] for a in socket_slack.acks] == ["env-1", "env-2", "env-3"]
    joined = [p for p in slack.posts(slack.room().id) if p["text"] == "<@UFAY> joined swarm 1 as helper."]
    assert len(joined) == 1
