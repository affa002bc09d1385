"""Every other subcommand, said to the bot in the personal chat (no @mention) or in a channel (@mention): the answer
goes to the person's personal chat, or, where Teams will not open one, to where they asked, @mentioning them."""

from __future__ import annotations

import pytest

from adapters.teams.mount import NO_CHANNEL
from handlers.subcommands import opens_swarm
from storage.database import SqlStore
from tests.adapters.teams.conftest import CHANNELS, TENANT, TeamsScenario, aad, start_teams, teams_id
from tests.fakes.teams_connector import FakeConnector, mention_entities
from tests.handlers.test_subcommands import OPENS


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("help", "**Swarm** pulls the right people into a room"),
        ("/swarm help", "React 👍 on an announcement to join, ❤️ to follow"),
        ("swarm list", "No swarms are open"),
        ("experts ACME export fails #billing", "I would ask:"),
        ("kb pdf export", "No article matches “pdf export”"),
        ("skills", "Your profile"),
        ("skills add sso:4", "Saved. Your skills: sso 4/5"),
        ("learn kubernetes", "Noted: you want to learn kubernetes."),
        ("away 2h", "I won't ask you to swarm until then"),
        ("back", "Welcome back"),
        ("stats", "Swarming in the last 30 days"),
        ("status 7", "There is no swarm 7 here."),
        ("frobnicate", "Open a swarm for the case “frobnicate”?"),
    ],
)
async def test_subcommands_in_the_personal_chat(teams: TeamsScenario, said: str, answer: str) -> None:
    await teams.message(said, user="ana", channel="personal")
    assert answer in teams.last_told("ana")
    assert teams.fake.calls_to("create_conversation") == []


async def test_subcommands_in_a_channel_answer_in_the_personal_chat(teams: TeamsScenario) -> None:
    await teams.message("stats", user="ana")
    await teams.message("list", user="ana")
    assert "Swarming in the last 30 days" in teams.told("ana")[0]
    assert "No swarms are open" in teams.told("ana")[1]
    # One 1:1 chat, opened once with the person's Teams id, then reused.
    (opened,) = teams.fake.calls_to("create_conversation")
    assert opened.body["isGroup"] is False
    assert opened.body["members"] == [{"id": teams_id("ana")}]
    assert teams.fake.posts(f"{CHANNELS['support']};messageid=") == []


async def test_a_channel_message_without_the_mention_is_not_a_command(teams: TeamsScenario) -> None:
    await teams.message("stats", user="ana", mention=False)
    assert teams.fake.calls == []


async def test_where_teams_will_not_open_a_personal_chat_the_answer_mentions_the_person(store: SqlStore) -> None:
    async with start_teams(store) as teams:
        teams.fake.members[teams_id("dana")].personal = False
        asked = await teams.message("stats", user="dana")
        conversation = f"{CHANNELS['support']};messageid={asked}"
        (answer,) = teams.fake.posts(conversation)
        assert answer.text.startswith("<at>Dana Cohen</at> Swarming in the last 30 days")
        assert [e["mentioned"]["id"] for e in mention_entities(answer.activity)] == [aad("dana")]
        assert teams.fake.calls_to("create_conversation", ok=False)
        # Teams said no; it is not asked again for every answer.
        await teams.message("list", user="dana", thread=conversation)
        assert len(teams.fake.calls_to("create_conversation")) == 1
        assert "No swarms are open" in teams.fake.posts(conversation)[-1].text


async def test_opening_from_the_personal_chat_needs_a_team_channel(teams: TeamsScenario) -> None:
    await teams.message("ACME tax totals round wrong #tax", user="ana", channel="personal")
    assert teams.last_told("ana") == NO_CHANNEL
    assert teams.fake.calls_to("create_conversation") == []
    await teams.message("list", user="ana", channel="personal")
    assert "No swarms are open" in teams.last_told("ana")


@pytest.mark.parametrize(("text", "opens"), OPENS)
async def test_teams_and_slash_swarm_agree_on_what_opens_a_swarm(teams: TeamsScenario, text: str, opens: bool) -> None:
    """The personal chat has no channel for a room: what opens a swarm there is told so, whatever else is run."""
    assert opens_swarm(text) is opens
    await teams.message(text, user="ana", channel="personal")
    assert (teams.last_told("ana") == NO_CHANNEL) is opens


async def test_opening_from_the_personal_chat_with_a_swarm_channel(store: SqlStore) -> None:
    async with start_teams(store, SWARM_TEAMS_CHANNEL=CHANNELS["swarms"]) as teams:
        await teams.message("ACME tax totals round wrong #tax", user="ana", channel="personal")
        assert teams.room(1).startswith(CHANNELS["swarms"])
        assert "**Swarm 1** is open for <at>Ana Ruiz</at>" in teams.last_told("ana")


async def test_the_open_form_opens_a_swarm_where_it_was_asked(teams: TeamsScenario) -> None:
    asked = await teams.message("", user="ana")
    (form,) = teams.forms("ana")
    assert [e["id"] for e in form.inputs()] == [
        "f.case",
        "f.customer",
        "f.product",
        "f.version",
        "f.severity",
        "f.skills",
    ]
    severity = next(e for e in form.inputs() if e["id"] == "f.severity")
    assert severity["type"] == "Input.ChoiceSet" and severity["value"] == "sev3"
    await teams.submit(form.id, user="ana", case="Tax totals round wrong", severity="sev2", skills="tax")
    assert teams.room(1).startswith(CHANNELS["support"])
    conversation = f"{CHANNELS['support']};messageid={asked}"
    assert [p.id for p in teams.fake.posts(conversation)] == [teams.announcement(1)]
    assert "sev2 · #tax" in teams.fake.messages[teams.announcement(1)].text


async def test_what_people_typed_cannot_mention_or_link_in_a_card(teams: TeamsScenario) -> None:
    await teams.message("Export fails <at>Eve</at> see [docs](http://evil.example) & <b>now</b> #tax", user="ana")
    card = teams.fake.messages[teams.root(1)]
    title = card.card["body"][0]["text"] if card.card else ""
    zw = "\u200b"
    assert (
        title == f"Swarm 1: Export fails <{zw}at>Eve<{zw}/at> see [docs]{zw}(http://evil.example) & <{zw}b>now<{zw}/b>"
    )
    names = {e["mentioned"]["name"] for e in mention_entities(card.activity)}
    assert "Eve" not in names and {"Ana Ruiz", "Dana Cohen"} <= names
    # A text message keeps Teams' HTML escapes.
    await teams.message("kb <zzz>", user="ana", channel="personal")
    told = teams.last_told("ana")
    assert "“&lt;zzz&gt;”" in told and "<zzz>" not in told


async def test_people_are_matched_by_aad_object_id_or_by_email(teams: TeamsScenario) -> None:
    await teams.message("skills add billing:2", user="fay", channel="personal")
    fay = await teams.app.core.people.find(TENANT, "fay@example.com")
    assert fay.teams_id == aad("fay") and fay.skills == {"support": 3, "billing": 2}
    # Ana is known by her AAD object id: Teams is not asked who she is.
    await teams.message("skills", user="ana", channel="personal")
    assert [c.activity_id for c in teams.fake.calls_to("member")] == [teams_id("fay")]
    # Someone the roster lacks gets a roster entry with the name and e-mail Teams gives.
    await teams.message("skills", user="zoe", channel="personal")
    zoe = await teams.app.core.people.find(TENANT, "zoe@example.com")
    assert (zoe.name, zoe.teams_id) == ("Zoe Kim", aad("zoe"))


async def test_the_home_card_opens_when_the_bot_is_added_and_its_buttons_work(teams: TeamsScenario) -> None:
    chat = teams.fake.personal_chat(teams_id("ana"))
    added = teams.activity(
        "conversationUpdate",
        "ana",
        chat,
        teams.fake.new_id(),
        membersAdded=[{"id": "28:swarm-bot"}],
    )
    assert (await teams.send(added))[0] == 202
    (home,) = teams.fake.posts(chat)
    assert home.card is not None and home.card["body"][0]["text"] == "Swarm"
    assert [b["title"] for b in home.buttons()] == ["Edit my skills", "Away until tomorrow", "I'm back"]
    await teams.click(home.id, "Away until tomorrow", user="ana")
    assert "I won't ask you to swarm until then" in teams.told("ana")[-1]
    # The home card is brought up to date where it is, not posted again.
    assert "away until" in teams.fake.messages[home.id].text
    assert len([p for p in teams.fake.posts(chat) if p.buttons()]) == 1


async def test_unknown_people_in_a_mention_are_not_found(teams: TeamsScenario) -> None:
    await teams.message("ACME tax totals round wrong #tax", user="ana")
    room = teams.room(1)
    await teams.message("invite @zoe", user="ana", thread=room)
    assert "I can't find" in teams.last_told("ana")


async def test_the_connector_in_use_is_the_one_of_the_activity(store: SqlStore) -> None:
    """Two tenants, two fakes: each answer goes to the serviceUrl its activity came from."""
    async with FakeConnector("tenant-1") as other, start_teams(store) as teams:
        other.add_member(teams_id("ana"), aad("ana"), "Ana Ruiz", "ana@example.com")
        activity = teams.activity("message", "ana", "a:dm-29:ana", teams.fake.new_id(), text="stats")
        activity["serviceUrl"] = other.url
        await teams.send(activity)
        assert teams.fake.calls == []
        assert [c.route for c in other.calls] == ["send"]


async def test_a_mistyped_subcommand_asks_on_a_card_whose_buttons_work(teams: TeamsScenario) -> None:
    await teams.message("ACME tax totals round wrong #tax", user="ana")
    await teams.message("stauts 1", user="ana")
    assert teams.last_told("ana").startswith("Did you mean `/swarm status 1`?")
    chat = teams.fake.personal_chat(teams_id("ana"))
    question = teams.fake.posts(chat)[-1]
    assert [b["title"] for b in question.buttons()] == ["Run it", "Open a swarm"]

    await teams.click(question.id, "Run it", user="ana")
    assert teams.last_told("ana").startswith("Swarm 1: ACME tax totals round wrong\n**Status:** open")
    await teams.click(question.id, "Open a swarm", user="ana")
    assert teams.room(2)


async def test_open_anyway_in_the_personal_chat_needs_a_team_channel(teams: TeamsScenario) -> None:
    await teams.message("stauts 1", user="ana", channel="personal")
    question = teams.fake.posts(teams.fake.personal_chat(teams_id("ana")))[-1]
    await teams.click(question.id, "Open a swarm", user="ana")
    assert teams.last_told("ana") == NO_CHANNEL
