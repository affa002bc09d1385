"""Teams end to end: the real aiohttp server with the Teams mount (botbuilder's CloudAdapter, authentication off
unless a test turns it on) receives activities over HTTP; their serviceUrl is a loopback fake connector that records
what the bot sends. Real core, real router, real storage.

    await teams.message("ACME cannot export invoices #billing sev2", user="ana")   # @Swarm … in #support
    await teams.react(teams.announcement(1), user="fay")                           # 👍
    await teams.click(teams.root(1), "Join", user="eli")
    await teams.message("resolve cleared the cache", user="ana", thread=teams.room(1))
    assert teams.fake.calls_to("update")
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from adapters import web
from adapters.app import App
from adapters.settings import Settings
from adapters.teams import TeamsMount
from adapters.teams.connector import Backoff
from bot.core import Core
from storage.database import SqlStore
from storage.refs import SqlPlatformRefs
from tests.fakes.teams_connector import BOT_ID, BOT_NAME, FakeConnector, Posted, readable
from tests.harness import ROSTER, Clock

TENANT = "tenant-1"
TEAM = "19:team@thread.tacv2"
CHANNELS = {"support": "19:support@thread.tacv2", "swarms": "19:swarms@thread.tacv2"}
PERSONAL = "personal"
HANDLES = [str(row["email"]).split("@")[0] for row in ROSTER]
# Fay is in the roster by e-mail only: Teams tells her address, and the roster learns her Teams id from it.
NO_TEAMS_ID = {"fay"}
MENTION = re.compile(r"@([a-z]+)\b")


def teams_id(handle: str) -> str:
    return f"29:{handle}"


def aad(handle: str) -> str:
    return f"aad-{handle}"


def roster() -> list[tuple[int, dict[str, object]]]:
    rows = []
    for i, row in enumerate(ROSTER):
        handle = str(row["email"]).split("@")[0]
        rows.append((i + 1, {**row, **({} if handle in NO_TEAMS_ID else {"teams_id": aad(handle)})}))
    return rows


@dataclass
class TeamsScenario:
    fake: FakeConnector
    mount: TeamsMount
    app: App
    url: str
    session: ClientSession
    slept: list[float] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    edits: int = 0

    # -- people do things -----------------------------------------------------------------------------------------

    async def message(
        self,
        text: str,
        user: str = "ana",
        channel: str = "support",
        thread: str | None = None,
        mention: bool | None = None,
        activity_id: str | None = None,
    ) -> str:
        """A person writes: in a channel (a new post, or in `thread`, a conversation id), or in their personal chat
        with the bot (`channel="personal"`). Channel messages @mention the bot unless `mention=False`; `@fay` in the
        text becomes a Teams mention of Fay. Returns the message id."""
        personal = channel == PERSONAL
        message_id = activity_id or self.fake.new_id()
        if personal:
            conversation = self.fake.personal_chat(teams_id(user))
        else:
            conversation = thread or f"{CHANNELS[channel]};messageid={message_id}"
        entities: list[dict[str, Any]] = []

        def person(match: re.Match[str]) -> str:
            member = self.fake.members.get(teams_id(match.group(1)))
            if member is None:
                return match.group(0)
            tag = f"<at>{html.escape(member.name)}</at>"
            entities.append({"type": "mention", "text": tag, "mentioned": {"id": member.id, "name": member.name}})
            return tag

        # Teams sends what people typed as HTML: their < and & escaped, mentions as <at> tags.
        body = MENTION.sub(person, html.escape(text, quote=False))
        if mention if mention is not None else not personal:
            tag = f"<at>{BOT_NAME}</at>"
            body = f"{tag} {body}"
            entities.insert(0, {"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}})
        activity = self.activity("message", user, conversation, message_id, text=body, entities=entities)
        self.fake.add_message(conversation, activity)
        await self.send(activity)
        return message_id

    async def react(
        self, message_id: str, user: str, reaction: str = "like", added: bool = True, activity_id: str | None = None
    ) -> int:
        posted = self.fake.messages[message_id]
        key = "reactionsAdded" if added else "reactionsRemoved"
        activity = self.activity(
            "messageReaction",
            user,
            posted.conversation,
            activity_id or self.fake.new_id(),
            replyToId=message_id,
            **{key: [{"type": reaction}]},
        )
        return (await self.send(activity))[0]

    async def edit(self, message_id: str, text: str, user: str, activity_id: str | None = None) -> int:
        """A person edits a message of theirs: Teams sends `messageUpdate` with the message's id and the new words."""
        posted = self.fake.messages[message_id]
        self.edits += 1
        activity = self.activity(
            "messageUpdate",
            user,
            posted.conversation,
            activity_id or message_id,
            text=f"<p>{html.escape(text, quote=False)}</p>",
            textFormat="plain",
        )
        activity["timestamp"] = f"2026-11-24T09:{self.edits:02d}:00.000Z"
        activity["channelData"]["eventType"] = "editMessage"
        return (await self.send(activity))[0]

    async def delete(self, message_id: str, user: str, event_type: str = "softDeleteMessage") -> int:
        """A message is deleted: Teams sends `messageDelete` with its id (and no words)."""
        posted = self.fake.messages[message_id]
        kind = "messageUpdate" if event_type == "undeleteMessage" else "messageDelete"
        activity = self.activity(kind, user, posted.conversation, message_id)
        activity["channelData"]["eventType"] = event_type
        return (await self.send(activity))[0]

    async def click(
        self, message_id: str, label: str, user: str, activity_id: str | None = None, aad_object_id: bool = True
    ) -> int:
        """Presses a button (an Action.Submit) on a card the bot posted. Teams leaves `from.aadObjectId` out of some
        card actions (`aad_object_id=False`)."""
        posted = self.fake.messages[message_id]
        action = next((a for a in posted.buttons() if a["title"] == label), None)
        assert action is not None, f"no {label} button on {message_id}: {[a['title'] for a in posted.buttons()]}"
        activity = self.activity(
            "message",
            user,
            posted.conversation,
            activity_id or self.fake.new_id(),
            replyToId=message_id,
            value=action["data"],
        )
        if not aad_object_id:
            del activity["from"]["aadObjectId"]
        return (await self.send(activity))[0]

    async def submit(self, message_id: str, user: str, activity_id: str | None = None, **values: str) -> int:
        """Submits a form card the bot posted: its inputs as the bot prefilled them, changed by `values`."""
        return (await self.send(self.submission(message_id, user, activity_id, **values)))[0]

    def submission(self, message_id: str, user: str, activity_id: str | None = None, **values: str) -> dict[str, Any]:
        """The activity Teams sends when the form is submitted (to send it more than once)."""
        posted = self.fake.messages[message_id]
        inputs = {e["id"]: e.get("value", "") for e in posted.inputs()}
        for key, value in values.items():
            assert f"f.{key}" in inputs, f"no input {key} on the form: {list(inputs)}"
            inputs[f"f.{key}"] = value
        (action,) = posted.buttons()
        return self.activity(
            "message",
            user,
            posted.conversation,
            activity_id or self.fake.new_id(),
            replyToId=message_id,
            value={**action["data"], **inputs},
        )

    def activity(self, kind: str, user: str, conversation: str, activity_id: str, **extra: Any) -> dict[str, Any]:
        member = self.fake.members[teams_id(user)]
        kind_of = self.fake.conversations.get(conversation) or (
            "personal" if conversation.startswith("a:") else "channel"
        )
        channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
        if kind_of == "channel":
            channel = conversation.split(";", 1)[0]
            channel_data |= {"channel": {"id": channel}, "team": {"id": TEAM}, "teamsChannelId": channel}
        return {
            "type": kind,
            "id": activity_id,
            "timestamp": "2026-11-24T09:00:00.000Z",
            "serviceUrl": self.fake.url,
            "channelId": "msteams",
            "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad},
            "conversation": {
                "id": conversation,
                "conversationType": kind_of,
                "tenantId": TENANT,
                "isGroup": kind_of != "personal",
            },
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "channelData": channel_data,
            "locale": "en-US",
            **extra,
        }

    async def send(
        self, activity: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, str]:
        """Posts to /api/messages as the Bot Framework does, then waits for the turn to finish."""
        status, text = await self.post(activity, headers, raw)
        await self.mount.idle()
        return status, text

    async def post(
        self, activity: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, str]:
        """Posts to /api/messages as the Bot Framework does: the answer, with the turn perhaps still to come."""
        data = raw if raw is not None else __import__("json").dumps(activity).encode()
        sent_headers = {"Content-Type": "application/json", **self.headers, **(headers or {})}
        async with self.session.post(self.url + "api/messages", data=data, headers=sent_headers) as response:
            return response.status, await response.text()

    # -- what the bot did -----------------------------------------------------------------------------------------

    def root(self, number: int) -> str:
        """The first message of swarm `number`'s room thread (its case card, once it is in place)."""
        for posted in self.fake.messages.values():
            first = posted.versions[0] if posted.versions else {}
            if posted.by_bot and first and _title(first).startswith(f"swarm-{number}-"):
                return posted.id
        raise AssertionError(f"no room for swarm {number}")

    def room(self, number: int) -> str:
        """The conversation id of swarm `number`'s room thread."""
        return self.fake.messages[self.root(number)].conversation

    def announcement(self, number: int) -> str:
        found = [
            p
            for p in self.fake.posts()
            if [a["title"] for a in _buttons(p.versions[0])] == ["Join"]
            and f"Swarm {number}" in readable(p.versions[0])
        ]
        assert found, f"no announcement of swarm {number}"
        return found[-1].id

    def told(self, user: str) -> list[str]:
        """What the bot said in the person's personal chat, oldest first."""
        return self.fake.texts(self.fake.personal_chat(teams_id(user)))

    def last_told(self, user: str) -> str:
        told = self.told(user)
        assert told, f"nothing was said to {user} in their personal chat"
        return told[-1]

    def forms(self, user: str) -> list[Posted]:
        return [p for p in self.fake.posts(self.fake.personal_chat(teams_id(user))) if p.inputs()]

    def said(self, conversation: str) -> list[str]:
        return self.fake.texts(conversation)


def _buttons(activity: dict[str, Any]) -> list[dict[str, Any]]:
    for attachment in activity.get("attachments") or []:
        return list(attachment.get("content", {}).get("actions") or [])
    return []


def _title(activity: dict[str, Any]) -> str:
    for attachment in activity.get("attachments") or []:
        body = attachment.get("content", {}).get("body") or []
        if body:
            return str(body[0].get("text", ""))
    return str(activity.get("text", ""))


@asynccontextmanager
async def start_teams(
    store: SqlStore, fake: FakeConnector | None = None, auth: Any = None, work: bool = True, **settings: Any
) -> AsyncIterator[TeamsScenario]:
    """The server with the Teams mount; with `work=False` it only keeps and acknowledges activities, as a server
    whose work is done by worker processes (`swarm serve --workers N`)."""
    async with fake or FakeConnector(TENANT) as connector:
        for handle, row in zip(HANDLES, ROSTER, strict=True):
            connector.add_member(teams_id(handle), aad(handle), str(row["name"]), str(row["email"]))
        connector.add_member(teams_id("zoe"), aad("zoe"), "Zoe Kim", "zoe@example.com")
        config = Settings(_env_file=None, SWARM_DATABASE_URL="sqlite://", **settings)  # type: ignore[call-arg]
        app = App(config, store, Core.build(store, config.policy(), Clock()))
        report = await app.core.people.import_roster(TENANT, roster())
        assert not report.rejected
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)
            await asyncio.sleep(0)

        mount = TeamsMount(app, SqlPlatformRefs(store), config, auth=auth, backoff=Backoff(sleep=sleep), work=work)
        server = TestServer(web.build(app, [mount]), host="127.0.0.1")
        await server.start_server()
        try:
            async with ClientSession() as session:
                yield TeamsScenario(connector, mount, app, str(server.make_url("/")), session, slept)
        finally:
            await server.close()


@pytest.fixture
async def teams(store: SqlStore) -> AsyncIterator[TeamsScenario]:
    async with start_teams(store) as scenario:
        yield scenario
