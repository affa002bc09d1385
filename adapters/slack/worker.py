"""Worker processes: Slack's work out of the process that acknowledges (`swarm serve --workers N`).

An acknowledgement must never wait for work (a swarm opening costs tens of milliseconds of CPU), and in one process
an event loop cannot put an ack before a piece of work that is already running. So the serving process only acks
and keeps deliveries in the inbox, and N worker processes, at a lower CPU priority, do the work: when both want the
CPU, the acknowledgements get it. The server tells its workers when it has written something (a byte on a pipe);
they also look by themselves every second (deliveries another replica kept). A worker whose server is gone stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from adapters.app import App
from adapters.settings import Settings
from adapters.slack.mount import SlackMount

log = logging.getLogger(__name__)

NICENESS = 19  # CPU priority below the serving process's (0): its acks come first when both are runnable
STOP_SECONDS = 15.0


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

    def kick(self) -> None:
        """Something new is in the inbox. Never blocks: a worker that has not read the last kick needs no second."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # BlockingIOError included: its pipe is full of kicks already
                pipe.send_bytes(b"!")

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
    """A worker process: Swarm's Slack work from the inbox until the server closes the pipe or SIGTERM."""
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
    mount = SlackMount(app, app.store.engine, work=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    worker = mount.worker
    assert worker is not None

    def listen() -> None:
        try:
            while True:
                server.recv_bytes()
                loop.call_soon_threadsafe(worker.kick)
        except (EOFError, OSError):
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=listen, name="kicks", daemon=True).start()
    try:
        await mount.start(resume=resume)
        log.info("Slack worker %d started", os.getpid())
        await stop.wait()
    finally:
        await mount.stop()
        await app.close()
