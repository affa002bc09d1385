"""Keep first, acknowledge then, lose nothing: the inbox between a platform's requests and Swarm's work.

The process that answers the platform keeps the delivery in the database's inbox table and acknowledges it only once
that write is committed (`Writer.keep`): what was acknowledged survives a crash of the process the next moment, and
what was not is sent again by the platform. The cost stays low with group commit: one task writes, a write starts as
soon as there is something to write, and what arrives while a write is in flight shares the next transaction (no
fixed waiting window). A `Worker` — in the same process, or in worker processes of their own (`swarm serve --workers
N`) so that the work never delays an acknowledgement — takes deliveries from the table, does them, and removes them
when done.

Deliveries about one conversation (a key: team and channel) are worked one after another in the order they came, so
a message and the ✅ on it, or a join and a leave, keep their order; different conversations are worked at once, a
bounded number at a time. Deliveries next to each other about one conversation whose work can be done together (a
run of messages in a busy room) are done by one call: one transaction for the run instead of one each. A worker that
dies leaves its deliveries to be taken again when their lease ends; the platform delivery ids that the core claims
(and, for room messages, the timeline's one entry per message) make that second attempt — or the platform's resend of
a delivery whose acknowledgement was lost — a no-op for work already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.context import Clock, utcnow

log = logging.getLogger(__name__)

# Deliveries a worker holds at once (taken, waiting for their conversation, or running), and how many of them run
# at once: below the database pool's 15 connections, less the one the inbox holds for writing, so no piece of work
# ever waits for a connection. HOLD also bounds a run about one conversation. Under a backlog longer runs cost less a
# delivery: 🙋 on 24 announcements in turn measured 0.63 ms of work a join with 128, 0.35-0.47 ms with 512
# (bench/slack_load.py), as each swarm's invite, post and card edit serve more joins; room messages did not change.
# A run of 512 joins is about 0.2 s of work.
HOLD = 512
SLOTS = 12
LEASE = timedelta(minutes=2)
POLL_SECONDS = 1.0  # how often an idle worker looks for deliveries that nobody told it about (other replicas')
ATTEMPTS = 5  # a delivery taken this many times without finishing is given up, with an error in the log
# A delivery whose work failed (the database busy or restarting, a bug) is tried again after 5 s, then 20 s, 80 s and
# at most a lease: a moment's trouble costs seconds, not the two minutes a dead worker's lease takes, and an outage
# of a few minutes is still outlasted before the delivery is given up.
RETRY_FIRST = timedelta(seconds=5)
RETRY_GROWTH = 4


class Delivery(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def attempts(self) -> int: ...


class Inbox(Protocol):
    """storage.inbox.SqlInbox, handed in by the composition root (App.inbox())."""

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None: ...

    async def take(self, holder: str, limit: int, now: datetime, lease: timedelta) -> Sequence[Delivery]: ...

    async def finish(self, ids: Sequence[int], holder: str) -> None: ...

    async def retry(self, ids: Sequence[int], holder: str, at: datetime) -> None: ...
    async def release(self, holder: str) -> int: ...

    async def waiting(self) -> int: ...


class Unkept(Exception):
    """The inbox did not keep a delivery (the database is away, or refused its row): it must not be acknowledged,
    so the platform sends it again."""


class Writer:
    """The acknowledging side, with group commit. `put` returns a future that is done when the delivery is committed
    to the inbox (or fails with `Unkept`); the acknowledgement waits for it. One task writes: the first delivery
    starts a write at once, and the deliveries that arrive while a write is in flight share the next transaction, so
    under load a write serves many acks and nobody waits for a fixed window. After each commit it calls `written`
    (which wakes a worker in this process)."""

    def __init__(self, inbox: Inbox, clock: Clock = utcnow, written: Callable[[], None] = lambda: None) -> None:
        self.inbox = inbox
        self.clock = clock
        self.written = written
        self.pending: list[tuple[tuple[str, str, str], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._writing = 0
        self._written = asyncio.Event()
        self._written.set()

    def put(self, kind: str, team: str, payload: str) -> asyncio.Future[None]:
        """Keeps a delivery (its payload as JSON text) in the next write; the future is done when it is committed."""
        loop = asyncio.get_running_loop()
        kept: asyncio.Future[None] = loop.create_future()
        self.pending.append(((kind, team, payload), kept))
        self._written.clear()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        return kept

    async def keep(self, kind: str, team: str, payload: str) -> None:
        """Returns once the delivery is committed to the inbox; raises `Unkept` if it was not."""
        await asyncio.shield(self.put(kind, team, payload))  # a request given up on leaves the batch as it is

    async def _run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            self._writing = len(batch)
            try:
                kept = await self._keep([row for row, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:  # stopping mid-write: not known to be kept, so not acknowledged
                    if not future.done():
                        future.set_exception(Unkept("the server is stopping"))
                raise
            except Exception as error:
                # The database is away: none of them is acknowledged (5xx), so the platform sends them again.
                log.exception("could not keep %d deliveries in the inbox; they are not acknowledged", len(batch))
                kept, reason = [False] * len(batch), str(error)
            else:
                reason = "the database refused it"
            finally:
                self._writing = 0
            for ok, (_, future) in zip(kept, batch, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(None)
                else:
                    future.set_exception(Unkept(reason))
            if any(kept):
                self.written()
        self._written.set()

    async def _keep(self, rows: list[tuple[str, str, str]]) -> list[bool]:
        """All rows in one transaction; if the database refuses that, row by row, so one row it cannot store (a
        forged request's text) does not fail every delivery beside it. Which rows were kept; raises if the database
        refused every one (it is away, not the rows)."""
        try:
            await self.inbox.put(rows, self.clock())
            return [True] * len(rows)
        except Exception:
            if len(rows) == 1:
                raise
        kept = []
        for row in rows:
            try:
                await self.inbox.put([row], self.clock())
                kept.append(True)
            except Exception:
                kept.append(False)
        if not any(kept):
            raise RuntimeError("the inbox refused every delivery")
        for ok, (kind, team, _) in zip(kept, rows, strict=True):
            if not ok:
                log.error("refused a %s delivery in %r that the database cannot store", kind, team[:40])
        return kept

    @property
    def unwritten(self) -> int:
        return len(self.pending) + self._writing

    async def flush(self, seconds: float = 10.0) -> None:
        """Waits until everything put so far is written (or failed)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._written.wait(), seconds)

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


Job = Callable[[], Awaitable[None]]
Work = Callable[[Sequence[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Piece:
    """A delivery's conversation (`key`: its work waits for earlier work there) and how to do it: `work(items)`.
    Pieces taken one after another with the same key and the same `work` are done by one call with all their items;
    a piece that must be done alone gets a `work` of its own (`Piece.alone`)."""

    key: str
    work: Work
    item: Any = None

    @classmethod
    def alone(cls, key: str, job: Job) -> Piece:
        async def work(_: Sequence[Any]) -> None:
            await job()

        return cls(key, work)


Prepare = Callable[[Delivery], Piece]


@dataclass
class Run:
    """Deliveries done by one call of their work, in the order they came."""

    key: str
    work: Work
    deliveries: list[Delivery] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    after: Run | None = None  # the run before it about the same conversation: it waits for that one
    task: asyncio.Task[None] | None = None
    started: bool = False  # its work was called: it takes no more deliveries


class Worker:
    """Takes deliveries from the inbox and does them: `prepare` says which conversation a delivery is about (its
    key) and what doing it is. Run it with `run()`; `kick()` says there is something new."""

    def __init__(
        self,
        inbox: Inbox,
        prepare: Prepare,
        clock: Clock = utcnow,
        *,
        hold: int = HOLD,
        slots: int = SLOTS,
        lease: timedelta = LEASE,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.inbox = inbox
        self.prepare = prepare
        self.clock = clock
        self.hold = hold
        self.lease = lease
        self.poll = poll
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.running: dict[int, asyncio.Task[None]] = {}
        self._last: dict[str, Run] = {}  # per key, the latest run: the next one waits for it, or joins it
        self._finished: list[int] = []
        self._slots = asyncio.Semaphore(slots)
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._stopping = False
        self._kicks = 0

    def kick(self) -> None:
        self._kicks += 1
        self._quiet.clear()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            kicks = self._kicks
            try:
                taken = await self._round()
            except Exception:
                log.exception("the inbox could not be read; trying again")
                taken = 0
            if taken:
                continue
            # Quiet only if nobody said "there is something new" while this round looked: else look again.
            if not self.running and not self._finished and kicks == self._kicks:
                self._quiet.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()

    async def _round(self) -> int:
        if self._finished:
            done, self._finished = self._finished, []
            try:
                await self.inbox.finish(done, self.holder)
            except Exception:
                self._finished[:0] = done
                raise
        room = self.hold - len(self.running)
        if room <= 0:
            return 0
        taken = await self.inbox.take(self.holder, room, self.clock(), self.lease)
        for run in self._runs(taken):
            self._start(run)
        return len(taken)

    def _runs(self, taken: Sequence[Delivery]) -> list[Run]:
        """The new runs of the deliveries: one per delivery, except that a piece joins the latest run about the same
        conversation when their work is the same and that run has not started. That run may be one taken earlier
        and still waiting for its conversation: under a backlog, what comes in while a run is worked on gathers into
        the next one, which costs one transaction however long it grew."""
        runs: list[Run] = []
        for delivery in taken:
            if delivery.id in self.running or delivery.id in self._finished:
                # Its lease ended while this worker still works on it, or waits for its conversation (a backlog),
                # or has done it and not yet removed it: taken again, which only renews the lease. A second run
                # would remove it twice, and on SQLite a newer delivery may have been given that id meanwhile.
                continue
            if delivery.attempts > ATTEMPTS:
                log.error("giving up a %s delivery in %s after %d attempts", delivery.kind, delivery.team, ATTEMPTS)
                self._finished.append(delivery.id)
                continue
            try:
                piece = self.prepare(delivery)
            except Exception:
                log.exception("a %s delivery in %s cannot be read; dropped", delivery.kind, delivery.team)
                self._finished.append(delivery.id)
                continue
            run = self._open(piece.key, piece.work)
            if run is None:
                run = self._last[piece.key] = Run(piece.key, piece.work, after=self._last.get(piece.key))
                runs.append(run)
            elif run.task is not None:
                self.running[delivery.id] = run.task
            run.deliveries.append(delivery)
            run.items.append(piece.item)
        return runs

    def _start(self, run: Run) -> None:
        task = run.task = asyncio.get_running_loop().create_task(self._do(run))
        for delivery in run.deliveries:
            self.running[delivery.id] = task

        def done(_: asyncio.Task[None]) -> None:
            for delivery in run.deliveries:
                self.running.pop(delivery.id, None)
            if self._last.get(run.key) is run:
                del self._last[run.key]
            self._wake.set()

        task.add_done_callback(done)

    async def _do(self, run: Run) -> None:
        if run.after is not None and run.after.task is not None:
            await asyncio.wait([run.after.task])
        run.after = None  # no chain of finished runs kept alive
        async with self._slots:
            # From here the run's lists are what its work gets: nothing may join it any more.
            run.started = True
            if await self._attempt(run.work, run.items, run.deliveries):
                return
            failed = run.deliveries
            if len(run.items) > 1:
                # One delivery that cannot be done must not hold up the others: each is tried once more alone.
                failed = [
                    delivery
                    for delivery, item in zip(run.deliveries, run.items, strict=True)
                    if not await self._attempt(run.work, [item], [delivery])
                ]
            await self._later(failed)

    async def _later(self, failed: Sequence[Delivery]) -> None:
        """Failed deliveries are taken again after a backoff that grows with their attempts."""
        by_time: dict[timedelta, list[int]] = {}
        for delivery in failed:
            wait = min(self.lease, RETRY_FIRST * RETRY_GROWTH ** max(delivery.attempts - 1, 0))
            by_time.setdefault(wait, []).append(delivery.id)
        for wait, ids in by_time.items():
            try:
                await self.inbox.retry(ids, self.holder, self.clock() + wait)
            except Exception:
                log.warning("could not set when %d failed deliveries are tried again; their lease ends", len(ids))

    async def _attempt(self, work: Work, items: list[Any], deliveries: list[Delivery]) -> bool:
        try:
            await work(items)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Left in the inbox: taken again after a backoff (`_later`); the delivery claims, and the timeline's one
            # entry per room message, prevent a second effect of whatever part was done.
            first, more = deliveries[0], len(deliveries) - 1
            log.exception("a %s delivery in %s (and %d more) failed; tried again later", first.kind, first.team, more)
            return False
        self._finished.extend(delivery.id for delivery in deliveries)
        return True

    def waiting(self, key: str, work: Work) -> Sequence[Any]:
        """The items taken already and waiting to be done by `work` in the next run about that conversation: a run
        can leave to that one what it would do again anyway (edit a card that changes once more, say)."""
        run = self._open(key, work)
        return () if run is None else run.items

    def _open(self, key: str, work: Work) -> Run | None:
        """The latest run about the conversation if it has not started and does `work`: more of it may join it."""
        run = self._last.get(key)
        return None if run is None or run.started or run.work != work else run

    async def idle(self, seconds: float = 10.0) -> bool:
        """Waits until the inbox had nothing left for this worker and everything it took is done; False on time out."""
        self.kick()
        try:
            await asyncio.wait_for(self._quiet.wait(), seconds)
        except TimeoutError:
            log.warning("%d deliveries still being worked on after %.0f s", len(self.running), seconds)
            return False
        return True

    async def stop(self, seconds: float = 10.0) -> None:
        """Lets the work in hand finish (for `seconds` at most), records it as done, and stops taking more."""
        self._stopping = True
        self._wake.set()
        if self.running:
            _, pending = await asyncio.wait(set(self.running.values()), timeout=seconds)
            for task in pending:
                task.cancel()
        if self._finished:
            with contextlib.suppress(Exception):
                await self.inbox.finish(self._finished, self.holder)
            self._finished = []
        try:
            # What this worker took and did not do is free for the next worker now, not when its lease ends.
            await self.inbox.release(self.holder)
        except Exception:
            log.exception("could not free the deliveries this worker held; they are free when their lease ends")


async def drain(writer: Writer, worker: Worker | None, seconds: float) -> None:
    """Waits until every delivery acknowledged so far is worked on and done (tests, benchmarks): by `worker`, or,
    where worker processes do the work, until they have emptied the inbox (`seconds` at most)."""
    await writer.flush(seconds)
    if worker is not None:
        await worker.idle(seconds)
        return
    started = time.monotonic()
    while await writer.inbox.waiting() and time.monotonic() < started + seconds:  # noqa: ASYNC110 (another process's work)
        # Often at first (a short wait is measured to the 20 ms), then less: each look is a query in this process,
        # and a look every 20 ms through a long drain cost more CPU than the acks it waited on.
        await asyncio.sleep(0.02 if time.monotonic() - started < 1 else 0.2)


class Intake:
    """A platform's inbox as its mount uses it, Slack's and Teams' alike: the writer that keeps each delivery before
    the platform's acknowledgement, the worker that runs them in this process (None where worker processes do:
    adapters/workers.py), and what a start leaves running."""

    def __init__(
        self,
        inbox: Inbox,
        prepare: Prepare,
        clock: Clock,
        *,
        lease: timedelta,
        work: bool,
        written: Callable[[], None] | None,
        drain_seconds: float,
    ) -> None:
        self.worker = Worker(inbox, prepare, clock, lease=lease) if work else None
        self.writer = Writer(inbox, clock, written or (self.worker.kick if self.worker else lambda: None))
        self.drain_seconds = drain_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def queued(self) -> int:
        """Deliveries kept in memory or running here: the queue-depth metric."""
        return self.writer.unwritten + (len(self.worker.running) if self.worker else 0)

    async def start(self, resume: Callable[[], Awaitable[None]] | None, settle: timedelta) -> None:
        """Resumes what a crash interrupted (`resume`), then works the inbox, if this process works.

        What a crash interrupted just before this start is younger than the settle time now, so `resume` left it
        (another process may still be at it); once that time has passed it runs again, rather than waiting for the
        scheduler's next tick, which waits out a dead server's lease first."""
        if self.worker is None:
            return
        loop = asyncio.get_running_loop()
        if resume is not None:
            await resume()
            self._tasks.append(loop.create_task(_after(settle, resume)))
        self._tasks.append(loop.create_task(self.worker.run()))

    async def idle(self, seconds: float | None = None) -> None:
        """Waits until every delivery acknowledged so far is worked on and done (tests, benchmarks)."""
        await drain(self.writer, self.worker, self.drain_seconds if seconds is None else seconds)

    async def stop(self) -> None:
        """Keeps what was acknowledged, lets the work in hand finish (`drain_seconds` at most), and stops; what is
        left stays in the inbox for the next worker."""
        await self.writer.close()
        if self.worker is not None:
            await self.worker.stop(self.drain_seconds)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


async def _after(wait: timedelta, then: Callable[[], Awaitable[None]]) -> None:
    await asyncio.sleep(wait.total_seconds())
    await then()
