"""Nothing acknowledged is lost (issue 24): an activity is in the inbox before Teams gets its 202, and one the inbox
cannot keep is answered 503, so that Teams sends it again. The turn is a worker's: here, or in a process of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from adapters.inbox import Delivery, Inbox
from adapters.teams import TeamsMount
from adapters.teams.connector import Backoff
from storage.database import SqlStore
from storage.refs import SqlPlatformRefs
from tests.adapters.teams.conftest import TENANT, TeamsScenario, start_teams

CASE = "ACME cannot export invoices #billing sev2"


def opening(teams: TeamsScenario) -> dict[str, object]:
    """Ana asks @Swarm in #support, as Teams sends it (not yet sent)."""
    message_id = teams.fake.new_id()
    conversation = f"19:support@thread.tacv2;messageid={message_id}"
    return teams.activity(
        "message",
        "ana",
        conversation,
        message_id,
        text=f"<at>Swarm</at> {CASE}",
        entities=[{"type": "mention", "text": "<at>Swarm</at>", "mentioned": {"id": "28:swarm-bot", "name": "Swarm"}}],
    )


async def test_an_activity_is_in_the_inbox_before_its_202_and_a_worker_elsewhere_runs_its_turn(
    store: SqlStore,
) -> None:
    # A server that only acknowledges: its work is a worker process's (`swarm serve --workers N`).
    async with start_teams(store, work=False) as teams:
        activity = opening(teams)
        status, _ = await teams.post(activity)
        assert status == 202
        # Answered: so it is in the inbox, as Teams sent it; and nothing was done yet.
        inbox = teams.app.inbox("teams")
        assert await inbox.waiting() == 1
        (kept,) = await inbox.take("a-look", 10, teams.app.core.clock(), timedelta(minutes=2))
        assert (kept.kind, kept.team) == ("activity", TENANT)
        assert json.loads(kept.payload)["activity"] == activity
        await inbox.release("a-look")
        assert teams.fake.calls == []
        assert (await teams.app.core.swarms.stats(TENANT)).total == 0

        # The worker, in a mount of its own that is never served, takes it and runs the turn.
        worker = TeamsMount(teams.app, SqlPlatformRefs(store), teams.app.settings, backoff=Backoff(sleep=_no_wait))
        await worker.start(resume=False)
        try:
            await worker.idle()
        finally:
            await worker.stop()
        assert await inbox.waiting() == 0
        assert teams.room(1)
        assert "**Swarm 1** is open" in teams.fake.messages[teams.announcement(1)].text


async def _no_wait(seconds: float) -> None:
    return None


class Away:
    """The inbox while its database is away: nothing can be kept; the rest is the real inbox's."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def put(self, deliveries: Sequence[tuple[str, str, str]], now: datetime) -> None:
        raise OSError("connection refused")

    async def take(self, holder: str, limit: int, now: datetime, lease: timedelta) -> Sequence[Delivery]:
        return await self.inbox.take(holder, limit, now, lease)

    async def finish(self, ids: Sequence[int], holder: str) -> None:
        await self.inbox.finish(ids, holder)

    async def release(self, holder: str) -> int:
        return await self.inbox.release(holder)

    async def waiting(self) -> int:
        return await self.inbox.waiting()


async def test_an_activity_the_inbox_cannot_keep_is_answered_503_and_the_resend_takes_effect(
    teams: TeamsScenario,
) -> None:
    writer = teams.mount.writer
    inbox = writer.inbox
    activity = opening(teams)
    writer.inbox = Away(inbox)
    status, _ = await teams.send(activity)
    assert status == 503  # not acknowledged: Teams sends it again
    assert teams.fake.calls == []
    assert await inbox.waiting() == 0

    writer.inbox = inbox
    status, _ = await teams.send(activity)  # Teams' resend
    assert status == 202
    assert teams.room(1)
    assert len(teams.fake.calls_to("create_conversation", ok=True)) == 1


async def test_an_invoke_is_kept_before_its_200(store: SqlStore) -> None:
    async with start_teams(store, work=False) as teams:
        invoke = teams.activity(
            "invoke",
            "eli",
            "19:support@thread.tacv2;messageid=1",
            teams.fake.new_id(),
            name="adaptiveCard/action",
            replyToId="1",
            value={"action": {"type": "Action.Execute", "verb": "join", "data": {"swarm": "join:1"}}},
        )
        status, body = await teams.post(invoke)
        assert status == 200 and json.loads(body)["statusCode"] == 200
        assert await teams.app.inbox("teams").waiting() == 1


async def test_a_turn_that_fails_stays_in_the_inbox(teams: TeamsScenario) -> None:
    """The database refused the turn's first write (here: the worker cannot reach the tenant's state): the activity
    is not dropped as done, it waits for its lease to end and is tried again."""
    state = teams.mount.state

    async def away(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    original = state.put
    state.put = away  # type: ignore[method-assign]
    status, _ = await teams.send(opening(teams))
    assert status == 202
    assert await teams.app.inbox("teams").waiting() == 1
    assert (await teams.app.core.swarms.stats(TENANT)).total == 0
    state.put = original  # type: ignore[method-assign]
