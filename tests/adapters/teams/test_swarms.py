"""A swarm in Teams from start to finish: opened by an @mention in a channel, joined by 👍 and by the Join button,
talked in, resolved by an @mention in the thread or by the prefilled form."""

from __future__ import annotations

from typing import Any

from storage.database import SqlStore
from tests.adapters.teams.conftest import CHANNELS, TENANT, TeamsScenario, aad, start_teams, teams_id
from tests.fakes.teams_connector import Posted, mention_entities, readable

# Dana is the roster's only tax expert; nobody is learning tax, so everyone else is free to join.
CASE = "ACME tax totals round wrong #tax sev2"


def mentioned(posted: Posted | dict[str, Any]) -> dict[str, str]:
    """Who a message mentions: AAD object id → name, checking each entity's <at> text is in the message."""
    activity = posted.activity if isinstance(posted, Posted) else posted
    found = {}
    for entity in mention_entities(activity):
        assert entity["text"] == f"<at>{entity['mentioned']['name']}</at>"
        assert entity["text"] in readable(activity)
        found[entity["mentioned"]["id"]] = entity["mentioned"]["name"]
    return found


async def opened(teams: TeamsScenario) -> str:
    """Ana opens swarm 1 from #support; returns the conversation she asked in (her post's thread)."""
    asked = await teams.message(CASE, user="ana")
    return f"{CHANNELS['support']};messageid={asked}"


async def test_an_at_mention_opens_a_swarm_in_a_new_thread_with_the_case_card(teams: TeamsScenario) -> None:
    asked = await opened(teams)

    (created,) = teams.fake.calls_to("create_conversation")
    assert created.body["isGroup"] is True
    assert created.body["channelData"]["channel"]["id"] == CHANNELS["support"]
    assert created.body["tenantID"] == TENANT
    room = teams.room(1)
    assert room.startswith(CHANNELS["support"] + ";messageid=")

    # The thread opens with the case card: the placeholder it was started with is replaced by it.
    root = teams.fake.messages[teams.root(1)]
    assert len(root.versions) == 2
    card = root.card
    assert card is not None and card["version"] == "1.4"
    assert card["body"][0]["text"] == "Swarm 1: ACME tax totals round wrong"
    text = root.text
    assert "**Owner:** <at>Ana Ruiz</at>" in text
    assert "**Severity:** sev2" in text
    assert "Asked: <at>Dana Cohen</at> (" in text and "tax 5/5" in text
    in_card = mentioned(root)
    assert {aad("ana"): "Ana Ruiz", aad("dana"): "Dana Cohen"}.items() <= in_card.items()
    buttons = [(b["title"], b["data"]) for b in root.buttons()]
    assert ("Join", {"swarm": {"kind": "action", "action": "join", "value": "1"}}) in buttons
    assert ("Resolve", {"swarm": {"kind": "action", "action": "resolve", "value": "1"}}) in buttons

    # The answer where it was asked is the announcement.
    (announcement,) = teams.fake.posts(asked)
    assert announcement.id == teams.announcement(1)
    assert "**Swarm 1** is open for <at>Ana Ruiz</at>: ACME tax totals round wrong" in announcement.text
    assert "react 👍 to join" in announcement.text
    assert [b["title"] for b in announcement.buttons()] == ["Join"]

    # Teams has no channel invites: the people are mentioned in the thread, so Teams notifies them.
    (welcome,) = [p for p in teams.fake.posts(room) if p.id != root.id]
    assert {aad("ana"), aad("dana")} <= set(mentioned(welcome)) <= set(in_card)

    await teams.message("status 1", user="ana", channel="personal")
    assert "**Status:** open" in teams.last_told("ana")


async def test_rooms_start_in_the_configured_swarm_channel(store: SqlStore) -> None:
    async with start_teams(store, SWARM_TEAMS_CHANNEL=CHANNELS["swarms"]) as teams:
        asked = await opened(teams)
        (created,) = teams.fake.calls_to("create_conversation")
        assert created.body["channelData"]["channel"]["id"] == CHANNELS["swarms"]
        assert teams.room(1).startswith(CHANNELS["swarms"] + ";messageid=")
        assert [p.id for p in teams.fake.posts(asked)] == [teams.announcement(1)]


async def test_a_like_on_the_announcement_joins_and_taking_it_back_leaves(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    # Fay is in the roster by e-mail only; Teams tells her address, and the roster keeps her Teams id.
    await teams.react(teams.announcement(1), user="fay")
    joined = teams.fake.posts(room)[-1]
    assert joined.text == "<at>Fay Singh</at> joined swarm 1 as helper."
    assert mentioned(joined) == {aad("fay"): "Fay Singh"}
    assert [c.activity_id for c in teams.fake.calls_to("member")] == [teams_id("fay")]
    assert (await teams.app.core.people.find(TENANT, "fay@example.com")).teams_id == aad("fay")

    await teams.react(teams.announcement(1), user="fay", added=False)
    assert teams.fake.posts(room)[-1].text == "<at>Fay Singh</at> left swarm 1."


async def test_a_like_on_the_room_card_joins_too(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    await teams.react(teams.root(1), user="eli")
    assert teams.fake.posts(room)[-1].text == "<at>Eli Brown</at> joined swarm 1 as helper."
    await teams.react(teams.root(1), user="eli", added=False)
    assert teams.fake.posts(room)[-1].text == "<at>Eli Brown</at> left swarm 1."
    # Other reactions mean nothing.
    before = len(teams.fake.calls)
    await teams.react(teams.root(1), user="eli", reaction="laugh")
    assert len(teams.fake.calls) == before


async def test_a_heart_follows_as_observer(teams: TeamsScenario) -> None:
    await opened(teams)
    await teams.react(teams.announcement(1), user="eli", reaction="heart")
    assert teams.fake.posts(teams.room(1))[-1].text == "<at>Eli Brown</at> joined swarm 1 as observer."


async def test_the_join_button_joins_once(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    await teams.click(teams.announcement(1), "Join", user="eli")
    assert teams.fake.posts(room)[-1].text == "<at>Eli Brown</at> joined swarm 1 as helper."
    await teams.click(teams.root(1), "Join", user="eli")
    assert "You are already in swarm 1" in teams.last_told("eli")
    await teams.click(teams.root(1), "Join", user="fay")
    assert teams.fake.posts(room)[-1].text == "<at>Fay Singh</at> joined swarm 1 as helper."


async def test_thread_messages_become_the_timeline_and_other_threads_are_ignored(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    await teams.message("Which template do they use?", user="chen", thread=room, mention=False)
    await teams.message("The default one; re-exporting fails the same way", user="ana", thread=room, mention=False)
    before = len(teams.fake.calls)
    await teams.message("lunch anyone?", user="zoe", mention=False)
    assert len(teams.fake.calls) == before
    assert all(p.email != "zoe@example.com" for p in await teams.app.core.people.roster(TENANT))

    await teams.message("status", user="ana", thread=room)
    status = teams.last_told("ana")
    assert "2 messages" in status
    assert "<at>Dana Cohen</at>" in status


async def test_invite_by_mention_in_the_thread(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    await teams.message("invite @eli", user="ana", thread=room)
    invited = teams.fake.posts(room)[-1]
    assert invited.text == "<at>Ana Ruiz</at> invited <at>Eli Brown</at> to swarm 1."
    assert mentioned(invited) == {aad("ana"): "Ana Ruiz", aad("eli"): "Eli Brown"}


async def test_resolve_in_the_thread_closes_the_swarm_everywhere(teams: TeamsScenario) -> None:
    asked = await opened(teams)
    room = teams.room(1)
    await teams.message("The 4.2 rounding mode is half-even", user="dana", thread=room, mention=False)
    await teams.message("resolve set rounding to half-up cause: 4.2 default changed", user="ana", thread=room)

    summary = teams.fake.posts(room)[-1].text
    assert summary.startswith("✅ Swarm 1 is resolved after 0m (owner <at>Ana Ruiz</at>).")
    assert "Fix: set rounding to half-up" in summary
    assert "Saved as article 1" in summary
    under_announcement = teams.fake.calls_to("reply", ok=True)
    assert [(c.conversation, c.activity_id) for c in under_announcement] == [(asked, teams.announcement(1))]
    assert readable(under_announcement[0].body) == summary

    announcement = teams.fake.messages[teams.announcement(1)]
    assert "**Swarm 1** (resolved) for <at>Ana Ruiz</at>" in announcement.text
    assert announcement.buttons() == []
    # The room's card is its rolling summary: edited in place to the end, closed without buttons.
    card = teams.fake.messages[teams.root(1)]
    assert "**Status:** resolved" in card.text
    assert "Asked" not in card.text
    assert "Fix: set rounding to half-up" in card.text
    assert card.buttons() == []
    mentioned(card)

    await teams.message("kb 1", user="fay", channel="personal")
    assert "**Resolution:** set rounding to half-up" in teams.last_told("fay")


async def test_the_resolve_button_opens_the_prefilled_form_and_submitting_resolves(teams: TeamsScenario) -> None:
    asked = await opened(teams)
    room = teams.room(1)
    await teams.click(teams.root(1), "Resolve", user="ana")

    (form,) = teams.forms("ana")
    assert form.card is not None and form.card["body"][0]["text"] == "Resolve swarm 1"
    inputs = {e["id"]: e for e in form.inputs()}
    assert list(inputs) == ["f.issue", "f.environment", "f.resolution", "f.cause"]
    assert inputs["f.issue"]["value"] == "ACME tax totals round wrong"
    assert inputs["f.environment"]["value"] == "Severity: sev2"
    assert inputs["f.resolution"]["isRequired"] is True
    assert inputs["f.cause"]["isRequired"] is False

    await teams.submit(form.id, user="ana", resolution="Set rounding to half-up", cause="4.2 default changed")
    assert teams.fake.posts(room)[-1].text.startswith("✅ Swarm 1 is resolved")
    assert [c.conversation for c in teams.fake.calls_to("reply", ok=True)] == [asked]
    card = teams.fake.messages[teams.root(1)]
    assert "**Status:** resolved" in card.text and card.buttons() == []
    closed = teams.fake.messages[form.id]
    assert closed.inputs() == [] and closed.buttons() == []
    assert "Submitted." in closed.text

    await teams.message("kb 1", user="ana", channel="personal")
    article = teams.last_told("ana")
    assert "**Resolution:** Set rounding to half-up" in article
    assert "**Cause:** 4.2 default changed" in article


async def test_the_resolve_button_is_for_members_only(teams: TeamsScenario) -> None:
    await opened(teams)
    await teams.click(teams.root(1), "Resolve", user="fay")
    # Refused in Teams as everywhere: privately, naming the owner.
    assert "Only its owner, Ana Ruiz, or a lead or admin" in teams.last_told("fay")
    assert "can resolve swarm 1" in teams.last_told("fay")
    assert teams.forms("fay") == []


async def test_joining_in_teams_does_not_let_a_stranger_cancel(teams: TeamsScenario) -> None:
    await opened(teams)
    room = teams.room(1)
    await teams.message("join 1", user="fay")
    await teams.message("cancel not a real issue", user="fay", thread=room)
    assert "Only its owner, Ana Ruiz, or a lead or admin" in teams.last_told("fay")
    assert not any("cancelled" in said for said in teams.said(room))


async def test_someone_the_roster_knows_only_by_email_is_found_in_teams_when_asked(teams: TeamsScenario) -> None:
    # Fay is the support expert besides Ana, who asks; her roster entry has no Teams id yet.
    await teams.message("Customer portal login loops #support sev2", user="ana")
    assert teams.fake.calls_to("member")[0].activity_id == "fay@example.com"
    card = teams.fake.messages[teams.root(1)]
    assert mentioned(card)[aad("fay")] == "Fay Singh"
    assert (await teams.app.core.people.find(TENANT, "fay@example.com")).teams_id == aad("fay")


async def test_replying_in_the_swarms_thread_is_taking_part(teams: TeamsScenario) -> None:
    # In Teams the room is the swarm's thread: whoever replies there is in the swarm, as a helper.
    await opened(teams)
    room = teams.room(1)
    await teams.message("Which template do they use?", user="chen", thread=room, mention=False)
    await teams.message("status", user="ana", thread=room)
    assert "**Helpers:** <at>Chen Wei</at>" in teams.last_told("ana")


async def test_a_card_action_without_the_aad_object_id_is_the_person_teams_knows(teams: TeamsScenario) -> None:
    """Teams leaves `aadObjectId` out of some card actions: the connector says who the Teams id is."""
    await opened(teams)
    await teams.click(teams.announcement(1), "Join", user="eli", aad_object_id=False)
    assert teams.fake.posts(teams.room(1))[-1].text == "<at>Eli Brown</at> joined swarm 1 as helper."
    assert not await teams.app.core.people.knows(TENANT, "teams", teams_id("eli"))
    # Asked once, then remembered.
    asked = len(teams.fake.calls_to("member"))
    await teams.click(teams.root(1), "Join", user="eli", aad_object_id=False)
    assert "You are already in swarm 1" in teams.last_told("eli")
    assert len(teams.fake.calls_to("member")) == asked
