"""Teams activities as neutral events (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams import activities
from adapters.teams.activities import Known, Malformed
from handlers.chat import ActionEvent, CommandEvent, FormEvent, HomeEvent, MessageEvent, Origin, ReactionEvent

BOT = "28:swarm-bot"
THREAD = "19:support@thread.tacv2;messageid=100"


def activity(kind: str = "message", conversation: str = THREAD, personal: bool = False, **extra: Any) -> dict[str, Any]:
    channel_data: dict[str, Any] = {"tenant": {"id": "tenant-1"}}
    if not personal:
        channel_data["channel"] = {"id": conversation.split(";")[0]}
    return {
        "type": kind,
        "id": "101",
        "serviceUrl": "https://smba.example.net/emea/",
        "channelId": "msteams",
        "from": {"id": "29:ana", "name": "Ana Ruiz", "aadObjectId": "aad-ana"},
        "conversation": {
            "id": conversation,
            "conversationType": "personal" if personal else "channel",
            "tenantId": "tenant-1",
        },
        "recipient": {"id": BOT, "name": "Swarm"},
        "channelData": channel_data,
        **extra,
    }


def bot_mention() -> dict[str, Any]:
    return {"type": "mention", "text": "<at>Swarm</at>", "mentioned": {"id": BOT, "name": "Swarm"}}


def events(raw: dict[str, Any], known: Known | None = None) -> list[Any]:
    return activities.events(raw, activities.basics(raw), known or Known(), "raising_hand", "eyes")


ORIGIN = Origin("tenant-1", "teams", "aad-ana", THREAD, "Ana Ruiz", "ana@example.com")


def test_a_mention_of_the_bot_is_a_command_without_the_mention_or_swarm_in_front() -> None:
    for text in ("<at>Swarm</at> kb pdf", "<at>Swarm</at> /swarm kb pdf", "<at>Swarm</at>&nbsp;swarm: kb pdf"):
        raw = activity(text=text, entities=[bot_mention()])
        assert events(raw, Known(email="ana@example.com")) == [CommandEvent(ORIGIN, "kb pdf", event_id="101")]


def test_what_people_typed_comes_unescaped_and_other_mentions_become_platform_mentions() -> None:
    raw = activity(
        text="<at>Swarm</at> invite <at>Fay Singh</at> and <at>Zoe</at> &lt;asap&gt; <p>now</p>",
        entities=[
            bot_mention(),
            {"type": "mention", "text": "<at>Fay Singh</at>", "mentioned": {"id": "29:fay", "name": "Fay Singh"}},
            {"type": "mention", "text": "<at>Zoe</at>", "mentioned": {"id": "29:zoe", "name": "Zoe"}},
        ],
    )
    (event,) = events(raw, Known(people={"29:fay": "aad-fay"}))
    assert event.text == "invite <@aad-fay> and Zoe <asap> now"
    assert activities.mentioned_people(raw, BOT) == ["29:fay", "29:zoe"]


def test_in_the_personal_chat_every_message_is_a_command() -> None:
    raw = activity(conversation="a:dm-ana", personal=True, text="list")
    (event,) = events(raw)
    assert isinstance(event, CommandEvent) and event.text == "list" and event.origin.channel == "a:dm-ana"


def test_a_thread_message_without_the_mention_is_a_room_message_only_in_a_room() -> None:
    raw = activity(text="Tried the default template<br>same error")
    assert events(raw) == []
    (event,) = events(raw, Known(in_room=True))
    assert event == MessageEvent(
        Origin("tenant-1", "teams", "aad-ana", THREAD, "Ana Ruiz"),
        "101",
        "Tried the default template\nsame error",
        event_id="101",
    )


def test_likes_and_hearts_are_the_join_and_observe_emoji_on_the_message_they_answer() -> None:
    raw = activity(
        "messageReaction",
        replyToId="200",
        reactionsAdded=[{"type": "like"}, {"type": "laugh"}],
        reactionsRemoved=[{"type": "heart"}],
    )
    origin = Origin("tenant-1", "teams", "aad-ana", THREAD, "Ana Ruiz")
    assert events(raw) == [
        ReactionEvent(origin, "200", "raising_hand", True, "101"),
        ReactionEvent(origin, "200", "eyes", False, "101:1"),
    ]
    (on_card,) = events(
        activity("messageReaction", replyToId="300", reactionsAdded=[{"type": "like"}]), Known(reaction_target="200")
    )
    assert on_card.message_id == "200"


def test_button_presses_and_forms_come_back_from_the_card_data() -> None:
    pressed = activity(replyToId="200", value={"swarm": {"kind": "action", "action": "join", "value": "1"}})
    assert events(pressed) == [
        ActionEvent(Origin("tenant-1", "teams", "aad-ana", THREAD, "Ana Ruiz"), "join", "1", "200", "101")
    ]
    submitted = activity(
        replyToId="200",
        value={"swarm": {"kind": "form", "action": "resolve", "value": "1"}, "f.resolution": "restart"},
    )
    (form,) = events(submitted)
    assert isinstance(form, FormEvent) and form.values == {"resolution": "restart"}
    invoke = activity(
        "invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "data": {"swarm": {"kind": "action", "action": "join", "value": "1"}}}
        },
    )
    assert [type(e) for e in events(invoke)] == [ActionEvent]
    assert events(activity(value={"something": "else"})) == []
    assert events(activity("invoke", name="signin/verifyState", value={})) == []


def test_the_bot_added_to_a_personal_chat_opens_the_home() -> None:
    raw = activity("conversationUpdate", conversation="a:dm-ana", personal=True, membersAdded=[{"id": BOT}])
    assert [type(e) for e in events(raw)] == [HomeEvent]
    assert events(activity("conversationUpdate", membersAdded=[{"id": BOT}])) == []


def test_who_and_where() -> None:
    facts = activities.basics(activity(conversation="19:support@thread.tacv2;messageid=100"))
    assert (facts.tenant, facts.channel, facts.person, facts.user, facts.personal) == (
        "tenant-1",
        "19:support@thread.tacv2",
        "aad-ana",
        "29:ana",
        False,
    )
    raw = activity(personal=True, conversation="a:dm-ana")
    del raw["channelData"]
    assert activities.basics(raw).tenant == "tenant-1"


@pytest.mark.parametrize("missing", ["conversation", "from", "serviceUrl", "type"])
def test_an_activity_without_the_essentials_is_malformed(missing: str) -> None:
    raw = activity(text="hi")
    del raw[missing]
    with pytest.raises(Malformed):
        activities.basics(raw)


def test_the_bots_own_messages_are_not_events() -> None:
    raw = activity(text="<at>Swarm</at> help", entities=[bot_mention()])
    raw["from"] = {"id": BOT, "name": "Swarm"}
    assert events(raw, Known(in_room=True)) == []


def test_a_like_on_a_room_card_before_its_announcement_is_a_join() -> None:
    raw = activity("messageReaction", replyToId="300", reactionsAdded=[{"type": "like"}, {"type": "heart"}])
    (event,) = events(raw, Known(card_of=1))
    assert isinstance(event, ActionEvent) and (event.action, event.value, event.message_id) == ("join", "1", "300")
    removed = activity("messageReaction", replyToId="300", reactionsRemoved=[{"type": "like"}])
    assert events(removed, Known(card_of=1)) == []
