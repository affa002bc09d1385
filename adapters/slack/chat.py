"""ChatPort on Slack's Web API for one workspace. Slack's quirks are answered here: a taken channel
name gets a suffix; `already_in_channel`, `already_reacted` and `already_archived` are success; an ephemeral reply
that cannot be shown where it was asked goes to the person's DM instead; one to a user Slack does not know is dropped
with a warning."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from handlers.chat import Form, Origin, Reply, Room

log = logging.getLogger(__name__)

ROOM_NAME_CHARS = 80
NAME_ATTEMPTS = 20
LIST_PAGE = 1000  # conversations.list's largest page
HISTORY_PAGE = 200  # conversations.history's page when looking for a marked post
MARK = "swarm_post"  # the metadata event type of a post_marked message
CLOCK_SKEW_SECONDS = 60  # Slack's clock against ours, when telling the swarm's own room from an older one
# Where a private reply cannot be shown as an ephemeral message, a DM is the next best place.
EPHEMERAL_FALLBACK = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}
# A private reply to someone Slack does not know (a forged or stale user id, a deleted account): there is nobody to
# tell, so it is dropped with a warning, not raised as a failure of the request.
NO_SUCH_USER = {"user_not_found", "user_not_visible", "user_disabled"}


@dataclass
class UserDirectory:
    """What Slack told us about people, kept per process: e-mail ↔ user id, so each is asked once."""

    by_email: dict[tuple[str, str], str | None] = field(default_factory=dict)
    profiles: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    known: set[tuple[str, str]] = field(default_factory=set)  # (team, user) the roster already has
    # (team, user) whom users.info called a workspace admin or owner: Swarm's admins too (docs/permissions.md).
    admins: set[tuple[str, str]] = field(default_factory=set)


def _error(err: SlackApiError) -> str:
    return str(err.response.get("error", "")) if err.response is not None else ""


def _nobody(user: str, err: SlackApiError) -> None:
    log.warning("no private reply to Slack user %r: %s", user, _error(err))


class SlackChat:
    platform = "slack"

    def __init__(self, client: AsyncWebClient, team: str, bot_user: str | None, directory: UserDirectory) -> None:
        self.client = client
        self.team = team
        self.bot_user = bot_user
        self.directory = directory

    async def post(self, channel: str, reply: Reply, thread: str | None = None) -> str:
        return await self._post(channel, reply, thread)

    async def post_marked(self, channel: str, reply: Reply, key: str, thread: str | None = None) -> str:
        # Slack's message metadata: kept with the message, shown by conversations.history on request.
        return await self._post(channel, reply, thread, {"event_type": MARK, "event_payload": {"key": key}})

    async def _post(
        self, channel: str, reply: Reply, thread: str | None = None, metadata: dict[str, Any] | None = None
    ) -> str:
        response = await self.client.chat_postMessage(
            channel=channel,
            text=blocks.fallback(reply),
            blocks=blocks.blocks(reply),
            thread_ts=thread,
            unfurl_links=False,
            unfurl_media=False,
            metadata=metadata,
        )
        return str(response["ts"])

    async def find_post(self, channel: str, key: str, since: datetime, thread: str | None = None) -> str | None:
        oldest = str(since.timestamp() - CLOCK_SKEW_SECONDS)
        if thread is None:
            first = await self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=HISTORY_PAGE
            )
        else:
            first = await self.client.conversations_replies(
                channel=channel, ts=thread, oldest=oldest, include_all_metadata=True, limit=HISTORY_PAGE
            )
        async for response in first:  # slack_sdk follows next_cursor
            messages: list[dict[str, Any]] = response.get("messages", [])
            for message in messages:
                metadata = message.get("metadata") or {}
                mine = message.get("user") == self.bot_user and metadata.get("event_type") == MARK
                if mine and metadata.get("event_payload", {}).get("key") == key:
                    return str(message["ts"])
        return None

    async def post_private(self, channel: str, user: str, reply: Reply) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=blocks.fallback(reply), blocks=blocks.blocks(reply)
            )
        except SlackApiError as err:
            if _error(err) in NO_SUCH_USER:
                _nobody(user, err)
                return
            if _error(err) not in EPHEMERAL_FALLBACK:
                raise
            await self.direct(user, reply)

    async def direct(self, user: str, reply: Reply) -> None:
        try:
            channel = await self._dm(user)
        except SlackApiError as err:
            if _error(err) not in NO_SUCH_USER:
                raise
            _nobody(user, err)
            return
        await self.post(channel, reply)

    async def pin(self, channel: str, message_id: str) -> None:
        try:
            await self.client.pins_add(channel=channel, timestamp=message_id)
        except SlackApiError as err:
            if _error(err) != "already_pinned":
                raise

    async def update(self, channel: str, message_id: str, reply: Reply) -> None:
        await self.client.chat_update(
            channel=channel, ts=message_id, text=blocks.fallback(reply), blocks=blocks.blocks(reply)
        )

    async def create_room(
        self, name: str, topic: str, private: bool = False, made_since: datetime | None = None
    ) -> Room:
        for attempt in range(1, NAME_ATTEMPTS + 1):
            candidate = name if attempt == 1 else f"{name[: ROOM_NAME_CHARS - len(str(attempt)) - 1]}-{attempt}"
            try:
                response = await self.client.conversations_create(name=candidate, is_private=private)
            except SlackApiError as err:
                if _error(err) != "name_taken":
                    raise
                own = await self._own_room(candidate, made_since) if made_since is not None else None
                if own is not None:
                    log.warning("channel #%s was made before a crash lost its id: the swarm takes it", candidate)
                    return own
                continue
            channel = response["channel"]
            # The topic comes after the room is saved (set_topic): a crash in between must not leave a room the
            # swarm does not know about, which finishing the opening would make a second time.
            return Room(str(channel["id"]), str(channel["name"]))
        raise RuntimeError(f"no free channel name like {name} after {NAME_ATTEMPTS} tries")

    async def _own_room(self, name: str, made_since: datetime) -> Room | None:
        """The open channel of that name, if the bot made it since `made_since`; Slack finds channels by id only, so
        the bot's channels are listed (this runs only when the swarm's own room name is taken)."""
        since = made_since.timestamp() - CLOCK_SKEW_SECONDS
        listed = await self.client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=LIST_PAGE
        )
        async for response in listed:  # slack_sdk follows next_cursor
            channels: list[dict[str, Any]] = response.get("channels", [])
            for channel in channels:
                if channel.get("name") == name:
                    mine = channel.get("creator") == self.bot_user and float(channel.get("created", 0)) >= since
                    return Room(str(channel["id"]), name) if mine else None
        return None

    async def set_topic(self, room: str, topic: str) -> None:
        await self.client.conversations_setTopic(channel=room, topic=topic)

    async def invite(self, room: str, users: list[str]) -> None:
        people = sorted({u for u in users if u and u != self.bot_user})
        if not people:
            return
        try:
            await self.client.conversations_invite(channel=room, users=",".join(people))
        except SlackApiError as err:
            if _error(err) == "already_in_channel":
                return
            if len(people) == 1:
                if _error(err) not in NO_SUCH_USER:
                    raise
                log.warning("not inviting %s to %s: %s", people[0], room, _error(err))
                return
            # One unknown or already-present person fails the whole call; the others still belong in the room.
            for user in people:
                try:
                    await self.client.conversations_invite(channel=room, users=user)
                except SlackApiError as single:
                    if _error(single) not in ("already_in_channel", "user_not_found", "cant_invite"):
                        raise
                    log.info("not inviting %s to %s: %s", user, room, _error(single))

    async def react(self, channel: str, message_id: str, emoji: str) -> None:
        try:
            await self.client.reactions_add(channel=channel, timestamp=message_id, name=emoji)
        except SlackApiError as err:
            if _error(err) != "already_reacted":
                raise

    async def archive(self, room: str) -> None:
        try:
            await self.client.conversations_archive(channel=room)
        except SlackApiError as err:
            if _error(err) != "already_archived":
                raise

    async def open_form(self, origin: Origin, trigger: str | None, form: Form) -> bool:
        if not trigger:
            return False
        try:
            await self.client.views_open(trigger_id=trigger, view=blocks.modal(form, origin.channel))
        except SlackApiError as err:
            # A trigger lives 3 s; past that the caller falls back to what works without a form.
            if _error(err) in ("expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"):
                return False
            raise
        return True

    async def show_home(self, user: str, reply: Reply) -> None:
        try:
            await self.client.views_publish(user_id=user, view=blocks.home_view(reply))
        except SlackApiError as err:
            # A Home tab for someone Slack does not know (a forged event, a user gone since): nobody to show it to.
            about_user = any("user_id" in m for m in err.response.get("response_metadata", {}).get("messages", []))
            if _error(err) not in NO_SUCH_USER and not (_error(err) == "invalid_arguments" and about_user):
                raise
            _nobody(user, err)

    async def find_user(self, email: str) -> str | None:
        key = (self.team, email.lower())
        if key not in self.directory.by_email:
            try:
                response = await self.client.users_lookupByEmail(email=email)
                self.directory.by_email[key] = str(response["user"]["id"])
            except SlackApiError as err:
                if _error(err) != "users_not_found":
                    raise
                self.directory.by_email[key] = None
        return self.directory.by_email[key]

    async def profile(self, user: str) -> tuple[str | None, str | None]:
        """(display name, e-mail) of a user, asked once per process; (None, None) if Slack will not say. Whether
        Slack calls them an admin or owner is kept with it (`is_admin`)."""
        key = (self.team, user)
        if key not in self.directory.profiles:
            try:
                response = await self.client.users_info(user=user)
                info = response["user"]
                profile = info.get("profile", {})
                name = profile.get("real_name") or info.get("real_name") or info.get("name")
                self.directory.profiles[key] = (name, profile.get("email"))
                if any(info.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner")):
                    self.directory.admins.add(key)
            except SlackApiError as err:
                log.warning("users.info %s failed: %s", user, _error(err))
                return None, None
        return self.directory.profiles[key]

    def is_admin(self, user: str) -> bool:
        """Whether users.info, when `profile` asked it, said the user administers or owns the workspace."""
        return (self.team, user) in self.directory.admins

    async def _dm(self, user: str) -> str:
        response = await self.client.conversations_open(users=user)
        return str(response["channel"]["id"])
