"""Hostile Slack payloads, fuzzed with hypothesis and sent signed to the real server: events (message, reactions,
app_home_opened) and interactions (block_actions, view_submission) with fields missing, of the wrong type or odd.

Whatever arrives: the answer is 200 or 400, never a 5xx; nothing is logged at ERROR (no unhandled exception in a
listener, no failed Web API call surfaced as our failure); and the database holds no half-written change (every
swarm fully open with exactly its owner as owner, members that exist)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Role, SwarmStatus
from tests.adapters.slack.conftest import SUPPORT, SlackScenario, start_slack
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID
from tests.fakes.slack_signing import app_home_opened, message_event, reaction_event

JSON = dict[str, Any]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CASE = "ACME cannot export invoices to PDF #billing #pdf sev2 customer:ACME"


class Recorder(logging.Handler):
    """Every record at WARNING or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}"
            + (f"\n{logging.Formatter().formatException(r.exc_info)}" if r.exc_info else "")
            for r in self.records
            if r.levelno >= logging.ERROR
        ]


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)


class Wire:
    """The server with one swarm open, its room and announcement known, so fuzzed payloads can point at them."""

    def __init__(self, slack: SlackScenario, recorder: Recorder) -> None:
        self.slack = slack
        self.recorder = recorder
        self.room = slack.room().id
        self.announcement = next(m["ts"] for m in slack.api.messages(SUPPORT) if "is open for" in m.get("text", ""))

    async def send_event(self, event: Any) -> int:
        status, _ = await self.slack.sender.event(event)
        await self.slack.mount.idle()
        return status

    async def send_payload(self, payload: Any) -> int:
        status, _ = await self.slack.sender._send_payload(payload)
        await self.slack.mount.idle()
        return status


@pytest.fixture
async def wire(database_url: str) -> AsyncIterator[Wire]:
    async for slack in start_slack(database_url, SWARM_OPEN_LIMIT="off"):
        status, _ = await slack.command(CASE)
        assert status == 200
        with recording() as recorder:
            yield Wire(slack, recorder)


async def no_half_writes(slack: SlackScenario) -> None:
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.get(TEAM_ID)
        assert workspace is not None and workspace.id is not None
        people = {p.id for p in await uow.people.list(workspace.id)}
        for swarm in await uow.swarms.list(workspace.id):
            assert swarm.status is not SwarmStatus.OPENING, f"swarm {swarm.number} left half open"
            members = await uow.swarms.members(swarm.id or 0)
            owners = [m.person_id for m in members if m.role is Role.OWNER]
            assert owners == [swarm.owner_id], f"swarm {swarm.number}: owners {owners}"
            assert {m.person_id for m in members} <= people


async def check(wire: Wire, status: int) -> None:
    assert status in (200, 400), status
    errors = wire.recorder.errors()
    wire.recorder.records.clear()
    assert not errors, "\n".join(errors)
    await no_half_writes(wire.slack)


# -- values ---------------------------------------------------------------------------------------------------------

MISSING = object()  # a field left out
USERS = ["UANA", "UBEN", "UFAY", "UGHOST", BOT_USER_ID, "", "W0NOPE"]
# Slack never sends the bot's own clicks or submissions (events.action/form are not told the bot's id).
PEOPLE = [u for u in USERS if u != BOT_USER_ID]
EMOJI = ["raising_hand", "eyes", "white_check_mark", "raising_hand::skin-tone-3", "thumbsup", "", "::"]
ODD: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.just("\x00"),
    st.just("1700000000.000100"),
)


def field(known: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field as Slack sends it (mostly), or missing, or any odd value."""
    return st.one_of(known, known, known, st.just(MISSING), ODD)


def shaped(fields: dict[str, Any]) -> JSON:
    return {key: value for key, value in fields.items() if value is not MISSING}


@st.composite
def message_events(draw: st.DrawFn, wire: Wire) -> JSON:
    channel = draw(field(st.sampled_from([wire.room, SUPPORT, "CNOWHERE", "DUANA"])))
    user = draw(field(st.sampled_from(USERS)))
    text = draw(field(st.one_of(st.text(max_size=60), st.sampled_from(["/swarm resolve", "<@UBEN> help", "&lt;"]))))
    ts = draw(field(st.sampled_from(["1800000000.000100", wire.announcement, "x"])))
    base = message_event("C", "U", "", "1")
    base.update(channel=channel, user=user, text=text, ts=ts)
    base["thread_ts"] = draw(field(st.sampled_from([wire.announcement, ts if isinstance(ts, str) else "1"])))
    base["subtype"] = draw(
        field(st.sampled_from(["thread_broadcast", "message_changed", "channel_join", "bot_message"]))
    )
    base["bot_id"] = draw(st.one_of(st.just(MISSING), st.just(MISSING), ODD))
    base["blocks"] = draw(field(st.just(base["blocks"])))
    return shaped(base)


@st.composite
def reaction_events(draw: st.DrawFn, wire: Wire) -> JSON:
    base = reaction_event("U", "x", "C", "1", added=draw(st.booleans()))
    item = shaped(
        {
            "type": draw(field(st.sampled_from(["message", "file"]))),
            "channel": draw(field(st.sampled_from([SUPPORT, wire.room, "CNOWHERE"]))),
            "ts": draw(field(st.sampled_from([wire.announcement, "1800000000.000100"]))),
        }
    )
    base.update(
        user=draw(field(st.sampled_from(USERS))),
        reaction=draw(field(st.sampled_from(EMOJI))),
        item=draw(st.one_of(st.just(item), st.just(item), st.just(MISSING), ODD)),
        item_user=draw(field(st.sampled_from([BOT_USER_ID, "UANA"]))),
    )
    return shaped(base)


@st.composite
def home_events(draw: st.DrawFn) -> JSON:
    base = app_home_opened("U")
    base.update(
        # Only people Slack knows open the App Home (the fake refuses views.publish for anyone else).
        user=draw(field(st.sampled_from([u for u in USERS if u != "UGHOST"]))),
        channel=draw(field(st.just("DUANA"))),
        tab=draw(field(st.sampled_from(["home", "messages"]))),
        view=draw(st.one_of(st.just(MISSING), ODD, st.just({"id": "V1", "type": "home", "blocks": []}))),
    )
    return shaped(base)


def events(wire: Wire) -> st.SearchStrategy[JSON]:
    return st.one_of(message_events(wire), reaction_events(wire), home_events())


ACTIONS = ["join", "accept", "decline", "resolve", "leave", "more", "kb_show", "", "x" * 300]


@st.composite
def block_actions(draw: st.DrawFn, wire: Wire) -> JSON:
    action = shaped(
        {
            "action_id": draw(st.sampled_from(ACTIONS)),  # routable: see test_an_unroutable_interaction_is_a_400
            "value": draw(field(st.sampled_from(["1", "2", "0", "-1", "2147483647", "abc", ""]))),  # see HUGE below
            "type": draw(field(st.just("button"))),
            "block_id": "actions",
            "action_ts": draw(field(st.just("1800000000.000200"))),
        }
    )
    user = shaped(
        {
            "id": draw(st.one_of(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), ODD)),
            "username": draw(field(st.just("someone"))),
            "team_id": draw(field(st.just(TEAM_ID))),
        }
    )
    channel = shaped({"id": draw(field(st.sampled_from([wire.room, SUPPORT, "CNOWHERE"])))})
    return shaped(
        {
            "type": "block_actions",
            "user": user,
            "api_app_id": "A0001",
            "team": draw(field(st.just({"id": TEAM_ID, "domain": "acme"}))),
            "trigger_id": draw(field(st.just("12345.98765.abcd"))),
            "container": draw(field(st.just({"type": "message", "message_ts": wire.announcement}))),
            "channel": draw(field(st.just(channel))),
            "message": draw(field(st.just({"ts": wire.announcement, "text": ""}))),
            "response_url": "http://127.0.0.1:9/hooks/x",
            "actions": [action],
        }
    )


@st.composite
def view_submissions(draw: st.DrawFn, wire: Wire) -> JSON:
    plain = st.one_of(st.text(max_size=80), st.none())
    values = draw(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["case", "severity", "resolution", "cause", "environment", "title", "x"]),
                st.one_of(
                    plain.map(lambda v: {"value": {"type": "plain_text_input", "value": v}}),
                    st.sampled_from(["sev1", "sev9", ""]).map(
                        lambda v: {"value": {"type": "static_select", "selected_option": {"value": v}}}
                    ),
                    ODD,
                ),
                max_size=5,
            ),
            ODD,
        )
    )
    view = shaped(
        {
            "id": draw(field(st.just("V0FUZZ"))),
            "type": "modal",
            "callback_id": draw(st.sampled_from(["open", "resolve", "kb_edit", "nope", ""])),
            "private_metadata": draw(
                field(
                    st.sampled_from(
                        ["", "1", "{", '{"value": 1}', json.dumps({"value": "1", "channel": wire.room}), '["x"]']
                    )
                )
            ),
            "state": draw(st.one_of(st.just({"values": values}), st.just({"values": values}), ODD)),
            "hash": draw(field(st.just("1800000000.abcd"))),
            "blocks": draw(field(st.just([]))),
        }
    )
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": draw(st.one_of(st.sampled_from(PEOPLE), ODD)), "team_id": TEAM_ID},
        "api_app_id": "A0001",
        "trigger_id": "12345.98765.abcd",
        "view": view,
    }


# -- the tests ------------------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
async def test_any_event_is_answered_and_changes_nothing_by_halves(wire: Wire, data: st.DataObject) -> None:
    event = data.draw(events(wire))
    await check(wire, await wire.send_event(event))


@FUZZ
@given(data=st.data())
async def test_any_block_action_is_answered_and_changes_nothing_by_halves(wire: Wire, data: st.DataObject) -> None:
    payload = data.draw(block_actions(wire))
    await check(wire, await wire.send_payload(payload))


@FUZZ
@given(data=st.data())
async def test_any_view_submission_is_answered_and_changes_nothing_by_halves(wire: Wire, data: st.DataObject) -> None:
    payload = data.draw(view_submissions(wire))
    await check(wire, await wire.send_payload(payload))


async def test_a_private_answer_to_a_user_slack_does_not_know_is_dropped_quietly(wire: Wire) -> None:
    status, _ = await wire.slack.command("/swarm list", user="UGHOST")
    opened = [c for c in wire.slack.api.calls_to("conversations.open") if c.args.get("users") == "UGHOST"]
    assert [c.error for c in opened] == ["user_not_found"]  # the ephemeral failed, and so did the DM instead
    warned = [r.getMessage() for r in wire.recorder.records if r.levelno == logging.WARNING]
    assert any("no private reply to Slack user 'UGHOST': user_not_found" in w for w in warned), warned
    await check(wire, status)


async def test_a_home_tab_for_a_user_slack_does_not_know_is_dropped_quietly(wire: Wire) -> None:
    status, _ = await wire.slack.event(app_home_opened("W0NOPE"))
    assert [c.error for c in wire.slack.api.calls_to("views.publish")] == ["invalid_arguments"]
    warned = [r.getMessage() for r in wire.recorder.records if r.levelno == logging.WARNING]
    assert any("no private reply to Slack user 'W0NOPE'" in w for w in warned), warned
    await check(wire, status)


UNROUTABLE: list[JSON] = [
    {"type": "block_actions", "user": {"id": "UANA"}, "actions": [{"value": "1"}]},
    {"type": "block_actions", "user": {"id": "UANA"}, "actions": ["join"]},
    {"type": "block_actions", "user": {"id": "UANA"}, "actions": [{"action_id": True}]},
    {"type": "block_actions", "user": {"id": "UANA"}, "actions": "join"},
    {"type": "view_submission", "user": {"id": "UANA"}, "view": {"callback_id": "resolve"}},
    {"type": "view_submission", "user": {"id": "UANA"}, "view": "callback_id"},
]


@pytest.mark.parametrize("payload", UNROUTABLE)
async def test_events_routable_tells_the_payloads_bolt_cannot_route(payload: JSON) -> None:
    from adapters.slack.events import routable

    assert not routable(payload)


@pytest.mark.parametrize("payload", UNROUTABLE)
async def test_an_unroutable_interaction_is_a_400(wire: Wire, payload: JSON) -> None:
    status = await wire.send_payload(payload)
    wire.recorder.records.clear()  # bolt logs its failure; the status is the point here
    assert status == 400
    await no_half_writes(wire.slack)


HUGE = "99999999999999999999"  # past SQLite's 64-bit INTEGER (OverflowError) and PostgreSQL's int4 (DataError)


@pytest.mark.parametrize("how", ["command", "button"])
async def test_a_swarm_number_too_big_for_the_database_is_unknown(wire: Wire, how: str) -> None:
    if how == "command":
        status, _ = await wire.slack.command(f"/swarm join {HUGE}", user="fay")
    else:
        status, _ = await wire.slack.click("join", HUGE, "fay", SUPPORT, wire.announcement)
    await check(wire, status)
