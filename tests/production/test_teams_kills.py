"""Kills, for Teams (issue 24): `swarm serve` killed with SIGKILL at random moments 0-300 ms after it acknowledged
Teams' activities, then started again on the same database; every acknowledged open, join and message took effect
once. test_kills.py does the same for Slack.

The test plays Teams: a loopback FakeConnector is the Bot Framework connector, and the test posts activities to
`/api/messages` one after another — @Swarm opens in #support, 👍 joins on an open swarm's announcement, messages in
its room — and records which were acknowledged (202). A random moment after the round's first acknowledgement it
kills the server (and its worker process, with `--workers 1`), starts a new one, and sends the next round. Teams
does not send again what it got a 202 for, so neither does the test; what was not answered may or may not have
taken effect (at most once). The servers run in the Bot Framework Emulator mode (SWARM_TEAMS_EMULATOR, loopback
only): a subprocess cannot be handed the fixed outbound token that tests/adapters/teams/test_auth.py uses, and
what authentication keeps in the inbox (the token's claims) is tested there. `SWARM_TEST_KILLS` sets the number of
kills per database and case (10 by default).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.app import App
from adapters.settings import Settings
from tests.adapters.teams.conftest import HANDLES, TENANT, aad, roster, teams_id
from tests.fakes.teams_connector import BOT_ID, BOT_NAME, FakeConnector, readable
from tests.harness import ROSTER
from tests.production import deployment as deployment_
from tests.production.deployment import server_env
from tests.production.test_kills import PAUSE, Sent, assert_each_once, kill_rounds
from tests.production.test_replicas import WORK, Server, _stop, _until

SUPPORT = "19:support@thread.tacv2"
CASE = "ACME cannot export invoices #billing sev2"
QUEUE = re.compile(r'^swarm_queue_depth\{queue="teams"\} (\S+)$', re.MULTILINE)
INBOX = re.compile(r'^swarm_inbox_deliveries\{platform="teams"\} (\S+)$', re.MULTILINE)
JOINED = (
    "SELECT count(*) FROM swarm_event e JOIN person p ON p.id = e.person_id WHERE e.kind = 'joined'"
    " AND p.teams_id = :word"
)


class People:
    """What people in Teams do, as the activities Teams posts to the bot (a 202 or 200 is an acknowledgement)."""

    def __init__(self, fake: FakeConnector, url: str) -> None:
        self.fake = fake
        self.url = url
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        await self.session.close()

    def activity(self, kind: str, user: str, conversation: str, activity_id: str, **extra: Any) -> dict[str, Any]:
        member = self.fake.members[user]
        channel = conversation.split(";", 1)[0]
        return {
            "type": kind,
            "id": activity_id,
            "timestamp": "2026-11-24T09:00:00.000Z",
            "serviceUrl": self.fake.url,
            "channelId": "msteams",
            "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad},
            "conversation": {"id": conversation, "conversationType": "channel", "tenantId": TENANT, "isGroup": True},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "channelData": {
                "tenant": {"id": TENANT},
                "channel": {"id": channel},
                "team": {"id": "19:team@thread.tacv2"},
                "teamsChannelId": channel,
            },
            "locale": "en-US",
            **extra,
        }

    async def open(self, case: str, user: str, activity_id: str) -> int:
        """@Swarm <case> in a new post in #support."""
        conversation = f"{SUPPORT};messageid={activity_id}"
        tag = f"<at>{BOT_NAME}</at>"
        mention = {"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
        activity = self.activity("message", user, conversation, activity_id, text=f"{tag} {case}", entities=[mention])
        self.fake.add_message(conversation, activity)
        return await self.post(activity)

    async def like(self, message_id: str, user: str, activity_id: str) -> int:
        posted = self.fake.messages[message_id]
        reaction = {"reactionsAdded": [{"type": "like"}]}
        return await self.post(
            self.activity("messageReaction", user, posted.conversation, activity_id, replyToId=message_id, **reaction)
        )

    async def say(self, room: str, words: str, user: str, activity_id: str) -> int:
        """A message in a swarm's room thread, to the people there (no mention of the bot)."""
        activity = self.activity("message", user, room, activity_id, text=words)
        self.fake.add_message(room, activity)
        return await self.post(activity)

    async def post(self, activity: dict[str, Any]) -> int:
        data = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json"}
        async with self.session.post(self.url + "/api/messages", data=data, headers=headers) as response:
            await response.read()
            return response.status


class Deployment(deployment_.Deployment[People]):
    """A deployment that FakeConnector serves as the Bot Framework connector (`fake`)."""

    def __init__(self, fake: FakeConnector, database_url: str, workers: int, tmp_path: Path, env: dict[str, str]):
        talk = partial(People, fake)
        super().__init__(
            database_url=database_url, workers=workers, tmp_path=tmp_path, env=env, talk=talk, platform="teams"
        )
        self.fake = fake


async def _prepare(database_url: str) -> None:
    """Migrates the database and imports the roster (people known by their AAD object id), as an operator would."""
    app = await App.start(Settings(SWARM_DATABASE_URL=database_url))
    try:
        report = await app.core.people.import_roster(TENANT, roster())
        assert not report.rejected
    finally:
        await app.close()


@pytest.fixture
async def deployment(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    await _prepare(database_url)
    async with FakeConnector(TENANT) as fake:
        for handle, row in zip(HANDLES, ROSTER, strict=True):
            fake.add_member(teams_id(handle), aad(handle), str(row["name"]), str(row["email"]))
        env = server_env(database_url, SWARM_TEAMS_EMULATOR="true")
        deployment = Deployment(fake, database_url, getattr(request, "param", 0), tmp_path, env)
        try:
            yield deployment
        finally:
            await asyncio.gather(*(_stop(s) for s in deployment.servers))


def _announcement(fake: FakeConnector, number: int) -> str | None:
    for posted in fake.posts():
        first = posted.versions[0] if posted.versions else posted.activity
        buttons = [a["title"] for a in _buttons(first)]
        if buttons == ["Join"] and f"Swarm {number}" in readable(first):
            return posted.id
    return None


def _buttons(activity: dict[str, Any]) -> list[dict[str, Any]]:
    for attachment in activity.get("attachments") or []:
        return list(attachment.get("content", {}).get("actions") or [])
    return []


async def _opened(deployment: Deployment, people: People, server: Server) -> tuple[str, str]:
    """Opens swarm 1; its announcement's id and its room thread's conversation."""
    assert await people.open(CASE, teams_id("ana"), "open-first") == 202
    await _until(lambda: _announced(deployment.fake), WORK, "the swarm to open")
    await deployment.settled(server)
    announcement = _announcement(deployment.fake, 1)
    assert announcement is not None
    (room,) = await deployment.rows("SELECT room_id FROM swarm WHERE number = 1")
    return announcement, str(room[0])


async def _announced(fake: FakeConnector) -> bool:
    return _announcement(fake, 1) is not None


async def _stream(
    at: Deployment, people: People, announcement: str, room: str, round_: int, sent: Sent, first: asyncio.Event
) -> None:
    """Sends activities until the server is gone: every tenth an open, the others joins and messages in turn, each
    open and join by someone new (a person Teams knows and the roster does not)."""
    for i in range(10_000):
        word = f"r{round_:02d}n{i:03d}"
        activity_id = f"a-{word}"
        if i % 10 == 5:
            opener = f"29:o-{word}"
            at.fake.add_member(opener, f"aad-o-{word}", f"Agent {word}", f"agent-{word}@example.com")
            kind, request = sent.opens, people.open(f"Case {word} cannot export invoices #billing", opener, activity_id)
        elif i % 2:
            joiner = f"29:j-{word}"
            at.fake.add_member(joiner, f"aad-j-{word}", f"Joiner {word}", f"{word}@example.com")
            word, kind = f"aad-j-{word}", sent.joins
            request = people.like(announcement, joiner, activity_id)
        else:
            kind, request = sent.messages, people.say(room, f"note {word}", teams_id("ana"), activity_id)
        kind[word] = False
        sent.keys[word] = activity_id  # the delivery id the core claims: the activity's id
        try:
            status = await request
        except (aiohttp.ClientError, OSError, TimeoutError):
            return  # killed: what had no answer is not acknowledged
        kind[word] = status == 202
        if status == 202:
            first.set()
        await asyncio.sleep(PAUSE)


def _case(value: object) -> str | None:
    return {0: "work-in-server", 1: "worker-process"}.get(value) if isinstance(value, int) else None


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("deployment", [0, 1], indirect=True, ids=_case)
async def test_every_acknowledged_teams_open_join_and_message_takes_effect_once_across_kills(
    deployment: Deployment,
) -> None:
    seed = random.randrange(1 << 30)
    server, people = await deployment.start()
    announcement, room = await _opened(deployment, people, server)

    async def stream(people: People, round_: int, sent: Sent, first: asyncio.Event) -> None:
        await _stream(deployment, people, announcement, room, round_, sent, first)

    sent = await kill_rounds(deployment, server, people, stream, lambda: _announced(deployment.fake), seed)
    await assert_each_once(deployment, sent, JOINED, seed)
