"""The mount's own way in: once bolt has authorized a workspace, its messages, reactions and /swarm commands are
acked and kept without bolt's dispatch, with exactly the effects they have through bolt; and the body is parsed once,
by us (the word "payload" in a command is case text)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.inbox import Delivery, Inbox
from bot.models import EventKind
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_signing import message_changed, message_event, reaction_event

DEMO = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


class Dispatches:
    """Counts the requests that went through bolt's dispatch (and lets each go on through it)."""

    def __init__(self, slack: SlackScenario) -> None:
        self.count = 0
        self._through = slack.mount.bolt.async_dispatch

        async def counted(request: Any) -> Any:
            self.count += 1
            return await self._through(request)

        slack.mount.bolt.async_dispatch = counted  # type: ignore[method-assign]


@pytest.fixture
def dispatches(slack: SlackScenario) -> Iterator[Dispatches]:
    yield Dispatches(slack)


async def timeline_texts(slack: SlackScenario) -> list[str]:
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        timeline = await uow.swarms.timeline(swarm.id)
    return [entry.text for entry in timeline if entry.kind is EventKind.MESSAGE]


async def opened_and_spoken_in(slack: SlackScenario) -> tuple[str, str]:
    """Opens swarm 1 (a command through bolt, which authorizes the workspace) and says the first words in its room;
    returns the room and the announcement's ts."""
    await slack.command(DEMO)
    room = slack.room().id
    announcement = slack.api.messages(SUPPORT)[-1]["ts"]
    await slack.say("first words in the room", user="chen", channel=room)
    return room, announcement


async def test_once_bolt_authorized_the_workspace_joins_and_room_messages_skip_its_dispatch(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    room, announcement = await opened_and_spoken_in(slack)
    assert dispatches.count == 1  # the command: bolt's, which authorized the workspace; the first words were not

    await slack.react("raising_hand", SUPPORT, announcement, user="fay")
    await slack.say("tried the 4.1 exporter: same error", user="fay", channel=room)
    await slack.react("raising_hand", SUPPORT, announcement, user="fay", added=False)
    assert dispatches.count == 1

    assert [p["text"] for p in slack.posts(room)][-2:] == ["<@UFAY> joined swarm 1 as helper.", "<@UFAY> left swarm 1."]
    assert await timeline_texts(slack) == ["first words in the room", "tried the 4.1 exporter: same error"]


async def test_a_second_swarm_command_skips_bolts_dispatch_and_opens_its_swarm_all_the_same(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    await slack.command(DEMO)
    status, body = await slack.command("/swarm Globex SSO login loops back to the start #auth", user="fay")
    assert (status, body) == (200, "")
    assert dispatches.count == 1
    assert slack.room().name.startswith("swarm-2-globex-sso-login")
    await slack.command("/swarm list", user="fay")
    assert dispatches.count == 1
    assert "Globex SSO login" in slack.ephemerals("fay")[-1]


async def test_a_command_that_is_not_swarm_goes_through_bolt(slack: SlackScenario, dispatches: Dispatches) -> None:
    await slack.command(DEMO)
    calls = len(slack.api.calls)
    status, _ = await slack.sender.slash("hello", "UFAY", SUPPORT, command="/other")
    assert status == 200  # bolt's listener of what Swarm has no use for: acked, and nothing done
    assert dispatches.count == 2
    assert slack.api.calls[calls:] == []


async def test_the_word_payload_in_a_swarm_command_is_case_text_like_any_other(slack: SlackScenario) -> None:
    # Bolt takes a form that holds the word "payload" anywhere for an interactivity payload: it read this as {}.
    status, body = await slack.command("/swarm ACME webhook payload arrives empty #billing")
    assert (status, body) == (200, "")
    assert slack.room().name.startswith("swarm-1-acme-webhook-payload")
    status, body = await slack.command("/swarm ACME the payload= field is cut #billing")
    assert (status, body) == (200, "")
    assert slack.room().name.startswith("swarm-2-acme-the-payload-field")


async def test_the_bots_own_posts_and_reactions_taken_that_way_are_still_nobodys_doing(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    room, announcement = await opened_and_spoken_in(slack)
    calls = len(slack.api.calls)

    await slack.event(message_event(room, "UBOT", "a post of the bot's", "1700000990.000100", bot_id="B0001"))
    await slack.event(message_changed(room, "UBEN", "1700000991.000100", "a link", "a link", attachments=[{"id": 1}]))
    await slack.event(reaction_event("UBOT", "raising_hand", SUPPORT, announcement))
    assert dispatches.count == 1
    assert await timeline_texts(slack) == ["first words in the room"]
    assert slack.api.calls[calls:] == []


async def test_a_retry_taken_that_way_has_no_second_effect(slack: SlackScenario, dispatches: Dispatches) -> None:
    room, _ = await opened_and_spoken_in(slack)
    said = message_event(room, "UFAY", "the PDF is empty", "1700000992.000100")
    await slack.event(said, event_id="Ev0SAID")
    await slack.event(said, event_id="Ev0SAID", retry_num=1, retry_reason="http_timeout")
    assert dispatches.count == 1
    assert await timeline_texts(slack) == ["first words in the room", "the PDF is empty"]


async def test_after_a_minute_a_delivery_goes_through_bolt_again_and_is_authorized_anew(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    room, _ = await opened_and_spoken_in(slack)
    key, (bot, _) = next(iter(slack.mount.authorized.items()))
    slack.mount.authorized[key] = (bot, 0.0)  # what a minute without a delivery through bolt leaves

    await slack.say("second words", user="chen", channel=room)
    await slack.say("third words", user="chen", channel=room)
    assert dispatches.count == 2
    assert slack.mount.authorized[key][1] > 0.0
    assert await timeline_texts(slack) == ["first words in the room", "second words", "third words"]


async def test_another_workspace_goes_through_bolt_until_bolt_has_authorized_it(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    await opened_and_spoken_in(slack)
    elsewhere = message_event("C0ELSE", "UZED", "hello", "1700000993.000100", team="T0ELSE")
    envelope = {"type": "event_callback", "team_id": "T0ELSE", "event": elsewhere, "event_id": "Ev0ELSE"}
    status, _ = await slack.sender.raw(json.dumps(envelope).encode(), {"Content-Type": "application/json"})
    assert status == 200
    assert dispatches.count == 2
    assert (None, "T0ELSE") in slack.mount.authorized


@pytest.mark.parametrize(
    ("envelope", "answer"),
    [
        ({"type": "event_callback", "team_id": TEAM_ID, "event": "message"}, 400),
        ({"type": "event_callback", "team_id": TEAM_ID, "event": {"type": ["message"]}}, 400),
        ({"type": "event_callback", "team_id": TEAM_ID}, 400),
        ({"type": "event_callback", "authorizations": 5, "event": {"type": "message"}}, 400),
        # Well formed for bolt, whose listener ignores a team id that is no Slack id.
        ({"type": "event_callback", "team": {"id": ["T0001"]}, "event": {"type": "message"}}, 200),
        ({"type": "event_callback", "enterprise": {"id": {}}, "team_id": TEAM_ID, "event": {"type": "message"}}, 200),
    ],
)
async def test_a_malformed_event_from_an_authorized_workspace_is_answered_as_bolt_would_and_kept_nowhere(
    slack: SlackScenario, envelope: dict[str, Any], answer: int
) -> None:
    await opened_and_spoken_in(slack)
    status, _ = await slack.sender.raw(json.dumps(envelope).encode(), {"Content-Type": "application/json"})
    assert status == answer
    await slack.mount.idle()
    assert await timeline_texts(slack) == ["first words in the room"]


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

    async def retry(self, ids: Sequence[int], holder: str, at: datetime) -> None:
        await self.inbox.retry(ids, holder, at)

    async def release(self, holder: str) -> int:
        return await self.inbox.release(holder)

    async def waiting(self) -> int:
        return await self.inbox.waiting()


async def test_a_delivery_the_inbox_cannot_keep_is_not_acknowledged_and_slacks_resend_takes_effect(
    slack: SlackScenario, dispatches: Dispatches
) -> None:
    writer = slack.mount.writer
    inbox = writer.inbox
    writer.inbox = Away(inbox)
    status, _ = await slack.command(DEMO)  # through bolt: its listener raises, bolt answers 500
    assert status == 500
    writer.inbox = inbox
    await slack.command("help")  # bolt authorizes the workspace: what follows takes the mount's own way in
    writer.inbox = Away(inbox)
    status, _ = await slack.sender.slash(DEMO, slack.user("ana"), SUPPORT, trigger_id="1.2.resent")
    assert (status, dispatches.count) == (503, 2)
    assert slack.api.calls_to("conversations.create") == []
    writer.inbox = inbox
    status, _ = await slack.sender.slash(DEMO, slack.user("ana"), SUPPORT, trigger_id="1.2.resent")  # sent again
    await slack.mount.idle()
    assert status == 200
    assert slack.room().name.startswith("swarm-1-")
