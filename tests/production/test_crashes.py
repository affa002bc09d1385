"""Crashes (issue 9): `swarm serve` killed with SIGKILL at each step of opening and resolving a swarm, then started
again; the swarm completes once.

The loopback FakeSlack holds the chosen Web API call (`stall(..., effect=False)`: the call never gets through, as
when the process dies before Slack has it), the test kills the server (and its worker process with `--workers 1`)
while the call is held, and starts a new server on the same database. Time is shortened, never slept through:
`SWARM_RESUME_SETTLE_SECONDS` (how old an interrupted opening must be before a start-up finishes it; 180 in
production) and `SWARM_INBOX_LEASE_SECONDS` (how long a dead worker's delivery stays taken; 120).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack_api import BOT_USER_ID, FakeSlack
from tests.fakes.slack_signing import SlackSender
from tests.harness import ROSTER
from tests.production import deployment as deployment_
from tests.production.deployment import SETTLE, server_env
from tests.production.test_replicas import (
    PEOPLE,
    SECRET,
    SUPPORT,
    WORK,
    Server,
    _prepare,
    _stop,
    _until,
)

JSON = dict[str, Any]
HOLD = 120.0  # seconds a stalled call is held: longer than any test, released when the fake closes
CASE = "ACME cannot export invoices #billing sev2"
JOIN = "react :raising_hand: to join"


class Deployment(deployment_.Deployment[SlackSender]):
    """A deployment that FakeSlack serves as Slack's Web API (`api`)."""

    def __init__(self, api: FakeSlack, database_url: str, workers: int, tmp_path: Path, env: dict[str, str]) -> None:
        talk = partial(SlackSender, signing_secret=SECRET, hooks_url=api.hooks_url)
        super().__init__(
            database_url=database_url, workers=workers, tmp_path=tmp_path, env=env, talk=talk, platform="slack"
        )
        self.api = api


@pytest.fixture
async def deployment(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    await _prepare(database_url)
    async with FakeSlack(ts_start=time.time()) as api:
        for handle, user in PEOPLE.items():
            row = next(r for r in ROSTER if str(r["email"]).startswith(f"{handle}@"))
            api.add_user(user, handle, str(row["email"]), real_name=str(row["name"]))
        api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), BOT_USER_ID])
        env = server_env(database_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api.url)
        deployment = Deployment(api, database_url, getattr(request, "param", 0), tmp_path, env)
        try:
            yield deployment
        finally:
            await asyncio.gather(*(_stop(s) for s in deployment.servers))


def _room_call(args: JSON) -> bool:
    return str(args.get("channel", "")) not in ("", SUPPORT)


def _support_call(args: JSON) -> bool:
    return args.get("channel") == SUPPORT


# Each step of opening a swarm: the Web API method, and which of its calls (None: the first).
OPENING: dict[str, tuple[str, Callable[[JSON], bool] | None]] = {
    "create-room": ("conversations.create", None),
    "set-topic": ("conversations.setTopic", None),
    "invite": ("conversations.invite", None),
    "post-card": ("chat.postMessage", _room_call),
    "pin-card": ("pins.add", None),
    "announce": ("chat.postMessage", _support_call),
}


def _case(value: object) -> str | None:
    return {0: "work-in-server", 1: "worker-process"}.get(value) if isinstance(value, int) else None


async def _stalled(api: FakeSlack, method: str) -> bool:
    return bool(api.stalled(method))


def _rooms(api: FakeSlack) -> list[str]:
    return [c.id for c in api.channels.values() if c.name.startswith("swarm-1-")]


async def _opened_once(deployment: Deployment) -> None:
    api = deployment.api
    rooms = _rooms(api)
    assert len(rooms) == 1, [c.name for c in api.channels.values()]
    room = api.channels[rooms[0]]
    (swarm,) = await deployment.rows("SELECT id, status, room_id, card_id, announcement_id FROM swarm")
    assert swarm.room_id == room.id
    assert swarm.status == "open", deployment.logs()
    # Every invite: each person the swarm has in its room is a member of the channel, once.
    people = await deployment.rows(
        "SELECT p.slack_id FROM swarm_member m JOIN person p ON p.id = m.person_id WHERE m.swarm_id = :swarm",
        swarm=swarm.id,
    )
    expected = {p.slack_id for p in people if p.slack_id}
    assert expected, "the swarm has no one to invite"
    assert expected <= set(room.members)
    assert len(room.members) == len(set(room.members))
    assert room.topic
    # One card, pinned; one announcement.
    cards = [m for m in room.messages if m.get("bot_id")]
    assert [m["ts"] for m in cards] == [swarm.card_id], [m["text"] for m in cards]
    assert room.pins == [swarm.card_id]
    announcements = [m for m in api.messages(SUPPORT) if JOIN in m["text"]]
    assert [m["ts"] for m in announcements] == [swarm.announcement_id]
    # The command was done once: the bot never told the owner the opening failed after all was done.
    creates = [c for c in api.calls_to("conversations.create") if c.ok]
    assert len(creates) == 1


# Every step with the work in the server; two of them with the work in a worker process (each test takes ~10 s).
OPENING_CASES = [
    *((s, 0) for s in OPENING),
    ("invite", 1),
    ("announce", 1),
]


@pytest.mark.parametrize(("step", "deployment"), OPENING_CASES, indirect=["deployment"], ids=_case)
async def test_killed_at_each_step_of_opening_the_swarm_completes_once(deployment: Deployment, step: str) -> None:
    method, when = OPENING[step]
    api = deployment.api
    api.stall(method, HOLD, effect=False, when=when)
    first, sender = await deployment.start()
    status, _ = await sender.slash(CASE, PEOPLE["ana"], SUPPORT)
    assert status == 200
    await _until(partial(_stalled, api, method), WORK, f"the opening to reach {method}")
    await sender.close()
    await deployment.crash(first)

    await deployment.restart(lambda: _announced(api), "the opening to be finished")
    await _opened_once(deployment)


async def test_killed_after_slack_made_the_room_but_before_its_id_was_saved_the_room_is_taken(
    deployment: Deployment,
) -> None:
    """Slack carries out `conversations.create`, but the server dies before it hears the answer: the room exists
    and the database does not know it. The resumed opening finds its name taken by a channel the bot made since the
    swarm was saved, and takes it instead of making `swarm-1-…-2`."""
    api = deployment.api
    api.stall("conversations.create", SETTLE, effect=True)
    first, sender = await deployment.start()
    status, _ = await sender.slash(CASE, PEOPLE["ana"], SUPPORT)
    assert status == 200
    await _until(partial(_stalled, api, "conversations.create"), WORK, "the opening to reach conversations.create")
    await sender.close()
    await deployment.crash(first)
    await _until(lambda: _made(api), WORK, "Slack to make the room nobody heard about")

    await deployment.restart(lambda: _announced(api), "the opening to be finished")
    assert [c.args["name"] for c in api.calls_to("conversations.create")] == ["swarm-1-acme-cannot-export-invoices"] * 2
    assert api.calls_to("conversations.list")
    # _opened_once counts the successful creates, and here the only one was never heard: its own checks, but that.
    rooms = _rooms(api)
    assert len(rooms) == 1, [c.name for c in api.channels.values()]
    (swarm,) = await deployment.rows("SELECT room_id, card_id, announcement_id, status FROM swarm")
    assert (swarm.room_id, swarm.status) == (rooms[0], "open")
    room = api.channels[rooms[0]]
    assert room.topic and room.pins == [swarm.card_id]
    assert [m["ts"] for m in api.messages(SUPPORT) if JOIN in m["text"]] == [swarm.announcement_id]


# The posts a crash may leave made but unheard: Slack carries them out after the kill.
LANDED: dict[str, tuple[str, Callable[[JSON], bool]]] = {
    "card": ("chat.postMessage", _room_call),
    "announcement": ("chat.postMessage", _support_call),
}


@pytest.mark.parametrize("post", list(LANDED))
async def test_killed_after_slack_made_a_post_but_before_its_id_was_saved_it_is_not_posted_again(
    deployment: Deployment, post: str
) -> None:
    """The card or the announcement lands after the server died waiting for Slack's answer: the resumed opening
    finds it by its mark (message metadata, `conversations.history`) and does not post it a second time."""
    api = deployment.api
    method, when = LANDED[post]
    api.stall(method, SETTLE, effect=True, when=when)
    first, sender = await deployment.start()
    status, _ = await sender.slash(CASE, PEOPLE["ana"], SUPPORT)
    assert status == 200
    await _until(partial(_stalled, api, method), WORK, f"the opening to reach the {post}")
    await sender.close()
    await deployment.crash(first)
    channel = (lambda: _rooms(api)[0]) if post == "card" else (lambda: SUPPORT)
    await _until(lambda: _bot_posts(api, channel()), WORK, f"Slack to make the {post} nobody heard about")

    await deployment.restart(lambda: _announced(api), "the opening to be finished")
    (swarm,) = await deployment.rows("SELECT room_id, card_id, announcement_id, status FROM swarm")
    room = api.channels[_rooms(api)[0]]
    assert [m["ts"] for m in room.messages if m.get("bot_id")] == [swarm.card_id]
    assert room.pins == [swarm.card_id]
    assert [m["ts"] for m in api.messages(SUPPORT) if JOIN in m["text"]] == [swarm.announcement_id]
    assert swarm.status == "open"
    assert api.calls_to("conversations.history")


async def _bot_posts(api: FakeSlack, channel: str) -> bool:
    return any(m.get("bot_id") for m in api.messages(channel))


async def _made(api: FakeSlack) -> bool:
    return bool(_rooms(api))


async def _announced(api: FakeSlack) -> bool:
    return any(JOIN in m["text"] for m in api.messages(SUPPORT))


async def _open(deployment: Deployment, sender: SlackSender, server: Server) -> str:
    status, _ = await sender.slash(CASE, PEOPLE["ana"], SUPPORT)
    assert status == 200
    await _until(lambda: _announced(deployment.api), WORK, "the swarm to open")
    await deployment.settled(server)
    (room,) = _rooms(deployment.api)
    return room


SUMMARY = "is resolved after"


async def _closed(deployment: Deployment) -> bool:
    return not await deployment.rows("SELECT id FROM swarm WHERE closing")


FIX = "Raised the export size limit to 50 MB and re-ran the export job"

# Each post or update that resolving a swarm makes: the summary in the room, the summary under the announcement, the
# announcement marked resolved.
RESOLVING: dict[str, tuple[str, Callable[[JSON], bool] | None]] = {
    "summary-in-room": ("chat.postMessage", _room_call),
    "summary-under-announcement": ("chat.postMessage", _support_call),
    "announcement-updated": ("chat.update", _support_call),
}


@pytest.mark.parametrize("step", list(RESOLVING))
async def test_killed_at_each_step_of_resolving_the_swarm_completes_once(deployment: Deployment, step: str) -> None:
    api = deployment.api
    first, sender = await deployment.start()
    room = await _open(deployment, sender, first)
    method, when = RESOLVING[step]
    api.stall(method, HOLD, effect=False, when=when)
    status, _ = await sender.slash(f"resolve {FIX}", PEOPLE["ana"], room)
    assert status == 200
    await _until(partial(_stalled, api, method), WORK, f"resolving to reach {method}")
    await sender.close()
    await deployment.crash(first)

    await deployment.restart(partial(_closed, deployment), "the closing to be finished")
    articles = await deployment.rows("SELECT id FROM article")
    assert len(articles) == 1
    (swarm,) = await deployment.rows("SELECT status, announcement_id FROM swarm")
    assert swarm.status == "resolved"
    summaries = [c.args for c in api.calls_to("chat.postMessage") if c.ok and SUMMARY in str(c.args.get("text"))]
    in_room = [a for a in summaries if a["channel"] == room]
    thread = [a for a in summaries if a["channel"] == SUPPORT and a.get("thread_ts") == swarm.announcement_id]
    assert len(in_room) == 1, summaries
    assert len(thread) == 1, summaries
    assert len(summaries) == 2, summaries
    (announcement,) = [m for m in api.messages(SUPPORT) if m["ts"] == swarm.announcement_id]
    assert JOIN not in announcement["text"], announcement["text"]


async def test_a_closing_too_young_to_finish_at_the_restart_is_finished_once_it_is_old_enough(
    deployment: Deployment,
) -> None:
    """The new server starts within the settle time of the interrupted closing, so its start-up leaves it (another
    process might still be posting); it finishes it once the settle time has passed, not at the scheduler's tick,
    which waits for the dead server's lease (30 s) and then its interval (60 s)."""
    settle = 5.0
    deployment.env["SWARM_RESUME_SETTLE_SECONDS"] = str(settle)
    api = deployment.api
    first, sender = await deployment.start()
    room = await _open(deployment, sender, first)
    api.stall("chat.postMessage", HOLD, effect=False, when=_room_call)
    status, _ = await sender.slash(f"resolve {FIX}", PEOPLE["ana"], room)
    assert status == 200
    await _until(partial(_stalled, api, "chat.postMessage"), WORK, "resolving to reach the summary")
    await sender.close()
    await deployment.crash(first)

    _restarted, sender = await deployment.start()
    await sender.close()
    await _until(partial(_closed, deployment), settle + 20, "the closing to be finished after the settle time")
    summaries = [c.args for c in api.calls_to("chat.postMessage") if c.ok and SUMMARY in str(c.args.get("text"))]
    assert [a["channel"] for a in summaries].count(room) == 1, summaries


@pytest.mark.parametrize("step", ["summary-in-room", "summary-under-announcement"])
async def test_a_summary_that_landed_after_the_kill_is_not_posted_again(deployment: Deployment, step: str) -> None:
    """The summary reaches Slack after the server died waiting for the answer: the closing, finished at the restart,
    finds it by its mark (`conversations.history`, or `conversations.replies` in the announcement's thread)."""
    api = deployment.api
    first, sender = await deployment.start()
    room = await _open(deployment, sender, first)
    method, when = RESOLVING[step]
    assert when is not None
    api.stall(method, SETTLE, effect=True, when=when)
    status, _ = await sender.slash(f"resolve {FIX}", PEOPLE["ana"], room)
    assert status == 200
    await _until(partial(_stalled, api, method), WORK, f"resolving to reach {method}")
    await sender.close()
    await deployment.crash(first)
    await _until(lambda: _summaries_landed(api, when), WORK, "Slack to post the summary nobody heard about")

    await deployment.restart(partial(_closed, deployment), "the closing to be finished")
    (swarm,) = await deployment.rows("SELECT summary_id, thread_summary_id, announcement_id FROM swarm")
    in_room = [m["ts"] for m in api.messages(room) if SUMMARY in m["text"]]
    in_thread = [m["ts"] for m in api.messages(SUPPORT, swarm.announcement_id) if SUMMARY in m["text"]]
    assert (in_room, in_thread) == ([swarm.summary_id], [swarm.thread_summary_id])
    lookups = api.calls_to("conversations.history") + api.calls_to("conversations.replies")
    assert lookups


async def _summaries_landed(api: FakeSlack, when: Callable[[JSON], bool]) -> bool:
    return any(c.ok and when(c.args) and SUMMARY in str(c.args.get("text")) for c in api.calls_to("chat.postMessage"))
