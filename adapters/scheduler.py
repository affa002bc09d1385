"""The scheduler: Swarm's periodic jobs (handlers.jobs.JOBS) on APScheduler 3, kept in Swarm's own database.

- Jobs live in APScheduler's SQLAlchemy job store (table `apscheduler_jobs`), stored by reference: the function is
  `adapters.scheduler:run_job` and its only argument the job's name, so they survive restarts and any process can
  load them. `run_job` finds this process's runner in a module-level registry, set while this process leads.
- A run missed while no server was up still happens, once, if it is at most `grace` late (coalesced: several missed
  runs make one); later than that it is skipped until the next one.
- Of several `swarm serve` on one database only the holder of the lease `scheduler` runs jobs. `Scheduler.step()`
  takes or renews the lease and starts, resumes or pauses APScheduler to match; `keep()` calls it every ttl/3.
  A clean stop releases the lease, so another process takes over at once; a dead one's lease expires after ttl.
- Running job NAME means: for each chat platform served, for each of its workspaces, the job with a handler Context
  for that workspace's chat (`Runner`); a workspace that fails is logged and the others still run.
- A chore is work of a platform itself, in no workspace (purging Slack's expired OAuth states): it runs once a round,
  every `Chore.every`, by the same lease holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from adapters.app import App
from adapters.settings import Settings
from bot.context import Clock, utcnow
from handlers.chat import ChatPort
from handlers.context import Context
from handlers.jobs import JOBS, Job

log = logging.getLogger(__name__)

JOB_FUNCTION = "adapters.scheduler:run_job"
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=30)
TICK_SECONDS = 60
TICKET_NOTES_SECONDS = 15
DRAIN_SECONDS = 10.0  # how long a stopping scheduler waits for the jobs under way


# -- what runs -------------------------------------------------------------------------------------------------------


class Platform(Protocol):
    """A chat platform the jobs run on: SlackMount, TeamsMount, or one chat (`OneChat`: the console, tests)."""

    async def workspaces(self) -> list[str]:
        """The keys of the workspaces it serves now."""
        ...

    def session(self, workspace: str) -> AbstractAsyncContextManager[Context]:
        """The handler Context for work in one workspace, outside any request; it finishes what the platform needs
        finished afterwards (Teams mentions the people invited)."""
        ...


class OneChat:
    """One workspace on one chat: the console's for `swarm jobs run` when neither Slack nor Teams is set up."""

    def __init__(self, app: App, chat: ChatPort, workspace: str) -> None:
        self.app = app
        self.chat = chat
        self.workspace = workspace

    async def workspaces(self) -> list[str]:
        return [self.workspace]

    @contextlib.asynccontextmanager
    async def session(self, workspace: str) -> AsyncIterator[Context]:
        yield self.app.router(self.chat).context


@dataclass(frozen=True)
class Chore:
    """Work of a platform itself, in no workspace, run every `every` (SlackMount.chores())."""

    every: timedelta
    run: Callable[[], Awaitable[object]]


@dataclass
class Round:
    """What one run of a job did: the workspaces where it ran, and those where it failed (see the log)."""

    name: str
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Runner:
    """Runs a job by name in every workspace of every platform, each workspace on its own."""

    def __init__(
        self,
        platforms: Sequence[Platform],
        jobs: Mapping[str, Job] = JOBS,
        finished: Callable[[str, bool, float], None] | None = None,
        chores: Mapping[str, Chore] | None = None,
    ) -> None:
        self.platforms = list(platforms)
        self.jobs = jobs
        self.chores = dict(chores or {})
        self.finished = finished  # told (job, every workspace ok, seconds) after each run: the /metrics counter

    async def run(self, name: str) -> Round:
        started = time.perf_counter()
        done = await self._chore(name) if name in self.chores else await self._run(name)
        if self.finished is not None and (name in self.jobs or name in self.chores):
            self.finished(name, not done.failed, time.perf_counter() - started)
        return done

    async def _chore(self, name: str) -> Round:
        done = Round(name)
        try:
            await self.chores[name].run()
        except Exception:
            log.exception("chore %s failed", name)
            done.failed.append(name)
        return done

    async def _run(self, name: str) -> Round:
        job = self.jobs.get(name)
        done = Round(name)
        if job is None:
            log.error("no job named %r: the jobs are %s", name, ", ".join(self.jobs))
            return done
        for platform in self.platforms:
            try:
                workspaces = await platform.workspaces()
            except Exception:
                log.exception("job %s: could not list the workspaces of %s", name, type(platform).__name__)
                done.failed.append(type(platform).__name__)
                continue
            for workspace in workspaces:
                try:
                    async with platform.session(workspace) as ctx:
                        await job(ctx, workspace)
                except Exception:
                    log.exception("job %s failed in workspace %s", name, workspace)
                    done.failed.append(workspace)
                else:
                    done.ran.append(workspace)
        return done


# -- when it runs ----------------------------------------------------------------------------------------------------


def schedules(
    settings: Settings, known: Collection[str] = JOBS, chores: Mapping[str, Chore] | None = None
) -> dict[str, BaseTrigger]:
    """Each job's trigger, from the settings; only jobs that exist (`known`) are scheduled. Then each chore's."""
    zone, at = ZoneInfo(settings.digest_timezone), settings.digest_time
    daily = {"hour": at.hour, "minute": at.minute, "second": at.second, "timezone": zone}
    table: dict[str, BaseTrigger] = {
        "tick": IntervalTrigger(seconds=TICK_SECONDS, timezone=UTC),
        "recurring": IntervalTrigger(hours=1, timezone=UTC),
        # The outbox of ticket notes (bot/tickets.py): a ticket system back from an outage, a 429's wait over.
        "tickets": IntervalTrigger(seconds=TICKET_NOTES_SECONDS, timezone=UTC),
        "digest-daily": CronTrigger(**daily),
        "digest-weekly": CronTrigger(day_of_week="mon", **daily),
    }
    missing = sorted(set(table) - set(known))
    if missing:
        log.warning("no job for %s yet: not scheduled", ", ".join(missing))
    jobs = {name: trigger for name, trigger in table.items() if name in known}
    for name, chore in (chores or {}).items():
        jobs[name] = IntervalTrigger(seconds=chore.every.total_seconds(), timezone=UTC)
    return jobs


def describe(trigger: Any) -> str:
    """The trigger and its time zone: `cron[day_of_week='mon', hour='9', minute='0', second='0'] Europe/Madrid`.

    Two triggers with the same description fire at the same times (str() alone leaves the time zone out)."""
    return f"{trigger} {trigger.timezone}"


def job_store(url: str) -> SQLAlchemyJobStore:
    """APScheduler's job store in Swarm's database; `url` has a synchronous driver (App.job_store_url)."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # Swarm's own units of work hold the write lock briefly; wait for it rather than fail.
        options["connect_args"] = {"timeout": 30}
    return SQLAlchemyJobStore(url=url, engine_options=options)


@dataclass(frozen=True)
class Planned:
    """A job as `swarm jobs list` shows it. next_run is None for a job no `swarm serve` has scheduled yet."""

    name: str
    trigger: str
    next_run: datetime | None


def planned(url: str, table: Mapping[str, BaseTrigger]) -> list[Planned]:
    """The jobs in the job store, with their triggers and next run times, then any in `table` not stored yet.

    Reads the store without running anything (no server needed); the store's table is created if it is missing."""
    store = job_store(url)
    store.start(AsyncIOScheduler(timezone=UTC), "default")
    try:
        stored = store.get_all_jobs()
    finally:
        store.shutdown()
    jobs = [Planned(job.id, describe(job.trigger), job.next_run_time) for job in stored]
    names = {job.name for job in jobs}
    return jobs + [Planned(name, describe(trigger), None) for name, trigger in table.items() if name not in names]


# -- who runs it -----------------------------------------------------------------------------------------------------


class Lease(Protocol):
    """storage.lease.SqlLease, handed in by the composition root (App.lease())."""

    async def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool: ...

    async def release(self, name: str, holder: str) -> None: ...


_leader: Scheduler | None = None  # the Scheduler that leads in this process: run_job's way back to its runner


async def run_job(name: str) -> None:
    """What every stored job calls (by reference, `adapters.scheduler:run_job`, with its name)."""
    leader = _leader
    if leader is None:
        log.warning("job %s is due but no scheduler leads in this process", name)
        return
    await leader.execute(name)


def holder_name() -> str:
    """This process, for the lease: host, pid and a random part (a restarted process is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    """APScheduler on the job store, run only while this process holds the lease.

    `step()` once to decide, `keep()` to go on deciding every ttl/3, `stop()` to end (and release the lease)."""

    def __init__(
        self,
        url: str,
        table: Mapping[str, BaseTrigger],
        run: Callable[[str], Awaitable[object]],
        lease: Lease,
        *,
        grace: timedelta,
        holder: str | None = None,
        ttl: timedelta = LEASE_TTL,
        clock: Clock = utcnow,
    ) -> None:
        self.table = dict(table)
        self.run = run
        self.lease = lease
        self.grace = grace
        self.holder = holder or holder_name()
        self.ttl = ttl
        self.clock = clock
        self.aps = AsyncIOScheduler(jobstores={"default": job_store(url)}, timezone=UTC)
        self._leading = False
        self._until: datetime | None = None  # when the lease we last got runs out
        self._running: set[asyncio.Task[Any]] = set()
        self._store_work: asyncio.Future[None] | None = None  # job-store work under way in a thread (_off_loop)
        self._stopped = asyncio.Event()
        self.aps.add_listener(lambda _: self._stopped.set(), EVENT_SCHEDULER_SHUTDOWN)

    @property
    def leading(self) -> bool:
        return self._leading

    async def step(self) -> bool:
        """Takes or renews the lease; starts or resumes the jobs if it is ours, pauses them if it is not. Returns
        whether this process leads now."""
        now = self.clock()
        try:
            held = await self.lease.acquire(LEASE, self.holder, self.ttl, now)
        except Exception:
            # The database is away: go on while the lease we had lasts (nobody else can take it before).
            held = self._until is not None and now < self._until
            log.warning("could not renew the scheduler lease; %s", "still leading" if held else "stepping down")
        else:
            self._until = now + self.ttl if held else None
        if held and not self._leading:
            try:
                await self._lead()
            except Exception:
                log.exception("could not start the scheduled jobs")
                self._follow()
                await self._release()
                return False
        elif not held and self._leading:
            log.warning("scheduler lease lost to another process: pausing the jobs here")
            self._follow()
        return self._leading

    async def keep(self, every: float | None = None) -> None:
        """Calls step() every `every` seconds (default ttl/3) until cancelled: `swarm serve`'s background task."""
        pause = every if every is not None else self.ttl.total_seconds() / 3
        while True:
            try:
                await self.step()
            except Exception:
                # Whatever went wrong this time, the next step tries again: this task must not end.
                log.exception("scheduler step failed")
            await asyncio.sleep(pause)

    async def stop(self) -> None:
        """Pauses the jobs, lets those under way finish (for a while), shuts APScheduler down, releases the lease."""
        if self._store_work is not None and not self._store_work.done():
            with contextlib.suppress(Exception):
                await self._store_work  # a step cancelled while starting APScheduler: let the thread finish first
        self._follow()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=DRAIN_SECONDS)
            if late:
                log.warning("%d scheduled jobs still running at shutdown", len(late))
        if self.aps.state != STATE_STOPPED:
            self._stopped.clear()
            self.aps.shutdown(wait=False)
            await self._stopped.wait()  # AsyncIOScheduler shuts down on the loop's next turn
        await self._release()

    async def execute(self, name: str) -> None:
        """Runs job `name` through this scheduler's runner (run_job calls it); stop() waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self.run(name)
        finally:
            if task is not None:
                self._running.discard(task)

    # -- inside ------------------------------------------------------------------------------------------------------

    async def _lead(self) -> None:
        global _leader
        # The job store is synchronous SQLAlchemy: creating its table and syncing the jobs run in a thread. On the
        # event loop they blocked it while waiting for SQLite's write lock, which this process's own units of work
        # could hold and not release with the loop blocked: the server hung 30 s at start-up, then failed to
        # lead (found by tests/production/test_replicas.py, two `swarm serve` on one SQLite file).
        if self.aps.state == STATE_STOPPED:
            # AsyncIOScheduler.start() takes the running loop, which a thread has not: hand it this one.
            self.aps._eventloop = asyncio.get_running_loop()
            await self._off_loop(lambda: self.aps.start(paused=True))
        await self._off_loop(self._sync)
        _leader = self
        self._leading = True
        self.aps.resume()
        log.info("this process (%s) runs the scheduled jobs", self.holder)

    async def _off_loop(self, work: Callable[[], None]) -> None:
        """Runs `work` in a thread; if the caller is cancelled, stop() still waits for the thread to finish."""
        self._store_work = asyncio.ensure_future(asyncio.to_thread(work))
        await asyncio.shield(self._store_work)

    def _follow(self) -> None:
        global _leader
        if _leader is self:
            _leader = None
        self._leading = False
        if self.aps.state != STATE_STOPPED:
            self.aps.pause()

    async def _release(self) -> None:
        self._until = None
        try:
            await self.lease.release(LEASE, self.holder)
        except Exception:
            log.warning("could not release the scheduler lease; it expires by itself", exc_info=True)

    def _sync(self) -> None:
        """Makes the stored jobs match the table. A job whose trigger is unchanged keeps its stored next run time
        (replacing it would compute a new one and lose a run missed while no server was up)."""
        options = {"misfire_grace_time": max(1, int(self.grace.total_seconds())), "coalesce": True, "max_instances": 1}
        stored = {job.id: job for job in self.aps.get_jobs()}
        for name, trigger in self.table.items():
            job = stored.pop(name, None)
            if job is None or describe(job.trigger) != describe(trigger):
                self.aps.add_job(
                    JOB_FUNCTION, trigger, args=[name], id=name, name=name, replace_existing=True, **options
                )
            elif any(getattr(job, key) != value for key, value in options.items()):
                self.aps.modify_job(name, **options)
        for name in stored:
            self.aps.remove_job(name)
