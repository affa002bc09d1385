"""What reaches /api/messages besides a good activity: malformed bodies, repeated deliveries; and what happens when
the connector throttles or fails. Nothing is done twice, nothing a person typed is lost."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from handlers.chat import Reply
from tests.adapters.teams.conftest import CHANNELS, TENANT, TeamsScenario, aad, teams_id

CASE = "ACME tax totals round wrong #tax sev2"


async def nothing_happened(teams: TeamsScenario) -> None:
    assert teams.fake.calls == []
    assert (await teams.app.core.swarms.stats(TENANT)).total == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        json.dumps({"text": "no type"}).encode(),
        json.dumps({"type": "", "text": "empty type"}).encode(),
    ],
)
async def test_a_body_that_is_no_activity_is_a_bad_request(teams: TeamsScenario, body: bytes) -> None:
    status, _ = await teams.send(None, raw=body)
    assert status == 400
    await nothing_happened(teams)


@pytest.mark.parametrize("missing", ["conversation", "from", "serviceUrl"])
async def test_an_activity_without_where_or_who_is_a_bad_request(teams: TeamsScenario, missing: str) -> None:
    activity = teams.activity("message", "ana", "a:dm-29:ana", "1", text="stats")
    del activity[missing]
    status, _ = await teams.send(activity)
    assert status == 400
    await nothing_happened(teams)


async def test_an_activity_whose_fields_have_the_wrong_shape_is_a_bad_request(teams: TeamsScenario) -> None:
    activity = teams.activity("message", "ana", "a:dm-29:ana", "1", text="stats")
    activity["conversation"] = "a:dm-29:ana"
    status, _ = await teams.send(activity)
    assert status == 400
    await nothing_happened(teams)


async def test_activities_swarm_does_not_handle_are_acknowledged(teams: TeamsScenario) -> None:
    typing = teams.activity("typing", "ana", "a:dm-29:ana", "1")
    assert (await teams.send(typing))[0] == 200
    await nothing_happened(teams)


async def test_a_redelivered_command_opens_one_swarm(teams: TeamsScenario) -> None:
    asked = await teams.message(CASE, user="ana")
    again = await teams.message(CASE, user="ana", activity_id=asked, thread=f"{CHANNELS['support']};messageid={asked}")
    assert again == asked
    assert len(teams.fake.calls_to("create_conversation")) == 1
    assert (await teams.app.core.swarms.stats(TENANT)).total == 1


async def test_a_redelivered_reaction_or_click_has_one_effect(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    room = teams.room(1)
    await teams.react(teams.announcement(1), user="fay", activity_id="reaction-1")
    await teams.react(teams.announcement(1), user="fay", activity_id="reaction-1")
    await teams.click(teams.root(1), "Join", user="eli", activity_id="click-1")
    await teams.click(teams.root(1), "Join", user="eli", activity_id="click-1")
    said = teams.said(room)
    assert said.count("<at>Fay Singh</at> joined swarm 1 as helper.") == 1
    assert said.count("<at>Eli Brown</at> joined swarm 1 as helper.") == 1
    # One welcome (Eli's first swarm), no "you are already in it" for the redelivered click.
    assert [t.splitlines()[0] for t in teams.told("eli")] == ["Welcome to your first swarm, swarm 1!"]


async def test_a_redelivered_form_resolves_once(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    await teams.click(teams.root(1), "Resolve", user="ana")
    (form,) = teams.forms("ana")
    submitted = teams.submission(form.id, user="ana", resolution="restarted the worker")
    assert (await teams.send(submitted))[0] == 202
    assert (await teams.send(submitted))[0] == 202
    assert len([t for t in teams.said(teams.room(1)) if "is resolved" in t]) == 1
    assert (await teams.app.core.swarms.stats(TENANT)).resolved == 1


async def test_throttling_is_retried_after_what_retry_after_asks(teams: TeamsScenario) -> None:
    teams.fake.fail("send", times=2, status=429, retry_after=3)
    teams.fake.fail("update", times=1, status=412)
    teams.fake.fail("create_conversation", times=1, status=502)
    await teams.message(CASE, user="ana")
    assert [c.status for c in teams.fake.calls_to("create_conversation")] == [502, 201]
    assert [c.status for c in teams.fake.calls_to("update")] == [412, 200]
    assert [c.status for c in teams.fake.calls_to("send")][:3] == [429, 429, 201]
    assert teams.announcement(1)
    assert [s for s in teams.slept if s >= 3] == [3, 3]
    assert len(teams.slept) == 4


async def test_when_the_connector_stays_down_the_person_is_told_and_nothing_typed_is_lost(
    teams: TeamsScenario,
) -> None:
    teams.fake.fail("create_conversation", times=5, status=504)
    await teams.message(CASE, user="ana", channel="personal")
    # Asked in the personal chat: no team channel, so nothing was tried; ask in the channel instead.
    teams.fake.calls.clear()
    await teams.message(CASE, user="ana")
    rooms = [c for c in teams.fake.calls_to("create_conversation") if c.body["isGroup"]]
    assert [c.status for c in rooms] == [504] * 5
    told = teams.told("ana")
    assert "Swarm 1 is saved, but I couldn't finish setting up its room" in told[-2]
    assert told[-1] == (
        "Sorry, something went wrong on my side. Please try again in a minute.\n"
        "What you typed: `/swarm ACME tax totals round wrong #tax sev2`"
    )
    # Once Teams is back, the opening is finished where it stopped: not while it may still be under way elsewhere.
    assert await teams.mount.resume(TENANT) == 0
    assert await teams.mount.resume(TENANT, settle=timedelta(0)) == 1
    await teams.mount.idle()
    assert teams.room(1).startswith(CHANNELS["support"])
    assert "**Swarm 1** is open" in teams.fake.messages[teams.announcement(1)].text


async def test_a_refused_personal_chat_is_not_retried_but_throttling_is(teams: TeamsScenario) -> None:
    teams.fake.fail("create_conversation", times=1, status=429, retry_after=0)
    await teams.message("stats", user="ana")
    assert [c.status for c in teams.fake.calls_to("create_conversation")] == [429, 201]
    assert "Swarming in the last 30 days" in teams.last_told("ana")


async def test_an_adaptive_card_invoke_is_answered_at_once_and_handled(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    (data,) = [b["data"] for b in teams.fake.messages[teams.root(1)].buttons() if b["title"] == "Join"]
    invoke = teams.activity(
        "invoke",
        "eli",
        teams.room(1),
        teams.fake.new_id(),
        name="adaptiveCard/action",
        replyToId=teams.root(1),
        value={"action": {"type": "Action.Execute", "verb": "join", "data": data}},
    )
    status, body = await teams.send(invoke)
    assert status == 200 and json.loads(body)["statusCode"] == 200
    assert teams.said(teams.room(1))[-1] == "<at>Eli Brown</at> joined swarm 1 as helper."


async def test_proactive_posts_use_the_stored_conversation_reference(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    room = teams.room(1)
    teams.fake.calls.clear()

    chat = await teams.mount.chat_for(TENANT)
    message_id = await chat.post(
        room, Reply("Nobody has answered yet: <@aad-ben>, can you look?", mentions={aad("ben"): "Ben Okafor"})
    )
    await chat.post_private(room, aad("chen"), Reply("A reminder about swarm 1."))
    await chat.flush()
    assert [c.route for c in teams.fake.calls] == ["send", "create_conversation", "send"]
    assert teams.fake.messages[message_id].conversation == room
    assert teams.fake.messages[message_id].text == "Nobody has answered yet: <at>Ben Okafor</at>, can you look?"
    # Chen never wrote to the bot; Teams takes her AAD object id for the 1:1 chat.
    assert teams.fake.calls[1].body["members"] == [{"id": aad("chen")}]
    assert teams.told("chen") == ["A reminder about swarm 1."]


async def test_proactive_use_needs_a_tenant_heard_from(teams: TeamsScenario) -> None:
    chat = await teams.mount.chat_for("tenant-unknown")
    with pytest.raises(LookupError):
        await chat.post("19:x@thread.tacv2", Reply("hello"))


async def test_turns_of_one_conversation_run_in_order(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    announcement = teams.announcement(1)
    # Teams can deliver a like and its removal almost at once; they are handled in the order they came.
    activities = [
        teams.activity(
            "messageReaction",
            "fay",
            teams.fake.messages[announcement].conversation,
            teams.fake.new_id(),
            replyToId=announcement,
            **{key: [{"type": "like"}]},
        )
        for key in ("reactionsAdded", "reactionsRemoved", "reactionsAdded")
    ]
    for activity in activities:
        async with teams.session.post(teams.url + "api/messages", json=activity) as response:
            assert response.status == 202
    await teams.mount.idle()
    said = [t for t in teams.said(teams.room(1)) if t.startswith("<at>Fay")]
    assert said == [
        "<at>Fay Singh</at> joined swarm 1 as helper.",
        "<at>Fay Singh</at> left swarm 1.",
        "<at>Fay Singh</at> joined swarm 1 as helper.",
    ]
    assert teams_id("fay")
