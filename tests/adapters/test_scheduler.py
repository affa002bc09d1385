"""The scheduler: jobs in Swarm's database survive restarts, missed runs run once within the grace period and not
after it, and of several processes on one database only the lease holder runs them.

Nothing here sleeps on the wall clock: a job is made due by writing its next run time into the job store, and each
test waits (with a timeout) for APScheduler to report the run; the lease's clock is the test's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from adapters import cli, scheduler
from adapters.app import App
from adapters.memory import MemoryChat
from adapters.settings import Settings
from adapters.slack.states import PurgedStateStore
from bot.core import Core
from handlers.context import Context
from handlers.jobs import JOBS
from storage.database import SqlStore
from tests.adapters.conftest import Swarm
from tests.harness import Clock

ROSTER = str(Path(__file__).resolve().parents[2] / "examples" / "roster.yaml")
GRACE = timedelta(minutes=60)
WAIT = 10.0  # seconds: a bound on waiting for APScheduler, never a pause


class Ping:
    """A test job: counts its runs (workspace by workspace) and says when it ran."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.ran = asyncio.Event()

    async def __call__(self, ctx: Context, workspace: str) -> None:
        self.runs.append(workspace)
        self.ran.set()


class Reported:
    """What one APScheduler reported about job runs: executed, missed, failed."""

    def __init__(self, jobs: scheduler.Scheduler) -> None:
        self.codes: list[int] = []
        self._changed = asyncio.Event()
        jobs.aps.add_listener(self._on, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)

    def _on(self, event: Any) -> None:
        self.codes.append(event.code)
        self._changed.set()

    async def wait_for(self, code: int) -> None:
        async with asyncio.timeout(WAIT):
            while code not in self.codes:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def app(store: SqlStore, database_url: str) -> App:
    settings = Settings(_env_file=None, SWARM_DATABASE_URL=database_url)  # type: ignore[call-arg]
    return App(settings, store, Core.build(store, settings.policy()))


@pytest.fixture
async def started(app: App) -> AsyncIterator[list[scheduler.Scheduler]]:
    """The schedulers a test made; each is stopped at the end, whatever happened."""
    made: list[scheduler.Scheduler] = []
    yield made
    for jobs in made:
        await jobs.stop()


def make(
    app: App,
    started: list[scheduler.Scheduler],
    table: dict[str, Any],
    ping: Ping,
    holder: str,
    clock: Clock | None = None,
    grace: timedelta = GRACE,
) -> scheduler.Scheduler:
    """A Scheduler whose jobs run `ping` (under each name in `table`) in the console workspace."""
    runner = scheduler.Runner([scheduler.OneChat(app, MemoryChat(), "console")], dict.fromkeys(table, ping))
    jobs = scheduler.Scheduler(
        app.job_store_url, table, runner.run, app.lease(), grace=grace, holder=holder, clock=clock or Clock()
    )
    started.append(jobs)
    return jobs


@contextlib.contextmanager
def job_store(app: App) -> Iterator[Any]:
    store = scheduler.job_store(app.job_store_url)
    store.start(AsyncIOScheduler(timezone=UTC), "default")
    try:
        yield store
    finally:
        store.shutdown()


def make_due(app: App, name: str, when: datetime) -> None:
    """Sets the stored job's next run time, as if no server had been up to run it then."""
    with job_store(app) as store:
        job = store.lookup_job(name)
        job._modify(next_run_time=when)
        store.update_job(job)


def stored(app: App, name: str) -> Any:
    with job_store(app) as store:
        return store.lookup_job(name)


def now() -> datetime:
    return datetime.now(UTC)


# -- persistence and misfires -----------------------------------------------------------------------------------------


async def test_a_job_survives_a_restart_and_a_run_missed_within_the_grace_runs_once(
    app: App, started: list[scheduler.Scheduler]
) -> None:
    daily = {"ping": IntervalTrigger(days=1, timezone=UTC)}
    first = make(app, started, daily, Ping(), "first")
    assert await first.step()
    assert stored(app, "ping").next_run_time > now() + timedelta(hours=23)
    await first.stop()
    assert first.aps.state == STATE_STOPPED

    # The server was down when the job was due, 5 minutes ago: within the grace period.
    due = now() - timedelta(minutes=5)
    make_due(app, "ping", due)
    ping = Ping()
    second = make(app, started, daily, ping, "second")
    reported = Reported(second)
    assert await second.step()
    await reported.wait_for(EVENT_JOB_EXECUTED)
    assert ping.runs == ["console"]
    assert reported.codes == [EVENT_JOB_EXECUTED]
    # Kept, not rescheduled from scratch: the next run follows the missed one.
    assert stored(app, "ping").next_run_time == due + timedelta(days=1)


async def test_a_run_missed_beyond_the_grace_is_skipped(app: App, started: list[scheduler.Scheduler]) -> None:
    daily = {"ping": IntervalTrigger(days=1, timezone=UTC)}
    first = make(app, started, daily, Ping(), "first")
    await first.step()
    await first.stop()

    due = now() - timedelta(hours=2)
    make_due(app, "ping", due)
    ping = Ping()
    second = make(app, started, daily, ping, "second")
    reported = Reported(second)
    await second.step()
    await reported.wait_for(EVENT_JOB_MISSED)
    assert reported.codes == [EVENT_JOB_MISSED]
    assert ping.runs == []
    assert stored(app, "ping").next_run_time == due + timedelta(days=1)


async def test_runs_missed_one_after_another_coalesce_into_one(app: App, started: list[scheduler.Scheduler]) -> None:
    every_ten = {"ping": IntervalTrigger(minutes=10, timezone=UTC)}
    first = make(app, started, every_ten, Ping(), "first")
    await first.step()
    await first.stop()

    # Due 25, 15 and 5 minutes ago: three missed runs, all within the grace period.
    due = now() - timedelta(minutes=25)
    make_due(app, "ping", due)
    ping = Ping()
    second = make(app, started, every_ten, ping, "second")
    reported = Reported(second)
    await second.step()
    await reported.wait_for(EVENT_JOB_EXECUTED)
    assert ping.runs == ["console"]
    assert reported.codes == [EVENT_JOB_EXECUTED]
    assert stored(app, "ping").next_run_time == due + timedelta(minutes=30)


async def test_start_adds_missing_jobs_replaces_changed_ones_and_removes_unknown_ones(
    app: App, started: list[scheduler.Scheduler]
) -> None:
    first = make(
        app,
        started,
        {"ping": IntervalTrigger(days=1, timezone=UTC), "old": IntervalTrigger(days=1, timezone=UTC)},
        Ping(),
        "first",
    )
    await first.step()
    await first.stop()
    kept = stored(app, "ping").next_run_time

    # Same trigger, shorter grace: the job keeps its next run time and takes the new grace.
    second = make(
        app,
        started,
        {"ping": IntervalTrigger(days=1, timezone=UTC), "new": CronTrigger(hour=9, timezone=UTC)},
        Ping(),
        "second",
        grace=timedelta(minutes=30),
    )
    await second.step()
    await second.stop()
    assert stored(app, "ping").next_run_time == kept
    assert stored(app, "ping").misfire_grace_time == 30 * 60
    assert stored(app, "old") is None
    assert stored(app, "new") is not None

    # Another trigger: the job is replaced, its next run computed from the new one.
    third = make(app, started, {"ping": IntervalTrigger(days=2, timezone=UTC)}, Ping(), "third")
    await third.step()
    await third.stop()
    assert stored(app, "ping").next_run_time > now() + timedelta(days=1, hours=23)
    assert stored(app, "new") is None


# -- one leader -------------------------------------------------------------------------------------------------------


async def test_only_the_lease_holder_runs_jobs_and_another_takes_over_when_it_stops(
    app: App, started: list[scheduler.Scheduler]
) -> None:
    daily = {"ping": IntervalTrigger(days=1, timezone=UTC)}
    ping_a, ping_b = Ping(), Ping()
    a, b = make(app, started, daily, ping_a, "a"), make(app, started, daily, ping_b, "b")
    reported_a, reported_b = Reported(a), Reported(b)
    assert await a.step()
    assert not await b.step()
    assert (a.aps.state, b.aps.state) == (STATE_RUNNING, STATE_STOPPED)

    make_due(app, "ping", now() - timedelta(minutes=1))
    a.aps.wakeup()  # another process changed the store: look again now, not at the next planned wake-up
    await reported_a.wait_for(EVENT_JOB_EXECUTED)
    assert (ping_a.runs, ping_b.runs) == (["console"], [])

    # A clean stop releases the lease: b takes over at its next step, without waiting for the lease to expire.
    await a.stop()
    assert await b.step()
    make_due(app, "ping", now() - timedelta(minutes=1))
    b.aps.wakeup()
    await reported_b.wait_for(EVENT_JOB_EXECUTED)
    assert (ping_a.runs, ping_b.runs) == (["console"], ["console"])
    assert (reported_a.codes, reported_b.codes) == ([EVENT_JOB_EXECUTED], [EVENT_JOB_EXECUTED])


async def test_when_the_holder_stops_renewing_another_takes_over_after_the_lease_expires(
    app: App, started: list[scheduler.Scheduler]
) -> None:
    clock = Clock()
    daily = {"ping": IntervalTrigger(days=1, timezone=UTC)}
    ping_a, ping_b = Ping(), Ping()
    a = make(app, started, daily, ping_a, "a", clock)
    b = make(app, started, daily, ping_b, "b", clock)
    reported_a, reported_b = Reported(a), Reported(b)
    assert await a.step()
    clock.advance(seconds=20)
    assert await a.step()  # renewed: good for another 30 s from now
    clock.advance(seconds=20)
    assert not await b.step()

    # a hangs (no more steps) past its lease: b takes over; when a comes back it finds out and pauses.
    clock.advance(seconds=31)
    assert await b.step()
    assert not await a.step()
    assert (a.leading, b.leading) == (False, True)
    assert (a.aps.state, b.aps.state) == (STATE_PAUSED, STATE_RUNNING)

    make_due(app, "ping", now() - timedelta(minutes=1))
    a.aps.wakeup()
    b.aps.wakeup()
    await reported_b.wait_for(EVENT_JOB_EXECUTED)
    assert (ping_a.runs, ping_b.runs) == ([], ["console"])
    assert reported_a.codes == []


class FlakyLease:
    """The real lease, with a switch that makes the database unreachable."""

    def __init__(self, lease: scheduler.Lease) -> None:
        self.lease = lease
        self.down = False

    async def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        if self.down:
            raise ConnectionError("the database is down")
        return await self.lease.acquire(name, holder, ttl, now)

    async def release(self, name: str, holder: str) -> None:
        await self.lease.release(name, holder)


async def test_without_the_database_the_holder_goes_on_until_its_lease_would_expire(
    app: App, started: list[scheduler.Scheduler]
) -> None:
    clock, lease = Clock(), FlakyLease(app.lease())
    jobs = scheduler.Scheduler(
        app.job_store_url, {}, scheduler.Runner([]).run, lease, grace=GRACE, holder="a", clock=clock
    )
    started.append(jobs)
    assert await jobs.step()
    lease.down = True
    clock.advance(seconds=20)
    assert await jobs.step()
    clock.advance(seconds=11)
    assert not await jobs.step()
    assert jobs.aps.state == STATE_PAUSED
    lease.down = False
    assert await jobs.step()
    assert jobs.aps.state == STATE_RUNNING


# -- what runs, and when ----------------------------------------------------------------------------------------------


def test_the_schedule_comes_from_the_settings() -> None:
    settings = Settings(_env_file=None, SWARM_DIGEST_TIME="08:30", SWARM_DIGEST_TZ="Europe/Madrid")  # type: ignore[call-arg]
    table = scheduler.schedules(settings, known={"tick", "recurring", "digest-daily", "digest-weekly"})
    assert {name: scheduler.describe(trigger) for name, trigger in table.items()} == {
        "tick": "interval[0:01:00] UTC",
        "recurring": "interval[1:00:00] UTC",
        "digest-daily": "cron[hour='8', minute='30', second='0'] Europe/Madrid",
        "digest-weekly": "cron[day_of_week='mon', hour='8', minute='30', second='0'] Europe/Madrid",
    }
    # Summer time in Madrid: 08:30 there is 06:30 UTC; the weekly one waits for Monday.
    wednesday = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    daily = table["digest-daily"].get_next_fire_time(None, wednesday)
    weekly = table["digest-weekly"].get_next_fire_time(None, wednesday)
    assert daily.astimezone(UTC) == datetime(2026, 7, 2, 6, 30, tzinfo=UTC)
    assert weekly.astimezone(UTC) == datetime(2026, 7, 6, 6, 30, tzinfo=UTC)
    # Only jobs that exist are scheduled.
    assert set(scheduler.schedules(settings, known={"tick"})) == {"tick"}
    assert set(scheduler.schedules(settings)) == set(JOBS)


class Workspaces:
    """A platform with a few workspaces; `broken` ones fail before their job can run."""

    def __init__(self, app: App, keys: list[str], broken: set[str] | None = None) -> None:
        self.app = app
        self.keys = keys
        self.broken = broken or set()

    async def workspaces(self) -> list[str]:
        return self.keys

    @contextlib.asynccontextmanager
    async def session(self, workspace: str) -> AsyncIterator[Context]:
        if workspace in self.broken:
            raise ConnectionError(f"cannot reach {workspace}")
        yield self.app.router(MemoryChat(workspace=workspace)).context


class NoWorkspaces:
    async def workspaces(self) -> list[str]:
        raise ConnectionError("auth.test failed")

    def session(self, workspace: str) -> contextlib.AbstractAsyncContextManager[Context]:
        raise AssertionError("no workspace, no session")


async def test_a_job_runs_in_every_workspace_of_every_platform_and_one_failure_stops_none(app: App) -> None:
    ping = Ping()
    runner = scheduler.Runner(
        [Workspaces(app, ["T1", "T2", "T3"], broken={"T2"}), NoWorkspaces(), Workspaces(app, ["tenant-1"])],
        {"ping": ping},
    )
    done = await runner.run("ping")
    assert ping.runs == ["T1", "T3", "tenant-1"]
    assert done.ran == ["T1", "T3", "tenant-1"]
    assert done.failed == ["T2", "NoWorkspaces"]


async def test_each_run_is_counted_for_metrics(app: App) -> None:
    runner = scheduler.Runner(
        [Workspaces(app, ["T1", "T2"], broken={"T2"})], {"ping": Ping()}, finished=app.metrics.job_run
    )
    await runner.run("ping")
    await scheduler.Runner([Workspaces(app, ["T1"])], {"ping": Ping()}, finished=app.metrics.job_run).run("ping")
    registry = app.metrics.registry
    assert registry.get_sample_value("swarm_job_runs_total", {"job": "ping", "outcome": "failed"}) == 1
    assert registry.get_sample_value("swarm_job_runs_total", {"job": "ping", "outcome": "ok"}) == 1


# -- the command line -------------------------------------------------------------------------------------------------


async def test_jobs_list_shows_each_job_before_and_after_a_server_scheduled_them(
    swarm: Swarm, app: App, started: list[scheduler.Scheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWARM_DIGEST_TZ", "Europe/Madrid")
    code, out = await swarm("jobs", "list")
    assert code == 0
    lines = out.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(JOBS)
    assert all(line.endswith("next run: not scheduled yet") for line in lines)

    # What `swarm serve` schedules, from the same settings.
    settings = Settings(_env_file=None, SWARM_DATABASE_URL=app.settings.database_url)  # type: ignore[call-arg]
    jobs = scheduler.Scheduler(
        app.job_store_url, scheduler.schedules(settings), scheduler.Runner([]).run, app.lease(), grace=GRACE
    )
    started.append(jobs)
    await jobs.step()
    await jobs.stop()
    code, out = await swarm("jobs", "list")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) == set(JOBS)
    assert "interval[0:01:00] UTC" in lines["tick"]
    assert "cron[day_of_week='mon', hour='9', minute='0', second='0'] Europe/Madrid" in lines["digest-weekly"]
    assert "09:00:00+0" in lines["digest-daily"]  # 09:00 in Madrid, +01:00 or +02:00
    assert "not scheduled yet" not in out


async def test_jobs_run_refuses_an_unknown_job_and_lists_the_names(
    swarm: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = await swarm("jobs", "run", "digest-hourly")
    assert code == 2
    assert capsys.readouterr().err == f"There is no job 'digest-hourly'. The jobs are: {', '.join(JOBS)}.\n"


async def test_jobs_run_on_a_laptop_runs_in_the_console_workspace_and_shows_what_swarm_said(
    swarm: Swarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "open.swarm"
    script.write_text("/swarm ACME cannot export invoices to PDF #billing #pdf sev1\n", encoding="utf-8")
    # Experts have a few milliseconds to answer: by the time `swarm jobs run` starts, nobody has.
    monkeypatch.setenv("SWARM_EXPERT_TIMEOUT", "0.0001")
    code, out = await swarm("console", "--roster", ROSTER, "--script", str(script))
    assert code == 0 and "Swarm 1" in out

    code, out = await swarm("jobs", "run", "tick")
    assert code == 0
    assert "#swarm-1-acme-cannot-export-invoices Swarm: @" in out
    assert "did not answer in time for swarm 1" in out


def test_jobs_run_through_main_exits_with_its_code(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)
    with pytest.raises(SystemExit) as exited:
        cli.main(["jobs", "run", "tick"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == "tick: nothing to say in console.\n"
    with pytest.raises(SystemExit) as exited:
        cli.main(["jobs", "run", "nope"])
    assert exited.value.code == 2
    assert "The jobs are: tick" in capsys.readouterr().err
    assert sys.modules["adapters.scheduler"]._leader is None


async def test_the_chores_are_listed_and_run_by_name_like_the_jobs(
    swarm: Swarm, app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in (("SLACK_SIGNING_SECRET", "signing"), ("SLACK_CLIENT_ID", "1.2"), ("SLACK_CLIENT_SECRET", "s")):
        monkeypatch.setenv(name, value)  # several Slack workspaces (OAuth): purging their expired states is a chore
    states = PurgedStateStore(expiration_seconds=600, engine=app.store.engine)
    for _ in range(3):
        await states.async_issue()
    async with app.store.engine.begin() as connection:  # two install pages opened long ago and never used
        old = text(
            "UPDATE slack_oauth_states SET expire_at = :past WHERE id IN (SELECT id FROM slack_oauth_states LIMIT 2)"
        )
        await connection.execute(old, {"past": datetime(2020, 1, 1)})

    code, out = await swarm("jobs", "list")
    assert code == 0
    assert sorted(line.split()[0] for line in out.splitlines()) == sorted([*JOBS, "purge-oauth-states"])
    assert "interval[0:10:00] UTC" in next(line for line in out.splitlines() if line.startswith("purge-oauth-states"))

    code, out = await swarm("jobs", "run", "purge-oauth-states")
    assert (code, out) == (0, "purge-oauth-states ran.\n")
    async with app.store.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM slack_oauth_states"))).scalar_one() == 1

    capsys.readouterr()
    assert (await swarm("jobs", "run", "purge-states"))[0] == 2
    assert capsys.readouterr().err.endswith(f"The jobs are: {', '.join(JOBS)}, purge-oauth-states.\n")
