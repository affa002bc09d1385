"""Worker processes: Slack's and Teams' work out of the process that acknowledges (`swarm serve --workers N`).

An acknowledgement must never wait for work (a swarm opening costs tens of milliseconds of CPU), and in one process
an event loop cannot put an ack before a piece of work that is already running. So the serving process only acks
and keeps deliveries in the inbox, and N worker processes, at a lower CPU priority, do the work: when both want the
CPU, the acknowledgements get it. Each worker process works for every platform the settings serve, with a mount of
each that is never served. The server tells its workers when it has written something, and for which platform (a
byte on a pipe); they also look by themselves every second (deliveries another replica kept). A worker whose server
is gone stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Protocol

from adapters.app import App
from adapters.inbox import Worker
from adapters.settings import Settings
from adapters.slack.mount import SlackMount
from adapters.teams.mount import TeamsMount

log = logging.getLogger(__name__)

NICENESS = 19  # CPU priority below the serving process's (0): its acks come first when both are runnable
STOP_SECONDS = 35.0  # a worker process gets the longest drain (Teams' 30 s, Slack's 10 s) and a margin to stop
# The byte that tells a worker process a platform's inbox has something new; EVERY: look in each.
KICKS = {"slack": b"s", "teams": b"t"}
EVERY = b"*"


class Working(Protocol):
    """A platform's mount as a worker process runs it: its Worker, started and stopped."""

    @property
    def worker(self) -> Worker | None: ...

    async def start(self, resume: bool = True) -> None: ...

    async def stop(self) -> None: ...


def serves_slack(settings: Settings) -> bool:
    return bool(settings.slack_signing_secret)


def serves_teams(settings: Settings) -> bool:
    """Only with an app id (an empty one would switch Bot Framework authentication off), or in emulator mode."""
    return bool(settings.microsoft_app_id or settings.teams_emulator)


class Workers:
    """The server's side: starts the worker processes, tells them about new deliveries, stops them."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.processes: list[BaseProcess] = []
        self.pipes: list[Connection] = []

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no event loop or pool inherited
        for number in range(self.count):
            theirs, ours = context.Pipe(duplex=False)
            process = context.Process(
                target=main, args=(self.settings, theirs, number), name=f"swarm-worker-{number}", daemon=True
            )
            process.start()
            theirs.close()
            os.set_blocking(ours.fileno(), False)  # a worker that stops reading must never block an ack
            self.processes.append(process)
            self.pipes.append(ours)

    def kick(self, platform: str | None = None) -> None:
        """Something new is in the platform's inbox (None: in some platform's). Never blocks: a worker that has not
        read the last kick needs no second."""
        kick = KICKS.get(platform or "", EVERY)
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # BlockingIOError included: its pipe is full of kicks already
                pipe.send_bytes(kick)

    def kicker(self, platform: str) -> Callable[[], None]:
        """What a platform's mount calls when it has kept deliveries (its `written`)."""
        return lambda: self.kick(platform)

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.close()  # the worker sees the end of the pipe: it finishes what it holds and exits
        for process in self.processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.terminate()
                process.join(5)
        self.processes, self.pipes = [], []


def main(settings: Settings, server: Connection, number: int) -> None:
    """A worker process: Swarm's work from the inbox until the server closes the pipe or SIGTERM."""
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us in order
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_work(settings, server, resume=number == 0))


async def _work(settings: Settings, server: Connection, resume: bool) -> None:
    app = await App.start(settings, migrate=False)
    app.warm_up()  # the model for similar articles and `/swarm kb`, in the background (bot/semantic.py)
    mounts: dict[bytes, Working] = {}
    if serves_slack(settings):
        mounts[KICKS["slack"]] = SlackMount(app, app.store.engine, work=True)
    if serves_teams(settings):
        mounts[KICKS["teams"]] = TeamsMount(app, app.platform_refs(), settings, work=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def kick(which: bytes) -> None:
        for kicked, mount in mounts.items():
            if mount.worker is not None and which in (kicked, EVERY):
                mount.worker.kick()

    def listen() -> None:
        try:
            while True:
                which = server.recv_bytes()
                loop.call_soon_threadsafe(kick, which)
        except (EOFError, OSError):
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=listen, name="kicks", daemon=True).start()
    started: list[Working] = []
    try:
        for mount in mounts.values():
            await mount.start(resume=resume)
            started.append(mount)
        log.info("worker %d started (%s)", os.getpid(), ", ".join(type(m).__name__ for m in started))
        await stop.wait()
    finally:
        await asyncio.gather(*(mount.stop() for mount in started))  # each lets the work in hand finish
        await app.close()
