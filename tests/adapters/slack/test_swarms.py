"""A whole swarm in Slack, through signed requests into the real server and a fake Web API that records every call."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import event

from bot.models import EventKind
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_signing import app_home_opened, message_changed, message_event, reaction_event

DEMO = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"


async def opened(slack: SlackScenario) -> str:
    status, body = await slack.command(DEMO)
    assert (status, body) == (200, "")
    return slack.room().id


async def test_swarm_opens_a_room_invites_posts_the_card_and_announces(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    room = slack.room()
    assert room.name == "swarm-1-acme-cannot-export-invoices"
    assert room.topic.startswith("Swarm 1 · sev2 · customer ACME")
    invited = slack.api.calls_to("conversations.invite")[0].args["users"].split(",")
    assert {"UANA", "UBEN", "UCHEN"} <= set(invited)

    card = slack.posts(room_id)[0]
    kinds = [block["type"] for block in card["blocks"]]
    assert kinds[0] == "header" and kinds[-1] == "actions"
    assert card["blocks"][0]["text"]["text"] == "Swarm 1: ACME cannot export invoices to PDF since 4.2"
    assert "<@UBEN> (R&amp;D · billing 5/5" in str(card["blocks"])
    assert [e["action_id"] for e in card["blocks"][-1]["elements"]] == ["accept", "decline", "join", "resolve"]

    announcement = slack.posts(SUPPORT)[0]
    assert "*Swarm 1* is open for <@UANA>" in announcement["text"]
    assert "react :raising_hand: to join" in announcement["text"]


async def test_opening_takes_at_most_six_web_api_calls(slack: SlackScenario) -> None:
    await opened(slack)
    # auth.test is the app's own start-up, once per process, not part of an opening.
    methods = [c.method for c in slack.api.calls if c.method != "auth.test"]
    assert methods == [
        "conversations.create",
        "conversations.setTopic",
        "conversations.invite",
        "chat.postMessage",  # the case card, which stays as the room's rolling summary
        "pins.add",
        "chat.postMessage",  # the announcement
    ]


async def test_the_command_is_acked_before_any_web_api_call(slack: SlackScenario) -> None:
    slack.api.stall("users.info", 1.0)
    started = time.perf_counter()
    status, _ = await slack.sender.slash(DEMO, "UANA", SUPPORT)
    acked = time.perf_counter() - started
    assert status == 200 and acked < 0.5
    assert slack.api.calls_to("conversations.create") == []
    await slack.mount.idle()
    assert len(slack.api.calls_to("conversations.create")) == 1


async def test_a_taken_channel_name_gets_a_suffix(slack: SlackScenario) -> None:
    slack.api.add_channel("CTAKEN", "swarm-1-acme-cannot-export-invoices")
    await opened(slack)
    assert slack.room().name == "swarm-1-acme-cannot-export-invoices-2"
    assert [c.error for c in slack.api.calls_to("conversations.create")] == ["name_taken", None]


async def test_a_room_the_bot_made_for_an_older_swarm_of_that_number_is_not_taken(slack: SlackScenario) -> None:
    # A channel the bot made a day before this swarm (an earlier database, say): not this swarm's, whatever its name.
    # A day before the swarm's clock, not the machine's: the scenario's clock is a fixed Tuesday.
    older = slack.api.add_channel("COLD", "swarm-1-acme-cannot-export-invoices", members=["UBOT"])
    older.created = int(slack.app.core.clock().timestamp()) - 24 * 3600
    await opened(slack)
    assert slack.room().name == "swarm-1-acme-cannot-export-invoices-2"
    assert len(slack.api.calls_to("conversations.list")) == 1


async def test_raising_hand_joins_eyes_observes_and_removing_leaves(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    announcement = slack.posts(SUPPORT)[0]
    ts = next(m["ts"] for m in slack.api.messages(SUPPORT) if m.get("text") == announcement["text"])
    await slack.react("raising_hand", SUPPORT, ts, user="fay")
    assert "UFAY" in slack.room().members
    assert slack.posts(room_id)[-1]["text"] == "<@UFAY> joined swarm 1 as helper."
    await slack.react("eyes", SUPPORT, ts, user="dana")
    assert slack.posts(room_id)[-1]["text"] == "<@UDANA> joined swarm 1 as observer."
    await slack.react("raising_hand", SUPPORT, ts, user="fay", added=False)
    assert slack.posts(room_id)[-1]["text"] == "<@UFAY> left swarm 1."


async def test_a_retried_event_has_one_effect(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    ts = slack.api.messages(SUPPORT)[-1]["ts"]
    event = reaction_event("UFAY", "raising_hand", SUPPORT, ts)
    await slack.event(event, event_id="Ev0RETRY")
    for retry in (1, 2, 3):
        await slack.event(event, event_id="Ev0RETRY", retry_num=retry)
    joined = [p for p in slack.posts(room_id) if p["text"] == "<@UFAY> joined swarm 1 as helper."]
    assert len(joined) == 1


async def test_a_burst_of_room_messages_is_kept_once_each_in_few_statements(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    said = [(f"1700000{i:03d}.000100", "ana" if i % 3 else "chen", f"step {i}: tried again") for i in range(30)]
    inserts: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO swarm_event"):
            inserts.append(statement)

    engine = slack.app.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        # Sent at once, as a busy room does: the inbox gathers them and the worker keeps them a run at a time.
        await asyncio.gather(
            *(
                slack.sender.event(message_event(room_id, slack.user(who), text, ts), event_id=f"EvB{i}")
                for i, (ts, who, text) in enumerate(said)
            ),
            slack.sender.event(message_event(room_id, "UANA", said[4][2], said[4][0]), event_id="EvB4", retry_num=1),
            slack.sender.event(message_event(room_id, "UBOT", "a bot post", "1700000999.000100", bot_id="B0001")),
        )
        await slack.mount.idle()
    finally:
        event.remove(engine, "before_cursor_execute", count)

    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        timeline = await uow.swarms.timeline(swarm.id)
        chen = await uow.people.by_chat_id(workspace.id, "slack", "UCHEN")
        members = await uow.swarms.members(swarm.id)
    messages = [(entry.message_id, entry.text) for entry in timeline if entry.kind is EventKind.MESSAGE]
    assert sorted(messages) == sorted((ts, text) for ts, _, text in said)  # the retry and the bot's post: no entry
    assert chen is not None
    assert next(m for m in members if m.person_id == chen.id).joined_at is not None  # speaking up is accepting
    assert len(inserts) < len(said) // 2


async def test_a_burst_of_joins_is_one_invite_one_post_and_a_welcome_each(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    ts = slack.api.messages(SUPPORT)[-1]["ts"]
    newcomers = [f"UNEW{i}" for i in range(6)]
    for user in newcomers:
        slack.api.add_user(user, user.lower(), f"{user.lower()}@example.com", real_name=f"New {user[-1]}")
    invites, posts = len(slack.api.calls_to("conversations.invite")), len(slack.posts(room_id))
    # Reactions put on at once, as when an announcement in a busy channel draws a crowd: one run for the worker.
    await asyncio.gather(
        *(slack.sender.event(reaction_event(u, "raising_hand", SUPPORT, ts), event_id=f"EvJ{u}") for u in newcomers),
        slack.sender.event(reaction_event("UDANA", "eyes", SUPPORT, ts), event_id="EvJDANA"),
        slack.sender.event(reaction_event("UNEW0", "raising_hand", SUPPORT, ts), event_id="EvJUNEW0", retry_num=1),
    )
    await slack.mount.idle()

    room = slack.room()
    assert set(newcomers) | {"UDANA"} <= set(room.members)
    assert len(slack.api.calls_to("conversations.invite")) - invites < len(newcomers)
    joined = [p["text"] for p in slack.posts(room_id)[posts:] if "joined swarm 1" in p["text"]]
    assert len(joined) < len(newcomers)
    assert all(f"<@{u}>" in " ".join(joined) for u in newcomers) and "<@UDANA>" in " ".join(joined)
    for user in newcomers:  # each one welcomed to a first swarm, once (the retry of UNEW0's 🙋 changed nothing)
        welcomes = [e for e in slack.ephemerals(user) if e.startswith("Welcome to your first swarm")]
        assert len(welcomes) == 1, user
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        timeline = await uow.swarms.timeline(swarm.id)
    assert [e.text for e in timeline if e.kind is EventKind.JOINED].count("helper") == len(newcomers)


async def test_joins_in_a_burst_whose_invite_fails_are_kept_and_each_person_hears_it(slack: SlackScenario) -> None:
    await opened(slack)
    ts = slack.api.messages(SUPPORT)[-1]["ts"]
    slack.api.fail("conversations.invite", times=20, status=429, retry_after=0)  # more than the client's retries
    await asyncio.gather(
        slack.sender.event(reaction_event("UDANA", "raising_hand", SUPPORT, ts)),
        slack.sender.event(reaction_event("UELI", "raising_hand", SUPPORT, ts)),
    )
    await slack.mount.idle()
    for user in ("dana", "eli"):
        assert slack.ephemerals(user)[-1].startswith("Sorry, something went wrong on my side")
    assert "UDANA" not in slack.room().members
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        members = {m.person_id for m in await uow.swarms.members(swarm.id) if m.active}
        dana = await uow.people.by_chat_id(workspace.id, "slack", "UDANA")
    assert dana is not None and dana.id in members  # the join itself is kept
    assert not any(e.startswith("Welcome to your first swarm") for e in slack.ephemerals("dana"))
    slack.api.mend("conversations.invite")
    await slack.react("raising_hand", SUPPORT, ts, user="dana")  # reacting again gets them in, and the welcome
    assert "UDANA" in slack.room().members
    assert len([e for e in slack.ephemerals("dana") if e.startswith("Welcome to your first swarm")]) == 1
    await slack.react("raising_hand", SUPPORT, ts, user="dana")  # once more: in already, welcomed already
    assert len([e for e in slack.ephemerals("dana") if e.startswith("Welcome to your first swarm")]) == 1


async def test_joins_in_a_burst_about_a_resolved_swarm_are_told_so_privately(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    ts = slack.api.messages(SUPPORT)[-1]["ts"]
    await slack.command("/swarm resolve cleared the cache", channel=room_id)
    invites = len(slack.api.calls_to("conversations.invite"))
    await asyncio.gather(
        slack.sender.event(reaction_event("UFAY", "raising_hand", SUPPORT, ts)),
        slack.sender.event(reaction_event("UDANA", "raising_hand", SUPPORT, ts)),
    )
    await slack.mount.idle()
    for user in ("fay", "dana"):
        assert "resolved" in slack.ephemerals(user)[-1]
    assert len(slack.api.calls_to("conversations.invite")) == invites
    assert not any("joined" in p["text"] for p in slack.posts(room_id))


async def test_the_join_button_joins(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    ts = slack.api.messages(SUPPORT)[-1]["ts"]
    await slack.click("join", "1", user="fay", channel=SUPPORT, ts=ts)
    assert slack.posts(room_id)[-1]["text"] == "<@UFAY> joined swarm 1 as helper."


async def test_room_messages_and_the_check_mark_make_the_article(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    fix = await slack.say("Clearing the 4.2 template cache fixes the export", user="chen", channel=room_id)
    await slack.react("white_check_mark", room_id, fix, user="ana")
    status, _ = await slack.command("/swarm resolve cleared the cache cause: stale template cache", channel=room_id)
    assert status == 200

    summary = slack.posts(room_id)[-1]["text"]
    assert summary.startswith(":white_check_mark: Swarm 1 is resolved")
    announcement_ts = slack.api.messages(SUPPORT)[0]["ts"]
    assert any(p.get("thread_ts") == announcement_ts for p in slack.posts(SUPPORT))
    update = slack.api.calls_to("chat.update")[-1].args
    assert "(resolved)" in update["text"]

    await slack.command("/swarm kb 1", user="fay")
    article = slack.ephemerals("fay")[-1]
    assert "Clearing the 4.2 template cache fixes the export" in article
    assert "stale template cache" in article


async def test_resolve_without_text_opens_the_prefilled_modal_and_submitting_resolves(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    fix = await slack.say("Clearing the template cache fixes it", user="chen", channel=room_id)
    await slack.react("white_check_mark", room_id, fix, user="ana")
    await slack.command("/swarm resolve", channel=room_id)
    view = slack.views_opened()[-1]
    assert view["callback_id"] == "resolve"
    resolution = next(b for b in view["blocks"] if b["block_id"] == "resolution")
    assert resolution["element"]["initial_value"] == "- Clearing the template cache fixes it"

    status, _ = await slack.submit(view, user="ana", resolution="Cleared the PDF template cache", cause="stale cache")
    assert status == 200
    assert slack.posts(room_id)[-1]["text"].startswith(":white_check_mark: Swarm 1 is resolved")


async def test_swarm_with_no_text_opens_the_form_and_submitting_it_opens_the_swarm(slack: SlackScenario) -> None:
    await slack.command("/swarm")
    view = slack.views_opened()[-1]
    assert view["callback_id"] == "open"
    await slack.submit(view, user="ana", case="Invoices export blank", skills="pdf", severity="sev2")
    assert slack.room().name == "swarm-1-invoices-export-blank"
    assert "*Swarm 1* is open" in slack.posts(SUPPORT)[-1]["text"]


async def test_errors_and_help_are_ephemeral(slack: SlackScenario) -> None:
    await slack.command("/swarm frobnicate", user="fay")
    await slack.command("/swarm help", user="fay")
    said = slack.ephemerals("fay")
    assert "Open a swarm for the case “frobnicate”?" in said[0]
    assert "/swarm experts <case or #skills>" in said[1]
    assert slack.api.calls_to("chat.postMessage") == []


async def test_user_text_is_escaped(slack: SlackScenario) -> None:
    await slack.command("/swarm Export <script> & <!channel> fails #pdf")
    announcement = slack.posts(SUPPORT)[0]["text"]
    assert "&lt;script&gt; &amp; &lt;!channel&gt;" in announcement
    assert "<!channel>" not in announcement


async def test_the_bots_own_messages_and_reactions_are_not_user_actions(slack: SlackScenario) -> None:
    room_id = await opened(slack)
    before = len(slack.api.calls)
    await slack.event(message_event(room_id, "UBOT", "a bot post", "1700000001.000100", bot_id="B0001"))
    await slack.event(reaction_event("UBOT", "raising_hand", SUPPORT, slack.api.messages(SUPPORT)[-1]["ts"]))
    preview = [{"id": 1, "text": "a link's preview"}]  # Slack adds it by an edit of its own: not the person's
    await slack.event(message_changed(room_id, "UCHEN", "1700000002.000100", "a link", "a link", attachments=preview))
    assert len(slack.api.calls) == before
    await slack.command("/swarm status", channel=room_id)
    assert "0 messages" in slack.ephemerals("ana")[-1]


async def test_app_home_shows_my_swarms(slack: SlackScenario) -> None:
    await opened(slack)
    await slack.event(app_home_opened("UANA"))
    home = slack.api.views_published("UANA")[-1]
    assert home["type"] == "home"
    assert "ACME cannot export invoices" in str(home["blocks"])


async def test_rate_limits_and_server_errors_are_retried_off_the_ack_path(slack: SlackScenario) -> None:
    slack.api.fail("conversations.create", times=2, status=429, retry_after=0)
    slack.api.fail("chat.postMessage", times=1, status=503)
    await opened(slack)
    assert [c.status for c in slack.api.calls_to("conversations.create")] == [429, 429, 200]
    assert len(slack.posts(SUPPORT)) == 1


async def test_a_persistent_failure_tells_the_owner_and_is_resumed(slack: SlackScenario) -> None:
    slack.api.fail("conversations.create", times=10, status=500)
    await slack.command(DEMO)
    assert any("Swarm 1 is saved" in text for text in slack.ephemerals("ana"))
    assert slack.posts(SUPPORT) == []
    slack.api.clear_faults()
    assert await slack.mount.resume() == 1
    assert await slack.mount.resume() == 0
    assert slack.room().name == "swarm-1-acme-cannot-export-invoices"
    assert len(slack.posts(SUPPORT)) == 1


async def test_slow_work_runs_concurrently_with_new_acks(slack: SlackScenario) -> None:
    slack.api.stall("conversations.create", 0.5)
    started = time.perf_counter()
    statuses = await asyncio.gather(*(slack.sender.slash(f"Case {i} fails #pdf", "UANA", SUPPORT) for i in range(5)))
    assert all(status == 200 for status, _ in statuses)
    assert time.perf_counter() - started < 0.5
    await slack.mount.idle()


async def test_experts_known_only_by_email_are_found_invited_and_remembered(slack: SlackScenario) -> None:
    chen = await slack.app.core.people.find("T0001", "chen@example.com")
    assert chen.id is not None
    chen.slack_id = None
    async with slack.app.store.unit() as uow:
        await uow.people.save(chen)
        await uow.commit()
    await opened(slack)
    assert [c.args["email"] for c in slack.api.calls_to("users.lookupByEmail")] == ["chen@example.com"]
    assert "UCHEN" in slack.api.calls_to("conversations.invite")[0].args["users"]
    assert "<@UCHEN>" in slack.posts(SUPPORT)[0]["text"]
    assert (await slack.app.core.people.find("T0001", "chen@example.com")).slack_id == "UCHEN"


def _ephemeral_buttons(slack: SlackScenario, user: str) -> dict[str, tuple[str, str]]:
    """The buttons of the last private answer to `user`, as Block Kit carried them: label → (action_id, value)."""
    blocks = slack.api.calls_to("chat.postEphemeral")[-1].args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return {e["text"]["text"]: (e["action_id"], e["value"]) for e in elements}


async def test_a_mistyped_subcommand_asks_with_buttons_that_work(slack: SlackScenario) -> None:
    await slack.command("/swarm ACME export fails #billing", user="ana")
    await slack.command("/swarm stauts 1", user="ana")
    assert slack.ephemerals("ana")[-1].startswith("Did you mean `/swarm status 1`?")
    assert len(slack.api.calls_to("conversations.create")) == 1
    buttons = _ephemeral_buttons(slack, "ana")
    assert buttons == {"Run it": ("run", "status 1"), "Open a swarm": ("open", f"{SUPPORT}\nstauts 1")}

    await slack.click(*buttons["Run it"], user="ana", channel=SUPPORT, ts="1")
    assert slack.ephemerals("ana")[-1].startswith("Swarm 1: ACME export fails")
    await slack.click(*buttons["Open a swarm"], user="ana", channel=SUPPORT, ts="1")
    assert slack.room().name == "swarm-2-stauts-1"
