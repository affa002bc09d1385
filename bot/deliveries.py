"""One platform delivery, one effect: even when the process doing its work dies half way.

A platform sends an event again when it got no acknowledgement, two replicas may both receive it, and the inbox gives
a delivery to another worker when the one that took it died. So the delivery's id (its key) is claimed before its
work starts, and the claim is *held* while the work runs: a second copy that comes meanwhile is a duplicate.

The claim is settled in the same transaction as the first thing the work writes (the storage's unit of work does it
at commit, for the `Claim` of the task it runs in). The work's first effect and the settled claim become permanent
together:
- a crash before that write leaves a held claim and no effect; once its lease ends, whoever has the delivery (the
  inbox's next worker) takes the claim over and does the work from the start;
- a crash after it leaves both, and every later copy is a duplicate. What the work does after its first write must
  be finished by a resume (an opening is, step by step: handlers/opening.py) or be worth losing to a crash rather
  than doing twice.
Work that writes nothing (an answer, a help text) settles its claim when it ends.

The lease is shorter than the inbox's (adapters/inbox.py): by the time a dead worker's delivery is taken again, its
claim can be taken over too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from bot.context import Clock, utcnow
from bot.errors import Busy
from bot.ports import Store

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=1)  # half the inbox's: see the module's docstring


@dataclass
class Claim:
    """A delivery's claim held by the work running now (in this task and the tasks it starts)."""

    workspace_id: int
    key: str
    holder: str
    settled: bool = False


class Duplicate(Exception):
    """The claim was taken over while the work ran (its lease ended first): another worker does the delivery, so
    what this one wrote is rolled back."""


_RUNNING: ContextVar[Claim | None] = ContextVar("delivery_claim", default=None)


@contextmanager
def _running(claim: Claim | None) -> Iterator[None]:
    token = _RUNNING.set(claim)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def unsettled() -> Claim | None:
    """The claim of the delivery whose work runs in this task, while it is not settled yet."""
    claim = _RUNNING.get()
    return claim if claim is not None and not claim.settled else None


class Deliveries:
    def __init__(self, store: Store, clock: Clock = utcnow, lease: timedelta = LEASE) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease

    @asynccontextmanager
    async def claimed(self, workspace: str, key: str) -> AsyncIterator[bool]:
        """Holds the delivery's claim while the block runs: True if the work is this one's to do, False for a
        duplicate (done already, or held by work running elsewhere). A block that ends without writing settles the
        claim; one that fails with `Busy` (the database) frees it, for the delivery to be tried again."""
        holder, now = uuid.uuid4().hex, self.clock()
        with _running(None):  # the claim's own writes settle nothing
            async with self.store.unit() as uow:
                workspace_id = (await uow.workspaces.ensure(workspace)).id
                assert workspace_id is not None
                first = await uow.processed.hold(workspace_id, key, holder, now, now + self.lease)
                await uow.commit()
        if not first:
            yield False
            return
        claim = Claim(workspace_id, key, holder)
        try:
            with _running(claim):
                yield True
        except Busy:
            await self._end(claim, settle=False)
            raise
        # Anything else that ends the work (a cancelled task: the process stopping or dying) leaves the claim held,
        # as a crash would: the delivery is still in the inbox, and its next worker takes the claim over.
        await self._end(claim, settle=True)

    async def _end(self, claim: Claim, settle: bool) -> None:
        if claim.settled:
            return
        try:
            async with self.store.unit() as uow:
                if settle:
                    await uow.processed.settle(claim.workspace_id, claim.key, claim.holder)
                else:
                    await uow.processed.release(claim.workspace_id, claim.key, claim.holder)
                await uow.commit()
            claim.settled = settle
        except Exception:
            # The work is done (or failed) either way; the claim ends with its lease.
            log.warning("could not end the claim of a delivery; it lapses with its lease", exc_info=True)
