"""Replies and forms as Teams messages (pure): mentions, markup, escaping, the 28 KB limit."""

from __future__ import annotations

from adapters.teams import cards
from handlers.chat import Button, Field, Form, Reply
from tests.fakes.teams_connector import mention_entities, readable


def test_a_one_line_reply_is_a_text_message_with_mention_entities() -> None:
    reply = Reply("<@aad-fay> joined swarm 1 as helper.", mentions={"aad-fay": "Fay Singh"})
    assert cards.message(reply) == {
        "type": "message",
        "textFormat": "markdown",
        "text": "<at>Fay Singh</at> joined swarm 1 as helper.",
        "entities": [
            {"type": "mention", "text": "<at>Fay Singh</at>", "mentioned": {"id": "aad-fay", "name": "Fay Singh"}}
        ],
    }


def test_a_reply_with_structure_is_an_adaptive_card_with_its_mentions_in_msteams_entities() -> None:
    reply = Reply(
        "Swarm 1: export fails",
        title="Swarm 1: export fails",
        fields=(("Owner", "<@aad-ana>"),),
        lines=("Asked: <@aad-ben> (billing 5/5)", "Asked: <@aad-ben> again"),
        buttons=(Button("Join", "join", "1", "primary"), Button("Close", "cancel", "1", "danger")),
        mentions={"aad-ana": "Ana Ruiz", "aad-ben": "Ben Okafor"},
    )
    message = cards.message(reply)
    assert "text" not in message and message["summary"] == "Swarm 1: export fails"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [b["text"] for b in card["body"]] == [
        "Swarm 1: export fails",
        "**Owner:** <at>Ana Ruiz</at>",
        "Asked: <at>Ben Okafor</at> (billing 5/5)",
        "Asked: <at>Ben Okafor</at> again",
    ]
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == ["aad-ana", "aad-ben"]
    assert card["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Join",
            "data": {"swarm": {"kind": "action", "action": "join", "value": "1"}},
            "style": "positive",
        },
        {
            "type": "Action.Submit",
            "title": "Close",
            "data": {"swarm": {"kind": "action", "action": "cancel", "value": "1"}},
            "style": "destructive",
        },
    ]


def test_neutral_markup_becomes_teams_markdown_and_emoji() -> None:
    table = cards.glyphs("raising_hand", "eyes")
    reply = Reply(
        "*Swarm 1* is open: react :raising_hand: to join, :eyes: to follow, :white_check_mark: marks, :custom:"
    )
    assert cards.message(reply, table)["text"] == (
        "**Swarm 1** is open: react 👍 to join, ❤️ to follow, ✅ marks, :custom:"
    )


def test_user_text_is_escaped_for_each_kind_of_message() -> None:
    typed = "a &lt;at&gt;Eve&lt;/at&gt; &amp; [x](http://evil.example) *b*"
    assert cards.message(Reply(f"Case: {typed}"))["text"] == (
        "Case: a &lt;at&gt;Eve&lt;/at&gt; &amp; [x]\u200b(http://evil.example) **b**"
    )
    card = cards.message(Reply(f"Case: {typed}", title="Case"))["attachments"][0]["content"]
    assert card["body"][1]["text"] == "Case: a <\u200bat>Eve<\u200b/at> & [x]\u200b(http://evil.example) **b**"
    assert "entities" not in card["msteams"]


def test_a_name_cannot_break_out_of_its_mention() -> None:
    message = cards.message(Reply("hi <@u1>", mentions={"u1": "Eve </at><at>Boss"}))
    assert message["text"] == "hi <at>Eve /atatBoss</at>"
    assert message["entities"][0]["text"] == "<at>Eve /atatBoss</at>"


def test_an_unknown_mention_is_shown_as_its_id() -> None:
    assert cards.message(Reply("ask <@aad-x>"))["text"] == "ask aad-x"


def test_a_reply_over_the_limit_is_cut_with_a_note_and_stays_valid() -> None:
    lines = tuple(f"<@aad-ben> said: {'x' * 3000} {i}" for i in range(20))
    reply = Reply("Long", title="Long", lines=lines, mentions={"aad-ben": "Ben Okafor"})
    message = cards.message(reply)
    assert cards.size(message) <= cards.LIMIT
    text = readable(message)
    assert cards.CUT_NOTE in text
    for entity in mention_entities(message):
        assert entity["text"] in text
    many = Reply("Many", title="Many", lines=tuple("y" * 110 for _ in range(400)))
    shorter = cards.message(many)
    assert cards.size(shorter) <= cards.LIMIT
    assert "more lines did not fit in a Teams message" in readable(shorter)


def test_cutting_never_splits_a_mention_or_an_entity() -> None:
    assert cards.cut_text("ab <@aad-ben> cd", 6) == "ab …"
    assert cards.cut_text("ab &amp; cd", 5) == "ab …"
    assert cards.cut_text("short", 10) == "short"


def test_a_form_is_a_card_with_inputs_and_a_submit_carrying_its_action() -> None:
    form = Form(
        "resolve",
        "Resolve swarm 1",
        (
            Field("resolution", "Resolution", "restart", multiline=True, hint="What fixed it"),
            Field("cause", "Cause", optional=True),
            Field("severity", "Severity", "sev2", choices=("sev1", "sev2")),
        ),
        submit="Resolve",
        value="1",
    )
    card = cards.form_message(form)["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Resolve swarm 1"
    resolution, cause, severity = card["body"][1:]
    assert resolution == {
        "type": "Input.Text",
        "isMultiline": True,
        "value": "restart",
        "placeholder": "What fixed it",
        "id": "f.resolution",
        "label": "Resolution",
        "isRequired": True,
        "errorMessage": "Resolution is required.",
    }
    assert cause["isRequired"] is False and "errorMessage" not in cause
    assert severity["type"] == "Input.ChoiceSet" and severity["value"] == "sev2"
    (submit,) = card["actions"]
    assert submit["data"] == {"swarm": {"kind": "form", "action": "resolve", "value": "1", "title": "Resolve swarm 1"}}
    value = {**submit["data"], "f.resolution": "restarted the worker", "f.cause": "", "f.severity": "sev1"}
    assert cards.submitted(value) == (
        "form",
        "resolve",
        "1",
        {"resolution": "restarted the worker", "cause": "", "severity": "sev1"},
    )
    assert cards.form_title(value) == "Resolve swarm 1"


def test_a_form_too_long_for_teams_is_cut_and_says_so() -> None:
    form = Form("resolve", "Resolve swarm 1", (Field("resolution", "Resolution", "z" * 60_000),), value="1")
    message = cards.form_message(form)
    assert cards.size(message) <= cards.LIMIT
    assert cards.FORM_CUT_NOTE in readable(message)


def test_values_that_are_not_ours_are_ignored() -> None:
    assert cards.submitted({"action": "join"}) is None
    assert cards.submitted({"swarm": {"kind": "other", "action": "join"}}) is None
    assert cards.submitted({"swarm": {"kind": "action", "action": ""}}) is None
    assert cards.submitted({"swarm": {"kind": "action", "action": "join", "value": None}}) == ("action", "join", "", {})
