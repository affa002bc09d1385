"""Keep, then ack, then work: the Writer commits what is acked, the Worker does it in order per conversation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from adapters.inbox import ATTEMPTS, LEASE, RETRY_FIRST, RETRY_GROWTH, Delivery, Piece, Unkept, Worker, Writer
from storage.database import SqlStore
from storage.inbox import SqlInbox
from tests.harness import Clock


class Work:
    """A prepare() for the Worker: the payload names its conversation and what to do; what ran is recorded. Names
    starting with "m" (messages) can be done together: `calls` records the names each call of that work got."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.calls: list[list[str]] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.failing: set[str] = set()

    def prepare(self, delivery: Delivery) -> Piece:
        payload = json.loads(delivery.payload)
        name = payload["name"]
        if name.startswith("m"):
            return Piece(payload["key"], self.together, name)

        async def job() -> None:
            await self.together([name])

        return Piece.alone(payload["key"], job)

    async def together(self, names: Sequence[str]) -> None:
        self.calls.append(list(names))
        for name in names:
            if name in self.gates:
                await self.gates[name].wait()
        if failing := self.failing.intersection(names):
            raise RuntimeError(f"{sorted(failing)} failed")
        self.done.extend(names)


async def stop(worker: Worker, running: asyncio.Task[None], seconds: float) -> None:
    """Stops the worker and waits until its task has ended. A task cancelled and not awaited may still be in a query
    when pytest-asyncio closes the loop; cancelled again there, SQLAlchemy's graceful close of that aiosqlite
    connection can be left waiting for a thread that already stopped, and the teardown hung for good."""
    await worker.stop(seconds)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")


async def put(inbox: SqlInbox, clock: Clock, *items: tuple[str, str]) -> None:
    await inbox.put([("message", "T1", json.dumps({"key": key, "name": name})) for key, name in items], clock())


async def test_one_conversation_in_order_and_others_meanwhile(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.gates["a1"] = asyncio.Event()  # the first delivery about room A waits
    await put(inbox, clock, ("A", "a1"), ("A", "a2"), ("B", "b1"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if work.done:
                break
            await asyncio.sleep(0.01)
        assert work.done == ["b1"]  # B did not wait for A; a2 waits for a1
        work.gates["a1"].set()
        assert await worker.idle(5)
        assert work.done == ["b1", "a1", "a2"]
        assert await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_a_run_of_messages_about_one_conversation_is_done_by_one_call_in_order(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    await put(inbox, clock, ("A", "m1"), ("B", "m2"), ("A", "m3"), ("A", "r1"), ("A", "m4"), ("A", "m5"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        assert await worker.idle(5)
        # A's messages before its reaction are one run, those after it another; B's is a run of its own.
        assert sorted(work.calls) == [["m1", "m3"], ["m2"], ["m4", "m5"], ["r1"]]
        assert [name for name in work.done if name != "m2"] == ["m1", "m3", "r1", "m4", "m5"]
        assert await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_what_comes_in_while_a_run_is_worked_on_gathers_into_the_next_run(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.gates["m1"] = asyncio.Event()  # the first run about room A is being worked on
    await put(inbox, clock, ("A", "m1"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        await until(lambda: work.calls == [["m1"]])
        for held, name in enumerate(["m2", "m3", "r1", "m4"], start=2):
            await put(inbox, clock, ("A", name))
            worker.kick()
            await until(lambda: len(worker.running) == held)  # noqa: B023 - awaited before the next turn
        assert len(worker.running) == 5
        work.gates["m1"].set()
        assert await worker.idle(5)
        # Taken in three rounds while m1 was worked on, m2 and m3 are one run; r1 keeps its place before m4.
        assert work.calls == [["m1"], ["m2", "m3"], ["r1"], ["m4"]]
        assert work.done == ["m1", "m2", "m3", "r1", "m4"] and await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_a_run_can_see_what_waits_to_be_done_next_about_its_conversation(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.gates["m1"] = asyncio.Event()
    await put(inbox, clock, ("A", "m1"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        await until(lambda: work.calls == [["m1"]])
        assert worker.waiting("A", work.together) == ()  # m1 is being worked on, nothing after it yet
        await put(inbox, clock, ("A", "m2"), ("A", "m3"), ("B", "m4"))
        worker.kick()
        await until(lambda: work.done == ["m4"] and len(worker.running) == 3)
        assert list(worker.waiting("A", work.together)) == ["m2", "m3"]
        assert worker.waiting("B", work.together) == ()  # B's run is done
        assert worker.waiting("A", Work().together) == ()  # other work does not gather with these
        work.gates["m1"].set()
        assert await worker.idle(5)
        assert worker.waiting("A", work.together) == ()
    finally:
        await stop(worker, running, 1)


async def test_a_run_that_fails_is_done_again_one_by_one_and_only_the_bad_delivery_stays(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.failing.add("m2")
    await put(inbox, clock, ("A", "m1"), ("A", "m2"), ("A", "m3"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        assert await worker.idle(5)
        assert work.calls == [["m1", "m2", "m3"], ["m1"], ["m2"], ["m3"]]
        assert (work.done, await inbox.waiting()) == (["m1", "m3"], 1)
        work.failing.clear()
        clock.advance(seconds=LEASE.total_seconds())
        assert await worker.idle(5)
        assert work.done == ["m1", "m3", "m2"]
        assert await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_a_failed_delivery_stays_and_is_tried_again_after_a_growing_backoff(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.failing.add("x")
    await put(inbox, clock, ("A", "x"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        assert await worker.idle(5)
        assert (work.calls, await inbox.waiting()) == ([["x"]], 1)
        # Not before 5 s: the first backoff, well before the lease's 2 minutes.
        clock.advance(seconds=RETRY_FIRST.total_seconds() - 1)
        assert await worker.idle(5)
        assert len(work.calls) == 1
        clock.advance(seconds=1)
        assert await worker.idle(5)
        assert len(work.calls) == 2
        # It failed again: the next wait is four times as long.
        clock.advance(seconds=RETRY_FIRST.total_seconds() * RETRY_GROWTH - 1)
        assert await worker.idle(5)
        assert len(work.calls) == 2
        work.failing.clear()
        clock.advance(seconds=1)
        assert await worker.idle(5)
        assert work.done == ["x"]
        assert await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_a_delivery_whose_lease_ends_while_it_is_worked_on_is_done_once(store: SqlStore) -> None:
    """A long turn, or a long wait for its conversation: the worker takes it again (the lease ran out), which must
    not start it a second time, nor remove its id twice (SQLite gives a deleted last id to the next delivery)."""
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.gates["slow"] = asyncio.Event()
    await put(inbox, clock, ("A", "slow"), ("A", "after"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        await until(lambda: bool(worker.running))
        clock.advance(seconds=LEASE.total_seconds())
        worker.kick()
        await asyncio.sleep(0.2)  # several looks at the inbox, with both leases ended
        work.gates["slow"].set()
        assert await worker.idle(5)
        assert work.calls == [["slow"], ["after"]]
        await put(inbox, clock, ("B", "next"))
        assert await worker.idle(5)
        assert work.done == ["slow", "after", "next"]
        assert await inbox.waiting() == 0
    finally:
        await stop(worker, running, 1)


async def test_a_delivery_that_keeps_failing_is_given_up(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    await put(inbox, clock, ("A", "x"))
    for _ in range(ATTEMPTS):  # as if that many workers took it and died
        assert await inbox.take("dead", 1, clock(), LEASE)
        clock.advance(seconds=LEASE.total_seconds())
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    try:
        assert await worker.idle(5)
        assert (work.done, await inbox.waiting()) == ([], 0)
    finally:
        await stop(worker, running, 1)


async def test_stopping_frees_what_the_worker_held_for_the_next_one(store: SqlStore) -> None:
    inbox, clock, work = SqlInbox(store, "slack"), Clock(), Work()
    work.gates["slow"] = asyncio.Event()
    await put(inbox, clock, ("A", "slow"))
    worker = Worker(inbox, work.prepare, clock, poll=0.05)
    running = asyncio.create_task(worker.run())
    for _ in range(100):
        if worker.running:
            break
        await asyncio.sleep(0.01)
    await stop(worker, running, 0.1)
    # No lease to wait for: the next worker takes it at once.
    (again,) = await inbox.take("next", 10, clock(), LEASE)
    assert again.attempts == 2


class Refusing(SqlInbox):
    """The database refuses rows whose payload says so (as PostgreSQL refuses a NUL), or everything (it is away)."""

    away = False

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        if self.away or any("refused" in payload for _, _, payload in deliveries):
            raise ValueError("refused")
        await super().put(deliveries, now)


def message(name: str) -> str:
    return json.dumps({"key": "A", "name": name})


async def names_in(inbox: SqlInbox, clock: Clock) -> list[str]:
    return [json.loads(d.payload)["name"] for d in await inbox.take("w", 10, clock(), timedelta(minutes=2))]


async def test_a_delivery_is_kept_when_keep_returns(store: SqlStore) -> None:
    inbox, clock = SqlInbox(store, "slack"), Clock()
    writer = Writer(inbox, clock)
    await writer.keep("message", "T1", message("one"))
    # Nothing flushed, nothing waited for: committed before keep returned.
    assert await names_in(inbox, clock) == ["one"]
    await writer.close()


class Held(SqlInbox):
    """Records the rows of each write; a write waits for `go` while it is set to an unset event."""

    def __init__(self, store: SqlStore, platform: str) -> None:
        super().__init__(store, platform)
        self.writes: list[list[str]] = []
        self.go: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        self.writes.append([json.loads(payload)["name"] for _, _, payload in deliveries])
        self.started.set()
        if self.go is not None:
            await self.go.wait()
        await super().put(deliveries, now)


async def test_what_arrives_while_a_write_is_in_flight_shares_the_next_transaction(store: SqlStore) -> None:
    inbox, clock = Held(store, "slack"), Clock()
    inbox.go = asyncio.Event()
    writer = Writer(inbox, clock)
    first = asyncio.ensure_future(writer.keep("message", "T1", message("one")))
    await inbox.started.wait()  # the first write started at once, with no window to wait for more
    later = [asyncio.ensure_future(writer.keep("message", "T1", message(name))) for name in ("two", "three")]
    await asyncio.sleep(0.05)
    assert not first.done()  # not acknowledged before its commit
    inbox.go.set()
    await asyncio.gather(first, *later)
    assert inbox.writes == [["one"], ["two", "three"]]
    assert await names_in(inbox, clock) == ["one", "two", "three"]
    await writer.close()


async def test_a_row_the_database_refuses_is_not_kept_and_the_rest_are(store: SqlStore) -> None:
    inbox, clock = Refusing(store, "slack"), Clock()
    writer = Writer(inbox, clock)
    kept = [writer.put("message", "T1", message(name)) for name in ("one", "refused", "two")]
    outcomes = await asyncio.gather(*kept, return_exceptions=True)
    assert [type(outcome).__name__ for outcome in outcomes] == ["NoneType", "Unkept", "NoneType"]
    assert await names_in(inbox, clock) == ["one", "two"]
    await writer.close()


async def test_while_the_database_is_away_nothing_is_acknowledged_and_it_works_again_after(store: SqlStore) -> None:
    inbox, clock = Refusing(store, "slack"), Clock()
    inbox.away = True
    writer = Writer(inbox, clock)
    kept = [writer.put("message", "T1", message(name)) for name in ("one", "two")]
    for outcome in await asyncio.gather(*kept, return_exceptions=True):
        assert isinstance(outcome, Unkept)  # answered 5xx: the platform sends them again
    assert writer.unwritten == 0
    inbox.away = False
    await writer.keep("message", "T1", message("two"))  # the platform's resend
    assert await names_in(inbox, clock) == ["two"]
    await writer.close()
