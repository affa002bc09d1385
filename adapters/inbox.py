"""Acknowledge now, work later, lose nothing: the inbox between a platform's requests and Swarm's work.

The process that answers the platform only acknowledges and keeps the delivery (`Writer.put`: no I/O on the ack
path; a background task writes what was put to the database's inbox table, many deliveries per transaction). A
`Worker` — in the same process, or in worker processes of their own (`swarm serve --workers N`) so that the work
never delays an acknowledgement — takes deliveries from the table, does them, and removes them when done.

Deliveries about one conversation (a key: team and channel) are worked one after another in the order they came, so
a message and the ✅ on it, or a join and a leave, keep their order; different conversations are worked at once, a
bounded number at a time. Deliveries next to each other about one conversation whose work can be done together (a
run of messages in a busy room) are done by one call: one transaction for the run instead of one each. A worker that
dies leaves its deliveries to be taken again when their lease ends; the platform delivery ids that the core claims
(and, for room messages, the timeline's one entry per message) make that second attempt a no-op for work already
done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
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
RETRY_WRITE_SECONDS = 0.5
# How long the writer lets acks gather before it writes them: one write for many deliveries instead of one each, so
# the serving process spends its CPU on acks (a write costs about as much as an ack). A delay the work never notices.
GATHER_SECONDS = 0.05


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

    async def finish(self, ids: Sequence[int]) -> None: ...

    async def release(self, holder: str) -> int: ...

    async def waiting(self) -> int: ...


class Writer:
    """The acknowledging side. `put` only appends to a list; one task writes the list to the inbox, all of it in one
    transaction, then calls `written` (which wakes a worker in this process)."""

    def __init__(
        self,
        inbox: Inbox,
        clock: Clock = utcnow,
        written: Callable[[], None] = lambda: None,
        gather: float = GATHER_SECONDS,
    ) -> None:
        self.inbox = inbox
        self.gather = gather
        self.clock = clock
        self.written = written
        self.pending: list[tuple[str, str, str]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = 0
        self._written = asyncio.Event()
        self._written.set()

    def put(self, kind: str, team: str, payload: str) -> None:
        """Keeps a delivery (its payload as JSON text) for the next write."""
        self.pending.append((kind, team, payload))
        self._written.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self.gather:
                await asyncio.sleep(self.gather)
            self._wake.clear()
            while self.pending:
                batch, self.pending = self.pending, []
                self._writing = len(batch)
                try:
                    await self._keep(batch)
                except Exception:
                    # The database is away: keep the deliveries (in order, before newer ones) and try again.
                    log.exception("could not keep %d deliveries in the inbox; trying again", len(batch))
                    self.pending[:0] = batch
                    self._writing = 0
                    await asyncio.sleep(RETRY_WRITE_SECONDS)
                    continue
                self._writing = 0
                self.written()
            self._written.set()

    async def _keep(self, rows: list[tuple[str, str, str]]) -> None:
        """All rows in one transaction; if the database refuses that, row by row, so one row it cannot store (a
        forged request's text) is dropped instead of holding up every delivery after it. If it refuses every row,
        it is away, not the rows: the caller keeps them all and tries again."""
        try:
            await self.inbox.put(rows, self.clock())
            return
        except Exception:
            if len(rows) == 1:
                raise
        refused = []
        for row in rows:
            try:
                await self.inbox.put([row], self.clock())
            except Exception:
                refused.append(row)
        if len(refused) == len(rows):
            raise RuntimeError("the inbox refused every delivery")
        for kind, team, _ in refused:
            log.error("dropped a %s delivery in %r that the database cannot store", kind, team[:40])

    @property
    def unwritten(self) -> int:
        return len(self.pending) + self._writing

    async def flush(self, seconds: float = 10.0) -> None:
        """Waits until everything put so far is in the inbox."""
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
                await self.inbox.finish(done)
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
            if len(run.items) > 1:
                # One delivery that cannot be done must not hold up the others: each is tried once more alone.
                for delivery, item in zip(run.deliveries, run.items, strict=True):
                    await self._attempt(run.work, [item], [delivery])

    async def _attempt(self, work: Work, items: list[Any], deliveries: list[Delivery]) -> bool:
        try:
            await work(items)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Left in the inbox: taken again when its lease ends (the delivery claims, and the timeline's one entry
            # per room message, prevent a second effect of whatever part was done).
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
                await self.inbox.finish(self._finished)
            self._finished = []
        try:
            # What this worker took and did not do is free for the next worker now, not when its lease ends.
            await self.inbox.release(self.holder)
        except Exception:
            log.exception("could not free the deliveries this worker held; they are free when their lease ends")
