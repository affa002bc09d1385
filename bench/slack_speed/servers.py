"""The processes under load: the fake Slack Web API, and the servers under test (Swarm, bare bolt, bare aiohttp)
with the control routes the load generator reads them through."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

from bench.slack_speed.settings import (
    BOLT,
    BOLT_LAZY,
    CLIENT_CORE,
    EXTRA_IN_ROSTER,
    JSON,
    PEOPLE,
    SECRET,
    SERVER_CORE,
    SUPPORT,
    SWARM,
    TOKEN,
    TRACE_HEADER,
    pin,
    use_loop,
)
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack
from tests.harness import ROSTER

# ------------------------------------------------------------------------------------------- the fake Web API


def fake_main(conn: Connection, users: int, loop: str) -> None:
    """Process: a FakeSlack seeded with the roster, `users` extra people and #support, plus a control server."""
    pin(CLIENT_CORE)
    use_loop(loop)
    asyncio.run(_fake(conn, users))


async def _fake(conn: Connection, users: int) -> None:
    async with FakeSlack() as api:
        for row in ROSTER:
            handle = str(row["email"]).split("@")[0]
            api.add_user(PEOPLE[handle], handle, str(row["email"]), real_name=str(row["name"]))
        for user_id, name, email in extra_users(users):
            api.add_user(user_id, name.lower().replace(" ", "."), email, real_name=name)
        api.add_channel(SUPPORT, "support", members=[*PEOPLE.values(), BOT_USER_ID])

        async def calls(request: web.Request) -> web.Response:
            since = int(request.query.get("since", "0"))
            chosen = api.calls[since:]
            return web.json_response(
                {
                    "total": len(api.calls),
                    "methods": [c.method for c in chosen],
                    "failed": sum(not c.ok for c in chosen),
                }
            )

        async def yields(request: web.Request) -> web.Response:
            """On: this process runs only when its core has nothing else to run (SCHED_IDLE), so that answering
            Swarm's work never delays the load generator beside it, which times the acks; off: as any process."""
            policy = os.SCHED_IDLE if request.query.get("on") == "1" else os.SCHED_OTHER
            with contextlib.suppress(OSError, AttributeError):
                os.sched_setscheduler(0, policy, os.sched_param(0))
            return web.json_response({"policy": policy})

        control = web.Application()
        control.router.add_get("/calls", calls)
        control.router.add_post("/yields", yields)
        runner = web.AppRunner(control, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        conn.send({"api": api.url, "hooks": api.hooks_url, "control": f"http://127.0.0.1:{runner.addresses[0][1]}"})
        try:
            await asyncio.to_thread(conn.recv)  # anything, or the pipe closing, means stop
        except EOFError:
            pass
        finally:
            await runner.cleanup()


def extra_users(count: int) -> list[tuple[str, str, str]]:
    return [(f"U{i:05d}X", f"Helper {i:05d}", f"helper{i:05d}@example.com") for i in range(count)]


# -------------------------------------------------------------------------------------------- the server under test


def server_main(
    conn: Connection,
    instances: Sequence[tuple[str, str]],
    fake: Mapping[str, str],
    users: int,
    loop: str,
    swarm_workers: int = 0,
) -> None:
    """Process: servers on 127.0.0.1, one per (variant, database URL) in `instances`, each on its own port with a
    control server beside it, all pinned to the server core. They are loaded one at a time; the idle ones cost
    nothing, and sharing a process saves start-up time (a run starts three processes, not ten)."""
    pin(SERVER_CORE)
    use_loop(loop)
    asyncio.run(_server(conn, instances, fake, users, swarm_workers))


async def _server(
    conn: Connection, instances: Sequence[tuple[str, str]], fake: Mapping[str, str], users: int, swarm_workers: int
) -> None:
    profile = Profile()
    runners: list[web.AppRunner] = []
    closers: list[Callable[[], Awaitable[None]]] = []
    answers: list[JSON] = []
    for variant, database_url in instances:
        control = web.Application()
        control.router.add_post("/profile/start", profile.start)
        control.router.add_post("/profile/stop", profile.stop)
        if variant == SWARM:
            served, state = await swarm_server(fake, database_url, users, swarm_workers)
            control.router.add_post("/idle", state.idle)
            control.router.add_get("/swarms", state.swarms)
            control.router.add_get("/verify", state.verify)
            control.router.add_get("/counters", state.counters)
            closers.append(state.close)
        elif variant in (BOLT, BOLT_LAZY):
            served = bare_bolt(lazy=variant == BOLT_LAZY).web_app()
        else:
            served = bare_aiohttp()
        handled: dict[int, tuple[float, float]] = {}
        served.middlewares.insert(0, traced(handled))
        control.router.add_post("/trace", partial(take_trace, handled))
        answer: JSON = {"variant": variant}
        for name, application in (("url", served), ("control", control)):
            runner = web.AppRunner(application, access_log=None)
            await runner.setup()  # Swarm: runs the mount's start-up, auth.test once and resuming openings
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            runners.append(runner)
            answer[name] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        answers.append(answer)
    conn.send({"servers": answers})
    try:
        await asyncio.to_thread(conn.recv)
    except EOFError:
        pass
    finally:
        for runner in runners:
            await runner.cleanup()
        for close in closers:
            await close()


def traced(handled: dict[int, tuple[float, float]]) -> Any:
    """Middleware, outermost: when a request numbered by the client (TRACE_HEADER) began and ended in the server."""

    @web.middleware
    async def trace(request: web.Request, handler: Any) -> web.StreamResponse:
        began = time.perf_counter()
        response: web.StreamResponse = await handler(request)
        if (number := request.headers.get(TRACE_HEADER)) is not None:
            handled[int(number)] = (began, time.perf_counter())
        return response

    return trace


async def take_trace(handled: dict[int, tuple[float, float]], request: web.Request) -> web.Response:
    """The server's side of the requests traced since the last call: {number: [began, ended]}."""
    found = {str(number): list(times) for number, times in handled.items()}
    handled.clear()
    return web.json_response(found)


async def swarm_server(
    fake: Mapping[str, str], database_url: str, users: int, swarm_workers: int
) -> tuple[web.Application, SwarmState]:
    """Swarm as `swarm serve [--workers N]` builds it: App.start, the roster imported, SlackMount, web.build."""
    from adapters import web as swarm_web
    from adapters.app import App
    from adapters.settings import Settings
    from adapters.slack import SlackMount
    from adapters.workers import Workers

    settings = Settings(
        SWARM_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake["api"],
        # A load test opens hundreds of swarms from a few people; the per-person limit would refuse them.
        SWARM_OPEN_LIMIT="off",
        SWARM_SEMANTIC="off",
    )
    app = await App.start(settings)
    rows: list[tuple[int, Mapping[str, object]]] = [
        (i + 1, {**row, "slack_id": PEOPLE[str(row["email"]).split("@")[0]]}) for i, row in enumerate(ROSTER)
    ]
    known = extra_users(users)[: int(users * EXTRA_IN_ROSTER)]
    rows += [
        (len(rows) + i + 1, {"name": name, "email": email, "slack_id": user_id, "timezone": "UTC"})
        for i, (user_id, name, email) in enumerate(known)
    ]
    report = await app.core.people.import_roster(TEAM_ID, rows)
    assert not report.rejected, report.rejected
    if not swarm_workers:
        mount = SlackMount(app, app.store.engine)
        return swarm_web.build(app, [mount]), SwarmState(app, mount)
    workers = Workers(settings, swarm_workers)
    mount = SlackMount(app, app.store.engine, work=False, written=workers.kick)
    workers.start()  # children of this process: pinned to the server core as it is
    return swarm_web.build(app, [mount]), SwarmState(app, mount, workers)


def bare_bolt(lazy: bool) -> Any:
    """A bolt AsyncApp whose listeners only ack(), authorized once up front (no auth.test on the request path)."""
    import logging

    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult

    result = AuthorizeResult(
        enterprise_id=None, team_id=TEAM_ID, bot_user_id=BOT_USER_ID, bot_id=BOT_ID, bot_token=TOKEN
    )

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return result

    async def ack_only(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    async def nothing() -> None:
        return None

    bolt = AsyncApp(
        signing_secret=SECRET,
        authorize=authorize,
        process_before_response=lazy,
        logger=logging.getLogger("bench.bolt"),
    )
    for register in (
        bolt.command(re.compile(r"^/swarm")),
        bolt.event("message"),
        bolt.event("reaction_added"),
        bolt.event("reaction_removed"),
    ):
        if lazy:
            register(ack=ack_only, lazy=[nothing])
        else:
            register(ack_only)
    return bolt


def bare_aiohttp() -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")

    served = web.Application()
    served.router.add_post("/slack/events", handle)
    return served


class Profile:
    """cProfile inside the server process, switched on and off by the orchestrator (--profile DIR)."""

    def __init__(self) -> None:
        self.profiler: cProfile.Profile | None = None

    async def start(self, request: web.Request) -> web.Response:
        self.profiler = cProfile.Profile()
        self.profiler.enable()
        return web.json_response({"ok": True})

    async def stop(self, request: web.Request) -> web.Response:
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(request.query["out"])
            self.profiler = None
        return web.json_response({"ok": True})


class SwarmState:
    """What the orchestrator asks the Swarm server: wait for the work, list swarms, count what the work did."""

    def __init__(self, app: Any, mount: Any, workers: Any = None) -> None:
        from sqlalchemy import event

        self.app = app
        self.mount = mount
        self.workers = workers
        self.statements = 0
        event.listen(app.store.engine.sync_engine, "before_cursor_execute", self.count)
        self.gc_seconds = [0.0, 0.0, 0.0]
        self.gc_counts = [0, 0, 0]
        self._gc_started = 0.0

        def timed(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                self._gc_started = time.perf_counter()
            else:
                self.gc_seconds[info["generation"]] += time.perf_counter() - self._gc_started
                self.gc_counts[info["generation"]] += 1

        gc.callbacks.append(timed)

    def count(self, *args: Any, **kwargs: Any) -> None:
        self.statements += 1

    async def close(self) -> None:
        if self.workers is not None:
            await asyncio.to_thread(self.workers.stop)
        await self.app.close()

    async def counters(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"statements": self.statements, "gc_seconds": self.gc_seconds, "gc_counts": self.gc_counts}
        )

    async def idle(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        await self.mount.idle(seconds=600)  # every acked delivery kept in the inbox, taken and done
        return web.json_response({"seconds": time.perf_counter() - started})

    async def swarms(self, request: web.Request) -> web.Response:
        from bot.models import SwarmStatus

        async with self.app.store.unit() as uow:
            workspace = await uow.workspaces.ensure(TEAM_ID)
            swarms = await uow.swarms.list(workspace.id)
            await uow.commit()
        rows = [
            {
                "number": s.number,
                "status": SwarmStatus(s.status).value,
                "room": s.room_id,
                "announcement": s.announcement_id,
            }
            for s in swarms
        ]
        return web.json_response({"swarms": rows})

    async def verify(self, request: web.Request) -> web.Response:
        """Per swarm number: members joined by reaction and room messages kept, through the core's status."""
        from bot.context import Actor
        from bot.models import EventKind

        actor = Actor(TEAM_ID, "slack", PEOPLE["ana"])
        counts: JSON = {}
        for number in [int(n) for n in request.query["numbers"].split(",") if n]:
            crew, timeline = await self.app.core.swarms.status(actor, number, SUPPORT)
            counts[str(number)] = {
                "joined": sum(e.kind is EventKind.JOINED for e in timeline),
                "messages": sum(e.kind is EventKind.MESSAGE for e in timeline),
                "members": len(crew.members),
            }
        return web.json_response(counts)
