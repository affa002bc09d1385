"""FakeSlack driven by the real slack_sdk AsyncWebClient, as the Slack adapter will drive it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack, hook_url, new_trigger_id

QUICK = FixedValueRetryIntervalCalculator(0.01)
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Open a swarm"}, "blocks": []}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your swarms"}}]}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user("U1", "ana", "Ana@Example.com", real_name="Ana Ruiz")
        fake.add_user("U2", "ben", "ben@example.com", real_name="Ben Okafor")
        fake.add_channel("C1", "support", members=["U1", "UBOT"])
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.url)


async def error_of(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    assert raised.value.response.status_code == 200
    error: str = raised.value.response["error"]
    return error


async def post_raw(url: str, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A request without slack_sdk's retries or validation in the way."""
    async with aiohttp.ClientSession() as session, session.post(url, **kwargs) as response:
        return response.status, await response.json(content_type=None), dict(response.headers)


# ------------------------------------------------------------------------------------------------ workspace


async def test_auth_test_names_the_bot_and_unknown_tokens_are_refused(slack: FakeSlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "UBOT", "B0001")
    assert slack.calls[0].token == "xoxb-test"

    assert await error_of(AsyncWebClient(token="xoxb-nope", base_url=slack.url).auth_test()) == "invalid_auth"
    assert await error_of(AsyncWebClient(base_url=slack.url).auth_test()) == "not_authed"
    assert await error_of(client.api_call("chat.teleport")) == "unknown_method"


async def test_users_are_found_by_id_and_email(client: AsyncWebClient) -> None:
    user = (await client.users_info(user="U1"))["user"]
    assert (user["name"], user["real_name"], user["profile"]["email"]) == ("ana", "Ana Ruiz", "Ana@Example.com")
    assert (await client.users_lookupByEmail(email="ana@example.com"))["user"]["id"] == "U1"
    assert await error_of(client.users_lookupByEmail(email="nobody@example.com")) == "users_not_found"
    assert await error_of(client.users_info(user="U404")) == "user_not_found"


# ------------------------------------------------------------------------------------------------- channels


async def test_create_makes_a_channel_the_bot_is_in(slack: FakeSlack, client: AsyncWebClient) -> None:
    created = (await client.conversations_create(name="swarm-1-acme-export", is_private=True))["channel"]
    assert created["id"].startswith("C")
    assert (created["name"], created["is_private"], created["is_member"]) == ("swarm-1-acme-export", True, True)

    room = slack.channel_by_name("swarm-1-acme-export")
    assert room is not None and room.id == created["id"] and room.members == ["UBOT"]
    info = await client.conversations_info(channel=room.id, include_num_members=True)
    assert info["channel"]["num_members"] == 1
    assert slack.calls_to("conversations.create")[0].args == {"name": "swarm-1-acme-export", "is_private": "1"}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Swarm-1", "invalid_name_specials"),
        ("swarm 1", "invalid_name_specials"),
        ("swarm.1", "invalid_name_specials"),
        ("--_", "invalid_name_punctuation"),
        ("support", "name_taken"),
    ],
)
async def test_create_refuses_names_slack_refuses(client: AsyncWebClient, name: str, error: str) -> None:
    assert await error_of(client.conversations_create(name=name)) == error


async def test_create_accepts_the_longest_name_and_archived_names_stay_taken(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    assert (await client.conversations_create(name="a" * 80))["ok"]
    slack.add_channel("C9", "old-swarm", is_archived=True)
    assert await error_of(client.conversations_create(name="old-swarm")) == "name_taken"


async def test_invite_join_topic_members_archive(slack: FakeSlack, client: AsyncWebClient) -> None:
    room = (await client.conversations_create(name="swarm-2"))["channel"]["id"]
    assert (await client.conversations_invite(channel=room, users="U1"))["channel"]["id"] == room
    await client.conversations_invite(channel=room, users="U1, U2")  # those already in are skipped; spaces are fine
    assert await error_of(client.conversations_invite(channel=room, users=["U1", "U2"])) == "already_in_channel"
    assert slack.channels[room].members == ["UBOT", "U1", "U2"]

    assert (await client.conversations_setTopic(channel=room, topic="ACME export"))["channel"]["topic"]["value"] == (
        "ACME export"
    )
    page = await client.conversations_members(channel=room, limit=2)
    rest = await client.conversations_members(channel=room, cursor=page["response_metadata"]["next_cursor"])
    assert page["members"] + rest["members"] == ["UBOT", "U1", "U2"]
    assert rest["response_metadata"]["next_cursor"] == ""

    slack.add_channel("C7", "general", members=["U1"])
    joined = await client.conversations_join(channel="C7")
    assert joined["channel"]["is_member"] and "warning" not in joined.data
    assert (await client.conversations_join(channel="C7"))["warning"] == "already_in_channel"

    assert (await client.conversations_archive(channel=room))["ok"]
    assert await error_of(client.conversations_archive(channel=room)) == "already_archived"
    assert await error_of(client.conversations_invite(channel=room, users="U1")) == "is_archived"
    assert await error_of(client.conversations_join(channel=room)) == "is_archived"
    slack.add_channel("C8", "private-elsewhere", members=["U1"], is_private=True)
    assert await error_of(client.conversations_join(channel="C8")) == "method_not_supported_for_channel_type"


async def test_list_pages_through_channels_and_hides_private_ones_the_bot_is_not_in(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    mine = (await client.conversations_create(name="swarm-1-acme", is_private=True))["channel"]["id"]
    slack.add_channel("C7", "general", members=["U1"])
    slack.add_channel("C8", "hr-private", members=["U1"], is_private=True)
    slack.add_channel("C9", "old", members=["U1"], is_archived=True)

    public = await client.conversations_list()
    assert [c["id"] for c in public["channels"]] == ["C1", "C7", "C9"]
    both = "public_channel,private_channel"
    first = await client.conversations_list(types=both, exclude_archived=True, limit=2)
    rest = await client.conversations_list(
        types=both, exclude_archived=True, cursor=first["response_metadata"]["next_cursor"]
    )
    listed = first["channels"] + rest["channels"]
    assert [c["id"] for c in listed] == ["C1", mine, "C7"]
    assert listed[1]["creator"] == "UBOT" and listed[1]["is_private"]
    assert rest["response_metadata"]["next_cursor"] == ""
    assert await error_of(client.conversations_list(types="channels")) == "invalid_types"
    assert await error_of(client.conversations_list(limit=0)) == "invalid_limit"


async def test_history_is_newest_first_without_replies_and_shows_metadata_when_asked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    marked = {"event_type": "swarm_post", "event_payload": {"key": "card:1"}}
    first = (await client.chat_postMessage(channel="C1", text="card", metadata=marked))["ts"]
    await client.chat_postMessage(channel="C1", text="in the thread", thread_ts=first)
    second = (await client.chat_postMessage(channel="C1", text="plain"))["ts"]

    plain = await client.conversations_history(channel="C1")
    assert [m["ts"] for m in plain["messages"]] == [second, first]
    assert "metadata" not in plain["messages"][1]
    shown = await client.conversations_history(channel="C1", include_all_metadata=True, limit=1)
    assert [m["ts"] for m in shown["messages"]] == [second] and shown["has_more"]
    rest = await client.conversations_history(
        channel="C1", include_all_metadata=True, cursor=shown["response_metadata"]["next_cursor"]
    )
    assert rest["messages"][0]["metadata"] == marked and not rest["has_more"]
    assert await error_of(client.chat_postMessage(channel="C1", text="x", metadata="{not json")) == (
        "invalid_metadata_format"
    )
    thread = await client.conversations_replies(channel="C1", ts=first, include_all_metadata=True)
    assert [m["text"] for m in thread["messages"]] == ["card", "in the thread"]
    later = await client.conversations_replies(channel="C1", ts=first, oldest=second)
    assert [m["text"] for m in later["messages"]] == ["card"]
    assert [m["ts"] for m in (await client.conversations_history(channel="C1", oldest=first))["messages"]] == [second]
    assert await error_of(client.conversations_replies(channel="C1", ts="1.2")) == "thread_not_found"
    slack.add_channel("C9", "elsewhere", members=["U1"])
    assert await error_of(client.conversations_history(channel="C9")) == "not_in_channel"


async def test_invite_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert await error_of(client.conversations_invite(channel="C1", users="U404")) == "user_not_found"
    assert await error_of(client.conversations_invite(channel="C1", users="UBOT")) == "cant_invite_self"
    assert await error_of(client.conversations_invite(channel="C404", users="U2")) == "channel_not_found"
    slack.add_channel("C8", "private-elsewhere", members=["U1"], is_private=True)
    assert await error_of(client.conversations_invite(channel="C8", users="U2")) == "not_in_channel"
    assert await error_of(client.conversations_setTopic(channel="C8", topic="x")) == "not_in_channel"
    assert await error_of(client.conversations_setTopic(channel="C1", topic="x" * 251)) == "too_long"


# ------------------------------------------------------------------------------------------------- messages


async def test_post_message_as_json_and_as_form(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Swarm 1* is open"}}]
    first = await client.chat_postMessage(channel="C1", text="Swarm 1 is open", blocks=blocks)  # JSON body
    # A form body with blocks as a JSON string, as older callers send it: recorded decoded all the same.
    second = await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "b", "blocks": json.dumps(blocks)}
    )
    assert first["channel"] == "C1" and first["message"]["blocks"] == blocks
    assert first["message"]["bot_id"] == "B0001" and first["message"]["user"] == "UBOT"
    assert first["ts"] == "1700000000.000100" and float(second["ts"]) > float(first["ts"])
    assert [call.args["blocks"] for call in slack.calls_to("chat.postMessage")] == [blocks, blocks]
    assert [m["text"] for m in slack.messages("C1")] == ["Swarm 1 is open", "b"]

    reply = await client.chat_postMessage(channel="C1", text="in thread", thread_ts=first["ts"])
    parent = slack.messages("C1")[0]
    assert (parent["reply_count"], parent["latest_reply"]) == (1, reply["ts"])
    assert [m["ts"] for m in slack.messages("C1", thread_ts=first["ts"])] == [first["ts"], reply["ts"]]
    link = await client.chat_getPermalink(channel="C1", message_ts=reply["ts"])
    assert link["permalink"] == (
        f"https://swarm-test.slack.com/archives/C1/p{reply['ts'].replace('.', '')}?thread_ts={first['ts']}&cid=C1"
    )


async def test_post_message_enforces_slack_limits(slack: FakeSlack, client: AsyncWebClient) -> None:
    divider = {"type": "divider"}
    assert (await client.chat_postMessage(channel="C1", text="50 blocks", blocks=[divider] * 50))["ok"]
    assert (await client.chat_postMessage(channel="C1", text="x" * 40_000))["ok"]
    assert await error_of(client.chat_postMessage(channel="C1", text="51", blocks=[divider] * 51)) == "invalid_blocks"
    assert await error_of(client.chat_postMessage(channel="C1", text="x" * 40_001)) == "msg_too_long"
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert await error_of(client.chat_postMessage(channel="C1", text="x", blocks=[long_section])) == "invalid_blocks"
    assert await error_of(client.api_call("chat.postMessage", json={"channel": "C1"})) == "no_text"
    assert await error_of(client.chat_postMessage(channel="C404", text="hi")) == "channel_not_found"
    assert await error_of(client.api_call("chat.postMessage", json={"text": "where?"})) == "channel_not_found"

    slack.add_channel("C8", "private-elsewhere", members=["U1"], is_private=True)
    assert await error_of(client.chat_postMessage(channel="C8", text="hi")) == "not_in_channel"
    slack.add_channel("C6", "public-elsewhere", members=["U1"])
    assert (await client.chat_postMessage(channel="#public-elsewhere", text="hi"))["channel"] == "C6"
    slack.channels["C6"].is_archived = True
    assert await error_of(client.chat_postMessage(channel="C6", text="hi")) == "is_archived"
    refused = [call for call in slack.calls_to("chat.postMessage") if not call.ok]
    assert [call.error for call in refused][:2] == ["invalid_blocks", "msg_too_long"]
    assert len(slack.messages("C1")) == 2


async def test_direct_messages(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U2")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and "already_open" not in opened.data
    assert (await client.conversations_open(users="U2"))["already_open"] is True
    posted = await client.chat_postMessage(channel="U2", text="You were asked to help")  # a user id: their DM
    assert posted["channel"] == dm and slack.messages(dm)[0]["text"] == "You were asked to help"
    assert await error_of(client.conversations_open(users="U404")) == "user_not_found"
    assert (await client.conversations_open(users="U1,U2"))["channel"]["id"].startswith("G")


async def test_update_and_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="Swarm 1 is open")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="Swarm 1 (resolved)", blocks=[])
    assert updated["text"] == "Swarm 1 (resolved)" and updated["ts"] == posted["ts"]
    assert slack.messages("C1")[0]["edited"]["user"] == "UBOT"
    assert await error_of(client.chat_update(channel="C1", ts="1.000001", text="x")) == "message_not_found"
    human = slack.add_message("C1", "U1", "help please")
    assert await error_of(client.chat_update(channel="C1", ts=human, text="x")) == "cant_update_message"

    sent = await client.chat_postEphemeral(channel="C1", user="U2", text="Only you see this")
    assert slack.ephemerals("U2") == [
        {"channel": "C1", "user": "U2", "text": "Only you see this", "message_ts": sent["message_ts"]}
    ]
    assert slack.ephemerals("U1") == [] and len(slack.messages("C1")) == 2
    assert await error_of(client.chat_postEphemeral(channel="C404", user="U2", text="x")) == "channel_not_found"
    assert await error_of(client.chat_postEphemeral(channel="C1", user="U404", text="x")) == "user_not_in_channel"


async def test_reactions_and_pins(slack: FakeSlack, client: AsyncWebClient) -> None:
    ts = slack.add_message("C1", "U1", "The PDF template cache is stale")
    await client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    assert await error_of(client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")) == (
        "already_reacted"
    )
    assert slack.messages("C1")[0]["reactions"] == [{"name": "white_check_mark", "users": ["UBOT"], "count": 1}]
    assert await error_of(client.reactions_add(channel="C1", timestamp=ts, name=":eyes:")) == "invalid_name"
    assert await error_of(client.reactions_add(channel="C1", timestamp="9.000001", name="eyes")) == "message_not_found"

    await client.pins_add(channel="C1", timestamp=ts)
    assert await error_of(client.pins_add(channel="C1", timestamp=ts)) == "already_pinned"
    assert slack.channels["C1"].pins == [ts]


async def test_views(slack: FakeSlack, client: AsyncWebClient) -> None:
    trigger = new_trigger_id()
    opened = (await client.views_open(trigger_id=trigger, view={**MODAL, "callback_id": "open_swarm"}))["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "open_swarm"
    assert slack.calls_to("views.open")[0].args["view"]["callback_id"] == "open_swarm"
    assert await error_of(client.views_open(trigger_id=trigger, view=MODAL)) == "exchanged_trigger_id"
    stale = new_trigger_id(time.time() - 3.5)
    assert await error_of(client.views_open(trigger_id=stale, view=MODAL)) == "expired_trigger_id"
    assert await error_of(client.views_open(trigger_id="not-a-trigger", view=MODAL)) == "invalid_trigger_id"
    assert await error_of(client.views_open(trigger_id=new_trigger_id(), view=HOME)) == "invalid_arguments"

    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert await error_of(client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)) == "hash_conflict"
    assert await error_of(client.views_update(view_id="V404", view=MODAL)) == "not_found"

    home = (await client.views_publish(user_id="U1", view=HOME))["view"]
    again = (await client.views_publish(user_id="U1", view=HOME))["view"]
    assert home["type"] == "home" and again["id"] == home["id"]
    assert [v["hash"] for v in slack.views_published("U1")] == [home["hash"], again["hash"]]
    assert slack.views_published("U2") == []
    assert await error_of(client.views_publish(user_id="U404", view=HOME)) == "invalid_arguments"


async def test_missing_arguments_and_bad_bodies(slack: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("views.open", json={"view": MODAL})
    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == ["[ERROR] missing required field: trigger_id"]
    assert await error_of(client.api_call("conversations.invite", params={"channel": "C1"})) == "no_user"

    headers = {"Authorization": "Bearer xoxb-test", "Content-Type": "application/json"}
    assert (await post_raw(f"{slack.url}auth.test", data=b"{nope", headers=headers))[1]["error"] == "invalid_json"
    assert (await post_raw(f"{slack.url}auth.test", data=b"[1]", headers=headers))[1]["error"] == "json_not_object"
    form = {"token": "xoxb-test", "channel": "C1", "text": "form token"}  # a token in the form works too
    assert (await post_raw(f"{slack.url}chat.postMessage", data=form))[1]["ok"] is True


# ------------------------------------------------------------------------------------------------- faults


async def test_rate_limit_is_retried_by_slack_sdk_after_retry_after(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", times=1, status=429, retry_after=0)
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[AsyncRateLimitErrorRetryHandler()])
    assert (await client.chat_postMessage(channel="C1", text="after the wait"))["ok"]
    calls = slack.calls_to("chat.postMessage")
    assert [(c.status, c.error) for c in calls] == [(429, "ratelimited"), (200, None)]
    assert len(slack.messages("C1")) == 1  # the refused attempt had no effect

    slack.fail("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:  # no retry handler: the 429 reaches the caller
        await AsyncWebClient(token="xoxb-test", base_url=slack.url).chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"


async def test_server_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("conversations.create", status=500)
    with pytest.raises(SlackApiError) as raised:
        await client.conversations_create(name="swarm-3")
    assert (raised.value.response.status_code, raised.value.response["error"]) == (500, "internal_error")
    assert slack.channel_by_name("swarm-3") is None

    slack.fail("*", times=2, status=503)  # "*": whatever is called next
    retrying = AsyncWebClient(
        token="xoxb-test",
        base_url=slack.url,
        retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=QUICK)],
    )
    assert (await retrying.conversations_create(name="swarm-3"))["ok"]
    assert [c.status for c in slack.calls_to("conversations.create")] == [500, 503, 503, 200]

    slack.fail("chat.postMessage", status=200, error="restricted_action")
    assert await error_of(client.chat_postMessage(channel="C1", text="x")) == "restricted_action"


async def test_dropped_connections(slack: FakeSlack) -> None:
    handler = AsyncConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=QUICK)
    client = AsyncWebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[handler])
    slack.drop("chat.postMessage", times=1)
    assert (await client.chat_postMessage(channel="C1", text="second try"))["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [0, 200]

    slack.drop("chat.postMessage", times=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel="C1", text="lost")
    assert [m["text"] for m in slack.messages("C1")] == ["second try"]


async def test_stall_outlasts_a_client_timeout_and_the_post_still_lands(slack: FakeSlack) -> None:
    slack.stall("chat.postMessage", 0.3)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.05)) as session:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url, session=session, retry_handlers=[])
        with pytest.raises(TimeoutError):
            await client.chat_postMessage(channel="C1", text="slow")
    call = slack.calls_to("chat.postMessage")[0]
    assert call.status == 0 and slack.messages("C1") == []
    for _ in range(100):
        if call.status:
            break
        await asyncio.sleep(0.01)
    assert call.ok and [m["text"] for m in slack.messages("C1")] == ["slow"]


async def test_closing_releases_stalled_calls() -> None:
    started = time.monotonic()
    async with FakeSlack() as fake:
        fake.stall("auth.test", 30)
        request = asyncio.create_task(
            AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[]).auth_test()
        )
        for _ in range(200):  # until the request is in
            if fake.calls:
                break
            await asyncio.sleep(0.005)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await request
    assert time.monotonic() - started < 2


async def test_chaos_is_random_but_seeded() -> None:
    async def statuses(seed: int) -> list[int]:
        async with FakeSlack() as fake:
            fake.chaos(rate=0.3, seed=seed, statuses=(429, 500, 503))
            for _ in range(40):
                await post_raw(f"{fake.url}api.test", headers={"Authorization": "Bearer xoxb-test"})
            return [call.status for call in fake.calls]

    first, again, other = await statuses(1), await statuses(1), await statuses(2)
    assert first == again != other
    assert {429, 500, 503, 200} == set(first) and 3 <= first.count(200) < 40


async def test_chaos_spares_other_methods_and_turns_off(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.chaos(rate=1.0, statuses=(503,), methods=["chat.postMessage"])
    assert (await client.auth_test())["ok"]
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="x")
    slack.chaos(rate=0)
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


# ---------------------------------------------------------------------------------------------- response_url


async def test_response_urls_answer_like_slack(slack: FakeSlack, client: AsyncWebClient) -> None:
    command_url = hook_url(slack.hooks_url, "commands", "C1", "U1")
    async with aiohttp.ClientSession() as session:

        async def post(url: str, body: dict[str, Any]) -> tuple[int, str]:
            async with session.post(url, json=body) as response:
                return response.status, await response.text()

        assert await post(command_url, {"text": "only for you"}) == (200, "ok")
        assert await post(command_url, {"text": "for all", "response_type": "in_channel"}) == (200, "ok")
        assert [e["text"] for e in slack.ephemerals("U1")] == ["only for you"]
        assert [m["text"] for m in slack.messages("C1")] == ["for all"]
        assert await post(command_url, {}) == (400, "no_text")

        posted = await client.chat_postMessage(channel="C1", text="Swarm 1 [Join]")
        action_url = hook_url(slack.hooks_url, "actions", "C1", "U2", posted["ts"])
        assert await post(action_url, {"text": "Swarm 1 (joined)", "replace_original": True}) == (200, "ok")
        assert slack.messages("C1")[-1]["text"] == "Swarm 1 (joined)"
        assert await post(action_url, {"delete_original": True}) == (200, "ok")
        assert [m["text"] for m in slack.messages("C1")] == ["for all"]

        for _ in range(2):
            await post(command_url, {"text": "again"})
        assert await post(command_url, {"text": "sixth"}) == (404, "used_url")
    assert [c.status for c in slack.calls_to("response_url")] == [200, 200, 400, 200, 200, 200, 200, 404]
