"""Platform faults (issue 9): Slack's Web API answers 429 with Retry-After, 5xx, drops the connection, or holds a
call past the client's timeout, at a chosen rate while people open, join, talk in and resolve a swarm on a real
`swarm serve`.

The loopback FakeSlack's `chaos(rate, seed, statuses)` draws faults from a seeded random, so a run replays the same
faults. What must hold: every action is done, or the person who did it was told; after the faults stop and the
server starts again, the swarm is complete; nothing is done twice; and no call is tried more than the client's retry
budget (adapters/slack/mount.py RETRIES) allows.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from adapters.slack.mount import REPEATABLE, RETRIES
from tests.fakes.slack_api import TIMEOUT, Call, FakeSlack
from tests.fakes.slack_signing import message_event, reaction_event
from tests.production.test_crashes import JOIN, SUMMARY, Deployment, deployment  # noqa: F401 (a fixture)
from tests.production.test_replicas import PEOPLE, SUPPORT, WORK, _stop, _until

FAULTS = (429, 500, 503, 0)  # 0: the connection is dropped with no answer (and no effect)
CASE = "ACME cannot export invoices over 10 MB #billing sev2"
FIX = "Raised the export size limit to 50 MB"


def _told(api: FakeSlack, user: str) -> list[str]:
    """What `user` was told privately: ephemeral messages and DMs."""
    said = [str(e.get("text", "")) for e in api.ephemerals(user)]
    dms = {c.id for c in api.channels.values() if c.is_im and c.user == user}
    said += [str(m.get("text", "")) for channel in dms for m in api.messages(channel)]
    return said


def _key(call: Call) -> str:
    return call.method + json.dumps(call.args, sort_keys=True, default=str)


def _attempt_runs(calls: list[Call]) -> list[int]:
    """For each call the server made, how many times it was sent: consecutive identical requests (same method and
    arguments) of which all but the last failed."""
    runs: list[int] = []
    open_runs: dict[str, int] = {}
    for call in calls:
        key = _key(call)
        open_runs[key] = open_runs.get(key, 0) + 1
        if call.status == 200:  # answered (ok or a Slack error): no retry follows
            runs.append(open_runs.pop(key))
    runs += open_runs.values()
    return runs


# Seeded: each run replays the same faults. At 20 % the client's retries absorb nearly every fault; at 60 % some calls
# fail four times in a row and the action stops half way, which must then be reported or finished later.
#
# With timeouts (the last case) the server's client gives up after CLIENT_TIMEOUT and the fake holds the call
# TIMEOUT_HELD, then drops it unheard: calls safe to repeat are sent again, a post or a new channel fails its step.
CLIENT_TIMEOUT, TIMEOUT_HELD = 0.5, 1.0


@pytest.mark.parametrize(
    ("seed", "rate", "timeouts"), [(1, 0.2, False), (2, 0.2, False), (3, 0.6, False), (4, 0.3, True)]
)
async def test_under_faults_every_action_is_done_or_reported_once_and_retries_are_bounded(
    deployment: Deployment,  # noqa: F811 (the fixture imported above)
    seed: int,
    rate: float,
    timeouts: bool,
) -> None:
    api = deployment.api
    statuses = FAULTS
    if timeouts:
        deployment.env["SWARM_SLACK_TIMEOUT_SECONDS"] = str(CLIENT_TIMEOUT)
        statuses = (*FAULTS, TIMEOUT)
    server, sender = await deployment.start()
    api.chaos(rate=rate, seed=seed, statuses=statuses, retry_after=1, timeout=TIMEOUT_HELD)
    try:
        status, _ = await sender.slash(CASE, PEOPLE["ana"], SUPPORT)
        assert status == 200
        await deployment.settled(server)
        announcements = [m for m in api.messages(SUPPORT) if JOIN in m["text"]]
        rooms = [c for c in api.channels.values() if c.name.startswith("swarm-1-")]
        if not announcements:  # the opening stopped half way: its owner must have been told
            assert any("swarm 1" in t.lower() for t in _told(api, PEOPLE["ana"])), _told(api, PEOPLE["ana"])
        # The rest only when the swarm is there to act on; else it is finished below, after the faults.
        joined_sent = resolved_sent = False
        if announcements and rooms:
            room = rooms[0].id
            ts = announcements[0]["ts"]
            status, _ = await sender.event(reaction_event(PEOPLE["fay"], "raising_hand", SUPPORT, ts))
            assert status == 200
            joined_sent = True
            said = message_event(room, PEOPLE["chen"], "the export job times out on big invoices", "1800000000.000100")
            status, _ = await sender.event(said)
            assert status == 200
            await deployment.settled(server)
            status, _ = await sender.slash(f"resolve {FIX}", PEOPLE["ana"], room)
            assert status == 200
            resolved_sent = True
            await deployment.settled(server)
    finally:
        await sender.close()
    faulted = [c for c in api.calls if c.status != 200]
    assert faulted, "the chaos injected nothing: raise the rate"
    if timeouts:
        timed_out = [c for c in api.calls if c.held]
        assert timed_out, "no call was held past the client's timeout"
        # A timed-out call safe to repeat was sent again; a post never was (it might have landed).
        for i, call in enumerate(api.calls):
            if call.held and call.method in REPEATABLE:
                assert any(_key(later) == _key(call) for later in api.calls[i + 1 :]), call

    # The retry budget: no request was sent more than once plus RETRIES times.
    runs = _attempt_runs([c for c in api.calls if c.method != "response_url"])
    assert max(runs) <= 1 + RETRIES, Counter(runs)

    # Faults off, a restart: whatever was interrupted is finished (start-up resume), once.
    api.clear_faults()
    await _stop(server)
    restart = len(api.calls)
    server, sender = await deployment.start()
    try:
        await _until(lambda: _announced(api), WORK, "the opening to be finished")
        await deployment.settled(server)
    finally:
        await sender.close()
    rooms = [c for c in api.channels.values() if c.name.startswith("swarm-1-")]
    assert len(rooms) == 1, [c.name for c in rooms]
    top = [m for m in api.messages(SUPPORT) if m.get("bot_id") and m.get("thread_ts") in (None, m["ts"])]
    assert len(top) == 1, [m["text"] for m in top]  # the announcement, once
    (swarm,) = await deployment.rows("SELECT id, status, card_id FROM swarm")
    channel = rooms[0]
    assert channel.pins == [swarm.card_id]
    assert len([m for m in channel.messages if m.get("bot_id") and m["ts"] == swarm.card_id]) == 1
    # Nothing twice: no two posts alike in one place.
    posts = Counter(
        (c.args.get("channel"), c.args.get("thread_ts"), str(c.args.get("text")))
        for c in api.calls_to("chat.postMessage")
        if c.ok
    )
    assert [post for post, n in posts.items() if n > 1] == []
    # Each action: done, or its doer told.
    ana, fay = _told(api, PEOPLE["ana"]), _told(api, PEOPLE["fay"])
    if resolved_sent:
        summaries = [p for p in posts if SUMMARY in p[2]]
        assert len(summaries) == 2 or any(FIX in t for t in ana), (summaries, ana)
        assert swarm.status == "resolved" or any(FIX in t for t in ana), ana
        assert len(await deployment.rows("SELECT id FROM article")) == (1 if swarm.status == "resolved" else 0)
    if joined_sent:
        joined = [p for p in posts if p[2].startswith(f"<@{PEOPLE['fay']}> joined")]
        assert len(joined) == 1 or fay, "fay's 🙋 was neither done nor answered"
    # The retry budget held after the restart too. The restart's resume is an attempt of its own: a call that failed
    # 1 + RETRIES times before it and is sent again by the resume is not one run.
    runs = _attempt_runs([c for c in api.calls[restart:] if c.method != "response_url"])
    assert max(runs) <= 1 + RETRIES, Counter(runs)


async def _announced(api: FakeSlack) -> bool:
    return any(JOIN in m["text"] or "resolved" in m["text"] for m in api.messages(SUPPORT))
