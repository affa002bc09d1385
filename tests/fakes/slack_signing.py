"""Requests into our server, signed and shaped the way Slack sends them.

    async with SlackSender(server_url, "signing-secret", hooks_url=slack.hooks_url) as sender:
        status, body = await sender.slash("ACME cannot export #billing", user_id="U1", channel_id="C1")
        status, body = await sender.event(reaction_event("U2", "raising_hand", "C1", ts))

Signing is Slack's v0 scheme: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))` with the
timestamp in `X-Slack-Request-Timestamp` (https://api.slack.com/authentication/verifying-requests-from-slack).
Slash commands are form fields; events a JSON `event_callback` envelope (`events_async_v1.json`); block actions and
view submissions a form with one `payload=<json>` field. Trigger ids and response_urls come from `slack_api`, so a
FakeSlack can check a trigger's age and answer `respond()`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode

import aiohttp

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, hook_url, new_trigger_id

JSON = dict[str, Any]
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# Where response_urls point when no FakeSlack is given: loopback port 9 (discard) refuses at once, so a stray
# respond() fails fast and nothing ever leaves the machine.
NOWHERE = "http://127.0.0.1:9/hooks/"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The v0 signature of `body` sent at `timestamp` (seconds)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def message_event(
    channel: str,
    user: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    bot_id: str | None = None,
    subtype: str | None = None,
    *,
    team: str = TEAM_ID,
    channel_type: str | None = None,
) -> JSON:
    """A `message` event. A person's message carries client_msg_id and the rich_text block Slack derives from the
    text; with `bot_id` it is a bot's post (the bot's own: bot_id="B0001", user="UBOT"). Edits and deletions have
    another shape: `message_changed`, `message_deleted`."""
    event: JSON = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "team": team}
    if bot_id is None:
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
        event["client_msg_id"] = secrets.token_hex(16)
        event["blocks"] = [{"type": "rich_text", "block_id": secrets.token_hex(3), "elements": [section]}]
    else:
        event["bot_id"] = bot_id
        event["app_id"] = APP_ID if bot_id == BOT_ID else f"A{bot_id[1:]}"
    if subtype is not None:
        event["subtype"] = subtype
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event["event_ts"] = ts
    event["channel_type"] = channel_type or _channel_type(channel)
    return event


def _said(user: str, text: str, ts: str, team: str) -> JSON:
    """A person's message as Slack nests it in an edit or a deletion: no channel, no event_ts."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {
        "client_msg_id": secrets.token_hex(16),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "blocks": [{"type": "rich_text", "block_id": secrets.token_hex(3), "elements": [section]}],
    }


def message_changed(
    channel: str,
    user: str,
    ts: str,
    before: str,
    after: str,
    *,
    team: str = TEAM_ID,
    attachments: list[JSON] | None = None,
) -> JSON:
    """A `message_changed` as Slack sends it: the message as it is now in `message` (with `edited` when its words
    changed), as it was in `previous_message`, and the change's own ts at the top, which has no user or text. With
    `attachments` and the same words it is the change Slack makes when it adds a link preview (an unfurl)."""
    now = _said(user, after, ts, team)
    if before != after:
        now["edited"] = {"user": user, "ts": f"{int(time.time())}.000000"}
    if attachments is not None:
        now["attachments"] = attachments
    change = _now_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": now,
        "previous_message": _said(user, before, ts, team),
        "channel": channel,
        "hidden": True,
        "ts": change,
        "event_ts": change,
        "channel_type": _channel_type(channel),
    }


def message_deleted(channel: str, user: str, ts: str, text: str, *, team: str = TEAM_ID) -> JSON:
    """A `message_deleted`: the message that is gone in `previous_message` and `deleted_ts`, the deletion's own ts
    at the top."""
    change = _now_ts()
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "previous_message": _said(user, text, ts, team),
        "deleted_ts": ts,
        "ts": change,
        "event_ts": change,
        "channel_type": _channel_type(channel),
    }


def forwarded_message(
    channel: str, user: str, ts: str, words: str, from_channel: str, from_ts: str, *, team: str = TEAM_ID
) -> JSON:
    """A message forwarded (shared) into `channel`: empty `text`, the forwarded words in an attachment."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": words}]}
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{from_channel}/p{from_ts.replace('.', '')}"
    return {
        "user": user,
        "type": "message",
        "ts": ts,
        "text": "",
        "team": team,
        "attachments": [
            {
                "ts": from_ts,
                "author_id": user,
                "channel_id": from_channel,
                "channel_team": team,
                "is_msg_unfurl": True,
                "message_blocks": [
                    {
                        "team": team,
                        "channel": from_channel,
                        "ts": from_ts,
                        "message": {"blocks": [{"type": "rich_text", "block_id": "fwd", "elements": [section]}]},
                    }
                ],
                "color": "D0D0D0",
                "from_url": link,
                "is_share": True,
                "fallback": f"[earlier] {user.lower()}: {words}",
                "text": words,
                "author_name": user.lower(),
                "mrkdwn_in": ["text"],
                "footer": "Slack Conversation",
            }
        ],
        "channel": channel,
        "event_ts": ts,
        "channel_type": _channel_type(channel),
    }


def reaction_event(
    user: str, reaction: str, channel: str, ts: str, added: bool = True, item_user: str | None = None
) -> JSON:
    """`reaction_added` (or `reaction_removed`) on the message `ts` in `channel`; item_user defaults to the bot."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item_user": item_user or BOT_USER_ID,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": _now_ts(),
    }


def app_home_opened(user: str, channel: str | None = None, tab: str = "home", view: JSON | None = None) -> JSON:
    """`app_home_opened`; `view` is the home view published before, absent the first time."""
    event: JSON = {"type": "app_home_opened", "user": user, "channel": channel or f"D{user}", "tab": tab}
    if view is not None:
        event["view"] = view
    event["event_ts"] = _now_ts()
    return event


def _now_ts() -> str:
    return f"{time.time():.6f}"


@dataclass
class Exchange:
    """One request sent and its answer. `payload`: what the body says (form fields, the `payload=` JSON or the
    event envelope) — e.g. `sender.last.payload["event_id"]` to send the same event again."""

    url: str
    headers: dict[str, str]
    body: bytes
    payload: JSON
    status: int
    text: str


class SlackSender:
    """Sends Slack's requests to `base_url` + `path` (our server's Slack endpoint), signed with `signing_secret`."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        team_id: str = TEAM_ID,
        *,
        path: str = "/slack/events",
        hooks_url: str = NOWHERE,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = APP_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        verification_token: str = "legacy-verification-token",
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.hooks_url = hooks_url
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.verification_token = verification_token
        self.clock = clock  # e.g. lambda: time.time() - 600 for stale requests through the normal builders
        self.timeout = timeout
        self.last: Exchange | None = None
        self._session: aiohttp.ClientSession | None = None
        self._serial = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------------------------------- slash commands

    async def slash(
        self,
        text: str,
        user_id: str,
        channel_id: str,
        command: str = "/swarm",
        user_name: str | None = None,
        trigger_id: str | None = None,
        *,
        channel_name: str | None = None,
    ) -> tuple[int, str]:
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower()),
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": hook_url(self.hooks_url, "commands", channel_id, user_id),
            "trigger_id": trigger_id or new_trigger_id(self.clock()),
        }
        return await self._send(urlencode(fields).encode(), "application/x-www-form-urlencoded", fields)

    # ----------------------------------------------------------------------------------------------- events

    async def event(
        self,
        event: JSON,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> tuple[int, str]:
        """Delivers `event` in an `event_callback` envelope. Slack's retries resend the same envelope (same
        event_id) with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`."""
        self._serial += 1
        envelope: JSON = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._serial:04d}{secrets.token_hex(4).upper()}",
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
        return await self._send(json.dumps(envelope).encode(), "application/json", envelope, headers)

    async def url_verification(self, challenge: str = "challenge-token") -> tuple[int, str]:
        """The handshake Slack sends when the Request URL is saved; the app must echo `challenge`."""
        body: JSON = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return await self._send(json.dumps(body).encode(), "application/json", body)

    # ------------------------------------------------------------------------------------------ interactivity

    async def block_action(
        self,
        user: str,
        action_id: str,
        value: str,
        channel_id: str,
        message_ts: str,
        trigger_id: str | None = None,
        *,
        message: JSON | None = None,
        block_id: str | None = None,
        user_name: str | None = None,
        channel_name: str | None = None,
        is_ephemeral: bool = False,
    ) -> tuple[int, str]:
        """A click on the button `action_id` in the message `message_ts`. Pass `message` (e.g. from
        `slack.messages(channel)`) to send the real message; block_id and button text are then taken from it."""
        message = message or {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "text": ""}
        message = {**message, "ts": message_ts}
        element, found_block = _find_element(message, action_id)
        action = {
            "action_id": action_id,
            "block_id": block_id or found_block or "actions",
            "text": element.get("text", {"type": "plain_text", "text": action_id, "emoji": True}),
            "value": value,
            "type": element.get("type", "button"),
            "action_ts": _now_ts(),
        }
        payload: JSON = {
            "type": "block_actions",
            "user": self._user(user, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            },
            "trigger_id": trigger_id or new_trigger_id(self.clock()),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": channel_name or channel_id.lower()},
            "message": message,
            "state": {"values": {}},
            "response_url": hook_url(self.hooks_url, "actions", channel_id, user, message_ts),
            "actions": [action],
        }
        return await self._send_payload(payload)

    async def view_submission(
        self,
        user: str,
        callback_id: str,
        private_metadata: str,
        values: dict[str, dict[str, JSON]],
        view_id: str | None = None,
        *,
        view: JSON | None = None,
        trigger_id: str | None = None,
        user_name: str | None = None,
    ) -> tuple[int, str]:
        """A modal submitted with `values` (`{block_id: {action_id: {"type": ..., "value": ...}}}`). Pass `view`
        (e.g. from `slack.views[...]`) to submit the modal the app really opened; else its input blocks are built
        from `values`."""
        view_id = view_id or (view or {}).get("id") or f"V{secrets.token_hex(5).upper()}"
        blocks = [
            {
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": block_id, "emoji": True},
                "optional": False,
                "dispatch_action": False,
                "element": {"type": state.get("type", "plain_text_input"), "action_id": action_id},
            }
            for block_id, actions in values.items()
            for action_id, state in actions.items()
        ]
        submitted: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": blocks,
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": f"{int(self.clock())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "Swarm", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if view is not None:  # the opened view, as Slack keeps it, with what the user typed
            submitted = {**submitted, **view, "private_metadata": private_metadata, "callback_id": callback_id}
            submitted["state"] = {"values": values}
        payload: JSON = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id or new_trigger_id(self.clock()),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self._send_payload(payload)

    # ---------------------------------------------------------------------------------------------------- raw

    async def raw(
        self,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """`body` as is, for forged, stale and malformed requests. timestamp None: now; signature None: the valid
        signature of `body` at `timestamp`. An empty string leaves that header out."""
        stamp = str(int(self.clock())) if timestamp is None else str(timestamp)
        sent = dict(headers or {})
        if stamp:
            sent["X-Slack-Request-Timestamp"] = stamp
        signed = sign(self.signing_secret, stamp, body) if signature is None else signature
        if signed:
            sent["X-Slack-Signature"] = signed
        return await self._post(body, sent, {})

    # ------------------------------------------------------------------------------------------------ helpers

    def _user(self, user: str, user_name: str | None) -> JSON:
        name = user_name or user.lower()
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    async def _send_payload(self, payload: JSON) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send(body, "application/x-www-form-urlencoded", payload)

    async def _send(
        self, body: bytes, content_type: str, payload: JSON, extra: Mapping[str, str] | None = None
    ) -> tuple[int, str]:
        stamp = str(int(self.clock()))
        headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(self.signing_secret, stamp, body),
            **(extra or {}),
        }
        return await self._post(body, headers, payload)

    async def _post(self, body: bytes, headers: dict[str, str], payload: JSON) -> tuple[int, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        # data=bytes: aiohttp sends exactly these bytes, the ones that were signed.
        async with self._session.post(self.url, data=body, headers=headers) as response:
            text = await response.text()
        if not payload and body:
            payload = _decode(body)
        self.last = Exchange(self.url, headers, body, payload, response.status, text)
        return response.status, text


def _find_element(message: JSON, action_id: str) -> tuple[JSON, str | None]:
    """The element with `action_id` in the message's blocks (actions elements or a section accessory)."""
    for block in message.get("blocks") or []:
        elements = [*block.get("elements", []), block.get("accessory") or {}]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element, block.get("block_id")
    return {}, None


def _decode(body: bytes) -> JSON:
    """What a raw body says, best effort (raw() sends anything, including garbage)."""
    text = body.decode("utf-8", "replace")
    try:
        decoded = json.loads(text)
    except ValueError:
        form = dict(parse_qsl(text))
        try:
            decoded = json.loads(form["payload"]) if "payload" in form else form
        except ValueError:
            decoded = form
    return decoded if isinstance(decoded, dict) else {"body": decoded}
