"""Reply → Block Kit, Form → modal view, with slack_sdk.models and inside Block Kit's limits. Pure functions."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from handlers.chat import Form, Reply

MAX_BLOCKS = 50
SECTION_CHARS = 3000
FIELD_CHARS = 2000
FIELDS_PER_SECTION = 10
HEADER_CHARS = 150
FALLBACK_CHARS = 3000
VIEW_TITLE_CHARS = 24
INPUT_CHARS = 3000
CUT_NOTE = "… more in `/swarm status`"


def blocks(reply: Reply) -> list[dict[str, Any]]:
    """The reply as Block Kit blocks, at most MAX_BLOCKS, no text object over its limit."""
    out: list[Block] = []
    if reply.title:
        out.append(HeaderBlock(text=PlainTextObject(text=_cut(_plain(reply.title), HEADER_CHARS))))
    if reply.text and reply.text != reply.title:
        out += _sections(reply.text)
    for start in range(0, len(reply.fields), FIELDS_PER_SECTION):
        chunk = reply.fields[start : start + FIELDS_PER_SECTION]
        fields = [MarkdownTextObject(text=_cut(f"*{label}*\n{value}", FIELD_CHARS)) for label, value in chunk]
        out.append(SectionBlock(fields=fields))
    if reply.lines:
        out += _sections("\n".join(reply.lines))
    actions = [
        ButtonElement(text=b.label, action_id=b.action, value=b.value, style=b.style) for b in reply.buttons[:25]
    ]
    if len(out) >= MAX_BLOCKS - (1 if actions else 0):
        keep = MAX_BLOCKS - 1 - (1 if actions else 0)
        out = [*out[:keep], ContextBlock(elements=[MarkdownTextObject(text=CUT_NOTE)])]
    if actions:
        out.append(ActionsBlock(elements=actions))
    return [block.to_dict() for block in out]


def fallback(reply: Reply) -> str:
    """The notification text and what screen readers read."""
    return _cut(reply.plain(), FALLBACK_CHARS)


def modal(form: Form, channel: str) -> dict[str, Any]:
    """The form as a modal; callback_id carries the action, private_metadata the value and where it was opened."""
    inputs: list[Block] = []
    for field in form.fields:
        element: PlainTextInputElement | StaticSelectElement
        if field.choices:
            options = [Option(value=c, label=c) for c in field.choices]
            initial = next((o for o in options if o.value == field.value), None)
            element = StaticSelectElement(action_id="value", options=options, initial_option=initial)
        else:
            element = PlainTextInputElement(
                action_id="value",
                initial_value=_cut(field.value, INPUT_CHARS) or None,
                multiline=field.multiline,
                max_length=INPUT_CHARS,
            )
        inputs.append(
            InputBlock(
                block_id=field.id, label=field.label, element=element, optional=field.optional, hint=field.hint or None
            )
        )
    view = View(
        type="modal",
        callback_id=form.action,
        private_metadata=json.dumps({"value": form.value, "channel": channel}),
        title=PlainTextObject(text=_cut(form.title, VIEW_TITLE_CHARS)),
        submit=PlainTextObject(text=_cut(form.submit, VIEW_TITLE_CHARS)),
        close=PlainTextObject(text="Cancel"),
        blocks=inputs,
    )
    return view.to_dict()


def home_view(reply: Reply) -> dict[str, Any]:
    return View(type="home", blocks=blocks(reply)).to_dict()


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """What the person entered, by field id, from a view_submission's view.state."""
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        entry = actions.get("value", {})
        if entry.get("type") == "static_select":
            selected = entry.get("selected_option") or {}
            values[block_id] = str(selected.get("value", ""))
        else:
            values[block_id] = str(entry.get("value") or "")
    return values


def form_context(view: dict[str, Any]) -> tuple[str, str]:
    """(value, channel) that modal() put in private_metadata; empty strings for a view we did not make."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return "", ""
    if not isinstance(meta, dict):
        return "", ""
    return str(meta.get("value", "")), str(meta.get("channel", ""))


def _sections(text: str) -> list[Block]:
    chunks = []
    while text:
        if len(text) <= SECTION_CHARS:
            chunks.append(text)
            break
        cut = text.rfind("\n", 0, SECTION_CHARS)
        cut = cut if cut > 0 else SECTION_CHARS
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> str:
    return text.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
