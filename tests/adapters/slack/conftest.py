"""The real `swarm serve` web app with the Slack mount, on loopback, talking to a fake Slack Web API.

await slack.command("/swarm ACME export fails #billing", user="ana")
assert slack.api.calls_to("conversations.create")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters import web
from adapters.app import App
from adapters.settings import Settings
from adapters.slack import SlackMount
from adapters.web import Mount
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_signing import SlackSender, message_event, reaction_event
from tests.harness import ROSTER, Clock

SECRET = "test-signing-secret"
SUPPORT = "C0SUPPORT"
PEOPLE = {row["email"].split("@")[0]: f"U{row['email'].split('@')[0].upper()}" for row in ROSTER}  # type: ignore[union-attr]


@dataclass
class SlackScenario:
    api: FakeSlack
    sender: SlackSender
    mount: SlackMount
    app: App

    @staticmethod
    def user(name: str) -> str:
        return PEOPLE.get(name, name)

    async def command(self, text: str, user: str = "ana", channel: str = SUPPORT, **kwargs: Any) -> tuple[int, str]:
        result = await self.sender.slash(text.removeprefix("/swarm").strip(), self.user(user), channel, **kwargs)
        await self.mount.idle()
        return result

    async def say(self, text: str, user: str, channel: str, **kwargs: Any) -> str:
        ts = self.api.add_message(channel, self.user(user), text)
        await self.sender.event(message_event(channel, self.user(user), text, ts, **kwargs))
        await self.mount.idle()
        return ts

    async def react(
        self, emoji: str, channel: str, ts: str, user: str, added: bool = True, **kwargs: Any
    ) -> tuple[int, str]:
        result = await self.sender.event(reaction_event(self.user(user), emoji, channel, ts, added=added), **kwargs)
        await self.mount.idle()
        return result

    async def event(self, event: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        result = await self.sender.event(event, **kwargs)
        await self.mount.idle()
        return result

    async def click(self, action: str, value: str, user: str, channel: str, ts: str) -> tuple[int, str]:
        result = await self.sender.block_action(self.user(user), action, value, channel, ts)
        await self.mount.idle()
        return result

    async def submit(self, view: dict[str, Any], user: str, **values: str) -> tuple[int, str]:
        """Submits a modal the bot opened, its inputs prefilled as the bot left them and changed by `values`."""
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            element = block["element"]
            if element["type"] == "static_select":
                chosen = values.get(block["block_id"], (element.get("initial_option") or {}).get("value"))
                option = {"value": chosen, "text": {"type": "plain_text", "text": chosen}} if chosen else None
                state[block["block_id"]] = {"value": {"type": "static_select", "selected_option": option}}
            else:
                text = values.get(block["block_id"], element.get("initial_value"))
                state[block["block_id"]] = {"value": {"type": "plain_text_input", "value": text}}
        result = await self.sender.view_submission(
            self.user(user), view["callback_id"], view["private_metadata"], state, view=view
        )
        await self.mount.idle()
        return result

    def room(self) -> Any:
        rooms = [c for c in self.api.channels.values() if c.name.startswith("swarm-")]
        assert rooms, "no room was created"
        return rooms[-1]

    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [c.args for c in self.api.calls_to("chat.postMessage") if c.args.get("channel") == channel and c.ok]

    def ephemerals(self, user: str) -> list[str]:
        return [
            c.args.get("text", "") for c in self.api.calls_to("chat.postEphemeral") if c.args["user"] == self.user(user)
        ]

    def views_opened(self) -> list[dict[str, Any]]:
        return [c.args["view"] for c in self.api.calls_to("views.open") if c.ok]


@asynccontextmanager
async def slack_server(
    database_url: str,
    *,
    clock: Clock | None = None,
    hooks: Callable[[App, SlackMount], Sequence[Mount]] = lambda app, mount: (),
    **settings: Any,
) -> AsyncIterator[tuple[SlackScenario, str]]:
    """The real server for a Slack workspace with the roster's people and #support, its app made of `settings`, with
    the mounts `hooks` makes besides Slack's (a ticket system's webhook); (the scenario, the server's address)."""
    async with FakeSlack() as api:
        for row in ROSTER:
            handle = str(row["email"]).split("@")[0]
            api.add_user(PEOPLE[handle], handle, str(row["email"]), real_name=str(row["name"]))
        api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), "UBOT"])
        config = Settings(
            SWARM_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api.url,
            **settings,
        )
        # A fixed Tuesday morning in Europe: who is at work, and so who is asked, must not depend on the hour.
        app = await App.start(config, clock=clock or Clock())
        rows = [(i + 1, {**row, "slack_id": PEOPLE[str(row["email"]).split("@")[0]]}) for i, row in enumerate(ROSTER)]
        await app.core.people.import_roster(TEAM_ID, rows)
        mount = SlackMount(app, app.store.engine)
        server = TestServer(web.build(app, [mount, *hooks(app, mount)]), host="127.0.0.1")
        await server.start_server()
        try:
            url = str(server.make_url("")).rstrip("/")
            async with SlackSender(url, SECRET, hooks_url=api.hooks_url) as sender:
                yield SlackScenario(api, sender, mount, app), url
        finally:
            await server.close()
            await app.close()


async def start_slack(database_url: str, **settings: Any) -> AsyncIterator[SlackScenario]:
    async with slack_server(database_url, **settings) as (scenario, _):
        yield scenario


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url):
        yield scenario
