"""Replicas (issue 9): two real `swarm serve` processes on one database, behind no load balancer but the test.

Each test starts two subprocesses on the test's database (a SQLite file, or a PostgreSQL schema with
SWARM_TEST_DATABASE_URL) and a FakeSlack Web API in the test process, both on loopback, then sends signed Slack
requests to either. Waiting is always polling with a deadline: for `/healthz`, for the servers' work queues
(`swarm_queue_depth{queue="slack"}` on `/metrics`) to drain, for the scheduler's lease to change hands.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from adapters.app import App
from adapters.settings import Settings
from storage.database import create_engine
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.slack_signing import SlackSender, message_event, reaction_event
from tests.harness import ROSTER

SECRET = "test-signing-secret"
SUPPORT = "C0SUPPORT"
PEOPLE = {str(row["email"]).split("@")[0]: f"U{str(row['email']).split('@')[0].upper()}" for row in ROSTER}
SWARM = Path(sys.executable).with_name("swarm")
# Bounds, never pauses: a passing test waits only as long as the work takes. They are sized for a 2-core machine that
# runs two of these tests at once (`make test-slow`), where one server's start-up took over 30 s.
START = 120.0  # seconds: a bound on a server coming up
WORK = 120.0  # seconds: a bound on the servers finishing the work sent to them
STOP = 10.0  # seconds a server gets to stop after SIGTERM before it is killed
RENEWAL = 10.0  # adapters/scheduler.py: the lease (30 s) is renewed every 10 s


@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Replicas:
    api: FakeSlack
    servers: list[Server]
    senders: list[SlackSender]
    database_url: str

    async def idle(self) -> None:
        """Waits until every running server has handled all the work it acked."""
        await _until(lambda: _all_idle(self.running()), WORK, "the servers' work queues to drain")

    def running(self) -> list[Server]:
        return [s for s in self.servers if s.process.returncode is None]

    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [c.args for c in self.api.calls_to("chat.postMessage") if c.args.get("channel") == channel and c.ok]

    async def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(text(sql), params)).scalar()
        finally:
            await engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _healthy(server: Server) -> bool:
    if server.process.returncode is not None:
        raise AssertionError(f"swarm serve exited with {server.process.returncode}:\n{server.log.read_text()}")
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def _gauges(platform: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The platform's queue depth (acked and not yet written here) and inbox (written and not yet done by anyone)."""
    return (
        re.compile(rf'^swarm_queue_depth\{{queue="{platform}"\}} (\S+)$', re.MULTILINE),
        re.compile(rf'^swarm_inbox_deliveries\{{platform="{platform}"\}} (\S+)$', re.MULTILINE),
    )


async def _all_idle(servers: list[Server], platform: str = "slack") -> bool:
    async with aiohttp.ClientSession() as http:
        for server in servers:
            async with http.get(f"{server.url}/metrics") as response:
                scraped = await response.text()
            for gauge in _gauges(platform):
                found = gauge.search(scraped)
                if found is None or float(found.group(1)) != 0:
                    return False
    return True


async def _stop(server: Server) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within STOP seconds; always reaped."""
    process = server.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def _prepare(database_url: str) -> None:
    """Migrates the database and imports the roster, before any server starts (as an operator would)."""
    app = await App.start(Settings(SWARM_DATABASE_URL=database_url))
    try:
        rows = [(i + 1, {**row, "slack_id": PEOPLE[str(row["email"]).split("@")[0]]}) for i, row in enumerate(ROSTER)]
        await app.core.people.import_roster(TEAM_ID, rows)
    finally:
        await app.close()


@pytest.fixture
async def replicas(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> AsyncIterator[Replicas]:
    workers = getattr(request, "param", 0)  # `swarm serve --workers N`: each server's work in N processes of its own
    await _prepare(database_url)
    async with FakeSlack() as api:
        for handle, user in PEOPLE.items():
            row = next(r for r in ROSTER if str(r["email"]).startswith(f"{handle}@"))
            api.add_user(user, handle, str(row["email"]), real_name=str(row["name"]))
        api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), "UBOT"])
        # Nothing of the developer's own configuration (OAuth, Teams, another database) reaches the servers.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "SLACK_", "MICROSOFT_"))}
        env = {
            **inherited,
            "SWARM_DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api.url,
            "SWARM_SEMANTIC": "off",
            "SWARM_METRICS_PUBLIC": "true",
        }
        servers: list[Server] = []
        senders: list[SlackSender] = []
        try:
            for i in range(2):
                port, log = _free_port(), tmp_path / f"serve-{i}.log"
                with log.open("wb") as out:
                    process = await asyncio.create_subprocess_exec(
                        *(str(SWARM), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
                        env=env,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                servers.append(Server(process, f"http://127.0.0.1:{port}", log))
            for server in servers:
                try:
                    await _until(partial(_healthy, server), START, f"{server.url}/healthz")
                except AssertionError as err:
                    raise AssertionError(f"{err}; its log:\n{server.log.read_text()}") from None
                senders.append(SlackSender(server.url, SECRET, hooks_url=api.hooks_url))
            yield Replicas(api, servers, senders, database_url)
        finally:
            for sender in senders:
                await sender.close()
            await asyncio.gather(*(_stop(s) for s in servers))


async def _open_swarm(replicas: Replicas) -> tuple[str, str]:
    """Opens swarm 1 through the first server; returns the announcement's ts and the room's id."""
    status, _ = await replicas.senders[0].slash("ACME cannot export invoices #billing sev2", PEOPLE["ana"], SUPPORT)
    assert status == 200
    await replicas.idle()
    announcement = next(m for m in replicas.api.messages(SUPPORT) if "react :raising_hand: to join" in m["text"])
    room = next(c for c in replicas.api.channels.values() if c.name.startswith("swarm-1-"))
    return announcement["ts"], room.id


WORKERS = pytest.mark.parametrize("replicas", [0, 2], indirect=True, ids=["work-in-server", "two-worker-processes"])


@WORKERS
async def test_the_same_event_delivered_to_both_and_retried_has_one_effect(replicas: Replicas) -> None:
    ts, room = await _open_swarm(replicas)
    a, b = replicas.senders
    # People the roster does not know, so never asked to help: whatever the hour of the run (the servers keep the
    # real clock, and roster experts are asked only in their working hours), raising a hand and talking are joining.
    for user, name in (("UFAY", "fay"), ("UCHEN", "chen")):
        replicas.api.add_user(f"{user}2", f"{name}2", f"{name}2@example.com", real_name=f"{name.title()} Two")
    join = reaction_event("UFAY2", "raising_hand", SUPPORT, ts)
    said = message_event(room, "UCHEN2", "the export job times out on invoices over 10 MB", "1800000000.000100")
    for event, event_id in ((join, "Ev0JOIN"), (said, "Ev0SAID")):
        first = await asyncio.gather(a.event(event, event_id=event_id), b.event(event, event_id=event_id))
        retries = await asyncio.gather(
            *(sender.event(event, event_id=event_id, retry_num=n) for n in (1, 2) for sender in (a, b))
        )
        assert {status for status, _ in [*first, *retries]} == {200}
    await replicas.idle()

    joined = [p for p in replicas.posts(room) if p["text"] == "<@UFAY2> joined swarm 1 as helper."]
    assert len(joined) == 1
    assert replicas.api.channels[room].members.count("UFAY2") == 1
    # A raised hand, and someone who joins by talking in the room: each once, however often it was delivered.
    joins = "SELECT count(*) FROM swarm_event WHERE kind = 'joined'"
    assert await replicas.scalar(joins) == 2
    assert await replicas.scalar("SELECT count(DISTINCT person_id) FROM swarm_event WHERE kind = 'joined'") == 2
    messages = "SELECT count(*) FROM swarm_event WHERE kind = 'message'"
    assert await replicas.scalar(messages) == 1


@WORKERS
async def test_a_hundred_raised_hands_across_both_servers_make_a_hundred_members(replicas: Replicas) -> None:
    ts, room = await _open_swarm(replicas)
    crew_before = await replicas.scalar("SELECT count(*) FROM swarm_member")
    # People the roster does not know: each is looked up with users.info and added on their first event.
    people = [f"UP{i:03d}" for i in range(100)]
    for i, user in enumerate(people):
        replicas.api.add_user(user, f"person{i}", f"person{i}@example.com", real_name=f"Person {i}")
    answers = await asyncio.gather(
        *(
            replicas.senders[i % 2].event(reaction_event(user, "raising_hand", SUPPORT, ts))
            for i, user in enumerate(people)
        )
    )
    assert {status for status, _ in answers} == {200}
    await replicas.idle()

    assert await replicas.scalar("SELECT count(*) FROM swarm_member") == crew_before + 100
    posts = [p["text"] for p in replicas.posts(room) if p["text"].startswith("<@UP")]
    # Joins that come together are said together ("<@UP001>, <@UP003> and <@UP005> joined swarm 1 as helpers."):
    # each person said to have joined once, nobody twice.
    assert sorted(re.findall(r"<@(UP\d{3})>", " ".join(posts))) == people
    assert all(re.fullmatch(r".* joined swarm 1 as helpers?\.", text) for text in posts)
    assert set(people) <= set(replicas.api.channels[room].members)


async def test_one_server_holds_the_scheduler_lease_and_the_other_takes_over_when_it_stops(
    replicas: Replicas,
) -> None:
    async def holder() -> str | None:
        # A clean stop deletes the row (storage/lease.py), so the row names the holder while the servers run.
        value = await replicas.scalar("SELECT holder FROM scheduler_lease WHERE name = 'scheduler'")
        return None if value is None else str(value)

    async def held_by_one() -> bool:
        return await holder() is not None

    await _until(held_by_one, START, "a server to take the scheduler lease")
    leader = await holder()
    assert leader is not None
    pids = {s.pid: s for s in replicas.servers}
    first = pids[int(leader.split(":")[1])]
    (other,) = [s for s in replicas.servers if s is not first]

    started = time.monotonic()
    await _stop(first)
    assert first.process.returncode == 0, first.log.read_text()

    async def taken_over() -> bool:
        now_holder = await holder()
        return now_holder is not None and int(now_holder.split(":")[1]) == other.pid

    await _until(taken_over, RENEWAL + 5, "the other server to take the lease over")
    assert time.monotonic() - started <= RENEWAL + 5
