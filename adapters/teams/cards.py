"""Replies and forms as Teams messages: pure functions from the neutral Reply / Form to Bot Framework activity JSON.

A reply with a title, fields, lines or buttons, or more than one line, becomes an Adaptive Card 1.4; a one-line
reply becomes a plain text message. Mentions (`<@AAD_ID>` in the neutral markup) become `<at>Name</at>` plus a
`mention` entity: on the activity for text, in the card's `msteams.entities` for cards (Teams reads them there).

Escaping: the handlers hand over user text with `&`, `<`, `>` escaped. Text messages are read by Teams as
Markdown with inline HTML, so they keep those escapes. Cards are Markdown without HTML, where an entity would show
as `&lt;`, so cards carry the plain characters instead and break what Teams would still read as markup in them: a
zero-width space after `<` keeps `<at>…` typed by a user from becoming a mention, and one inside `](` keeps
`[text](url)` from becoming a link.

Teams refuses a message over about 28 KB; `fit` cuts long lines (and then drops lines) with a note saying so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from handlers.chat import Button, Form, Reply

CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
# Teams' limit is about 28 KB for the whole activity; the connector adds a little around what we send.
LIMIT = 26_000
# Every Action.Submit carries its meaning under this key; Teams merges the form inputs next to it.
DATA_KEY = "swarm"
INPUT_PREFIX = "f."

CUT_NOTE = "(Some text was cut to fit in a Teams message.)"
DROPPED_NOTE = "({count} more lines did not fit in a Teams message.)"
FORM_CUT_NOTE = "Some prefilled text was too long for Teams and was cut: check it before you submit."

ZWSP = "\u200b"
MENTION = re.compile(r"<@([^>|]+)(?:\|[^>]*)?>")
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
EMOJI = re.compile(r":([a-z0-9_+\-]+):")
TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
STYLES = {"primary": "positive", "danger": "destructive"}

# What the neutral wording's :emoji: names look like in Teams. The join and observe emoji of the workspace are
# overridden by the reactions Teams can send (see `glyphs`).
GLYPHS = {
    "raising_hand": "🙋",
    "eyes": "👀",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "+1": "👍",
    "thumbsup": "👍",
    "heart": "❤️",
    "warning": "⚠️",
    "x": "❌",
}
# Teams sends these six reaction types for the bot's own posts.
REACTION_GLYPHS = {"like": "👍", "heart": "❤️", "laugh": "😆", "surprised": "😮", "sad": "😢", "angry": "😠"}


def glyphs(
    join_emoji: str, observe_emoji: str, join_reaction: str = "like", observe_reaction: str = "heart"
) -> dict[str, str]:
    """Emoji names as Teams shows them, with the workspace's join/observe emoji drawn as the Teams reactions."""
    table = dict(GLYPHS)
    table[join_emoji] = REACTION_GLYPHS[join_reaction]
    table[observe_emoji] = REACTION_GLYPHS[observe_reaction]
    return table


@dataclass(frozen=True)
class Mentioned:
    id: str
    name: str

    @property
    def tag(self) -> str:
        return f"<at>{self.name}</at>"

    def entity(self) -> dict[str, Any]:
        return {"type": "mention", "text": self.tag, "mentioned": {"id": self.id, "name": self.name}}


class _Markup:
    """Turns neutral markup into Teams text for one message, collecting the people it mentions."""

    def __init__(self, mentions: Mapping[str, str], glyph_table: Mapping[str, str], card: bool) -> None:
        self.names = mentions
        self.glyphs = glyph_table
        self.card = card
        self.mentioned: dict[str, Mentioned] = {}

    def __call__(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in MENTION.finditer(text):
            out.append(self._plain(text[last : match.start()]))
            out.append(self._mention(match.group(1)))
            last = match.end()
        out.append(self._plain(text[last:]))
        return "".join(out)

    def _mention(self, user: str) -> str:
        name = self.names.get(user)
        if name is None:
            return self._plain(user)
        # A name is shown inside the <at> tag: nothing in it may close the tag or start another.
        clean = " ".join(re.sub(r"[<>&]", "", name).split()) or "someone"
        mentioned = self.mentioned.setdefault(user, Mentioned(user, clean))
        return mentioned.tag

    def _plain(self, text: str) -> str:
        text = BOLD.sub(r"**\1**", text)
        text = EMOJI.sub(lambda m: self.glyphs.get(m.group(1), m.group(0)), text)
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        if self.card:
            return TAG_START.sub("<" + ZWSP, text).replace("](", "]" + ZWSP + "(")
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]" + ZWSP + "(")


def is_card(reply: Reply) -> bool:
    return bool(reply.title or reply.fields or reply.lines or reply.buttons or "\n" in reply.text.strip())


def message(reply: Reply, glyph_table: Mapping[str, str] = GLYPHS, limit: int = LIMIT) -> dict[str, Any]:
    """The activity (type, text or card attachment, entities) that says `reply` in Teams, under the size limit."""
    return _render(fit(reply, lambda r: _render(r, glyph_table), limit), glyph_table)


def _render(reply: Reply, glyph_table: Mapping[str, str]) -> dict[str, Any]:
    if not is_card(reply):
        markup = _Markup(reply.mentions, glyph_table, card=False)
        text = markup(reply.text.strip())
        activity: dict[str, Any] = {"type": "message", "textFormat": "markdown", "text": text}
        if markup.mentioned:
            activity["entities"] = [m.entity() for m in markup.mentioned.values()]
        return activity
    markup = _Markup(reply.mentions, glyph_table, card=True)
    body: list[dict[str, Any]] = []
    if reply.title:
        body.append(_text(markup(reply.title), weight="Bolder", size="Medium"))
    if reply.text and reply.text != reply.title:
        body += [_text(markup(line)) for line in reply.text.strip().split("\n") if line.strip()]
    body += [_text(f"**{markup(label)}:** {markup(value)}", spacing="Small") for label, value in reply.fields]
    body += [_text(markup(line), spacing="Small") for line in reply.lines]
    card = _card(body, [_action(b) for b in reply.buttons], list(markup.mentioned.values()))
    return {"type": "message", "summary": _summary(reply), "attachments": [{"contentType": CARD, "content": card}]}


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]], mentioned: list[Mentioned]) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    msteams: dict[str, Any] = {"width": "Full"}
    if mentioned:
        msteams["entities"] = [m.entity() for m in mentioned]
    card["msteams"] = msteams
    return card


def _action(button: Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": button.label,
        "data": {DATA_KEY: {"kind": "action", "action": button.action, "value": button.value}},
    }
    if button.style in STYLES:
        action["style"] = STYLES[button.style]
    return action


def _summary(reply: Reply) -> str:
    """What Teams shows in notifications and the activity feed for a card: the first line, without markup."""
    first = (reply.title or reply.text).strip().split("\n")[0]
    first = MENTION.sub(lambda m: reply.mentions.get(m.group(1), ""), first).replace("*", "")
    first = first.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return first[:200]


# -- size -----------------------------------------------------------------------------------------------------------


def size(activity: Mapping[str, Any]) -> int:
    return len(json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fit(reply: Reply, render: Callable[[Reply], Mapping[str, Any]], limit: int = LIMIT) -> Reply:
    """The reply, or a shorter one that renders under `limit` bytes: long lines cut first, then lines dropped."""
    if size(render(reply)) <= limit:
        return reply
    cut = reply
    for width in (2000, 1000, 500, 250, 120):
        cut = _cut_all(reply, width)
        if size(render(cut)) <= limit:
            return cut
    lines = list(cut.lines[:-1])
    dropped = 0
    while lines:
        lines.pop()
        dropped += 1
        shorter = replace(cut, lines=(*lines, DROPPED_NOTE.format(count=dropped), CUT_NOTE))
        if size(render(shorter)) <= limit:
            return shorter
    return Reply(cut_text(reply.text, 120) + "\n" + CUT_NOTE, mentions=reply.mentions)


def _cut_all(reply: Reply, width: int) -> Reply:
    return replace(
        reply,
        text=cut_text(reply.text, width),
        title=cut_text(reply.title, width) if reply.title else reply.title,
        fields=tuple((label, cut_text(value, width)) for label, value in reply.fields),
        lines=(*(cut_text(line, width) for line in reply.lines), CUT_NOTE),
    )


def cut_text(text: str, width: int) -> str:
    """`text` cut to about `width` characters, never inside a `<@mention>` or an `&entity;`."""
    if len(text) <= width:
        return text
    end = width
    for pattern in (MENTION, re.compile(r"&[a-z]+;")):
        for match in pattern.finditer(text, max(0, width - 64), width + 64):
            if match.start() < end < match.end():
                end = match.start()
    return text[:end].rstrip() + " …"


# -- forms ----------------------------------------------------------------------------------------------------------


def form_message(form: Form, limit: int = LIMIT) -> dict[str, Any]:
    """A card with one input per field and a submit button whose data names the form's action and value."""
    activity = _form_activity(form, cut=False)
    width = 4000
    while size(activity) > limit and width >= 100:
        shorter = replace(form, fields=tuple(replace(f, value=cut_text(f.value, width)) for f in form.fields))
        activity = _form_activity(shorter, cut=True)
        width //= 2
    return activity


def _form_activity(form: Form, cut: bool) -> dict[str, Any]:
    markup = _Markup({}, GLYPHS, card=True)
    body: list[dict[str, Any]] = [_text(markup(form.title), weight="Bolder", size="Medium")]
    if cut:
        body.append(_text(FORM_CUT_NOTE, color="Attention"))
    for field in form.fields:
        body.append(
            _input(field.id, field.label, field.value, field.multiline, field.optional, field.choices, field.hint)
        )
    submit = {
        "type": "Action.Submit",
        "title": form.submit,
        "style": "positive",
        "data": {DATA_KEY: {"kind": "form", "action": form.action, "value": form.value, "title": form.title}},
    }
    card = _card(body, [submit], [])
    return {"type": "message", "summary": form.title, "attachments": [{"contentType": CARD, "content": card}]}


def _input(
    field_id: str, label: str, value: str, multiline: bool, optional: bool, choices: tuple[str, ...], hint: str
) -> dict[str, Any]:
    element: dict[str, Any]
    if choices:
        element = {
            "type": "Input.ChoiceSet",
            "style": "compact",
            "choices": [{"title": c, "value": c} for c in choices],
            "value": value if value in choices else choices[0],
        }
    else:
        element = {"type": "Input.Text", "isMultiline": multiline, "value": value}
        if hint:
            element["placeholder"] = hint
    element |= {"id": INPUT_PREFIX + field_id, "label": label, "isRequired": not optional}
    if not optional:
        element["errorMessage"] = f"{label} is required."
    return element


def closed_form(title: str, note: str) -> dict[str, Any]:
    """What a submitted form turns into, so it cannot be sent twice."""
    markup = _Markup({}, GLYPHS, card=True)
    body = [_text(markup(title), weight="Bolder", size="Medium"), _text(markup(note), isSubtle=True)]
    card = _card(body, [], [])
    return {"type": "message", "summary": title, "attachments": [{"contentType": CARD, "content": card}]}


def placeholder(title: str, topic: str) -> dict[str, Any]:
    """The first post of a room thread, until the case card takes its place."""
    markup = _Markup({}, GLYPHS, card=True)
    body = [_text(markup(title), weight="Bolder", size="Medium"), _text(markup(topic))]
    card = _card(body, [], [])
    return {"type": "message", "summary": title, "attachments": [{"contentType": CARD, "content": card}]}


def form_title(activity_value: Mapping[str, Any]) -> str:
    """The title of the form a submission came from."""
    data = activity_value.get(DATA_KEY)
    title = data.get("title") if isinstance(data, Mapping) else None
    return title if isinstance(title, str) and title else "Form"


def submitted(activity_value: Mapping[str, Any]) -> tuple[str, str, str, dict[str, str]] | None:
    """(kind, action, value, inputs) from the `value` Teams sends for an Action.Submit of ours, None if not ours."""
    data = activity_value.get(DATA_KEY)
    if not isinstance(data, Mapping):
        return None
    kind, action, value = data.get("kind"), data.get("action"), data.get("value", "")
    if kind not in ("action", "form") or not isinstance(action, str) or not action:
        return None
    inputs = {
        key.removeprefix(INPUT_PREFIX): "" if raw is None else str(raw)
        for key, raw in activity_value.items()
        if isinstance(key, str) and key.startswith(INPUT_PREFIX)
    }
    return str(kind), action, "" if value is None else str(value), inputs
