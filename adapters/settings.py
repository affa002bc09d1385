"""All configuration, read once from the environment (and a .env file) into one Settings object."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.swarms import Policy
from handlers.context import Conventions


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///swarm.db", validation_alias="SWARM_DATABASE_URL")

    # The bot's own policy.
    experts_per_swarm: int | None = Field(None, ge=1, le=10, validation_alias="SWARM_EXPERTS_PER_SWARM")
    expert_timeout_minutes: float = Field(15, gt=0, validation_alias="SWARM_EXPERT_TIMEOUT")
    expertise_half_life_days: float = Field(180, gt=0, validation_alias="SWARM_EXPERTISE_HALF_LIFE_DAYS")
    join_emoji: str = Field("raising_hand", validation_alias="SWARM_JOIN_EMOJI")
    observe_emoji: str = Field("eyes", validation_alias="SWARM_OBSERVE_EMOJI")
    solution_emoji: str = Field("white_check_mark", validation_alias="SWARM_SOLUTION_EMOJI")
    private_rooms: bool = Field(False, validation_alias="SWARM_PRIVATE_ROOMS")
    archive_on_resolve: bool = Field(False, validation_alias="SWARM_ARCHIVE_ON_RESOLVE")
    log_level: str = Field("WARNING", validation_alias="SWARM_LOG_LEVEL")
    # `text` (LEVEL logger: message) or `json` (one object a line: ts, level, logger, message, exc_info).
    log_format: Literal["text", "json"] = Field("text", validation_alias="SWARM_LOG_FORMAT")
    # Knowledge-base search: auto (hybrid when the semantic extra is installed), on (required), off (keyword only).
    semantic: Literal["auto", "on", "off"] = Field("auto", validation_alias="SWARM_SEMANTIC")

    # How many swarms one person may open in a window: `COUNT/WINDOW`, the window in m(inutes), h(ours) or d(ays),
    # e.g. `5/10m` (the default) or `20/1h`; `off` for no limit.
    open_limit: str = Field("5/10m", validation_alias="SWARM_OPEN_LIMIT")

    # Automation (issue 7): summaries, nudges, digests, on the scheduler.
    quiet_after_hours: float = Field(4, gt=0, validation_alias="SWARM_QUIET_AFTER")  # working hours of the owner
    catchup_after_messages: int = Field(5, ge=0, validation_alias="SWARM_CATCHUP_AFTER")
    article_reminder_minutes: float = Field(60, gt=0, validation_alias="SWARM_ARTICLE_REMINDER_AFTER")
    # Empty: no digest until someone types `/swarm digest here` in a channel.
    digest_channel: str = Field("", validation_alias="SWARM_DIGEST_CHANNEL")
    digest_time: time = Field(time(9, 0), validation_alias="SWARM_DIGEST_TIME")
    digest_timezone: str = Field("UTC", validation_alias="SWARM_DIGEST_TZ")
    # A job that could not run on time (the server was down) still runs if it is at most this late; later, once.
    job_grace_minutes: float = Field(60, gt=0, validation_alias="SWARM_JOB_GRACE")
    # How old an interrupted opening must be before a start-up finishes it (handlers/opening.py SETTLE: younger ones
    # may still be under way in another process), and how long a worker holds a delivery it took before another
    # may take it again (adapters/inbox.py LEASE). Keep the defaults in production; tests shorten them so a crash
    # is recovered from in seconds.
    resume_settle_seconds: float = Field(180, ge=0, validation_alias="SWARM_RESUME_SETTLE_SECONDS")
    inbox_lease_seconds: float = Field(120, gt=0, validation_alias="SWARM_INBOX_LEASE_SECONDS")

    # Slack (issue 3) and Teams (issue 4) read these; the console needs none of them.
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    microsoft_app_id: str = Field("", validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: str = Field("", validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_type: str = Field("MultiTenant", validation_alias="MICROSOFT_APP_TYPE")
    microsoft_app_tenant_id: str = Field("", validation_alias="MICROSOFT_APP_TENANT_ID")
    # The Teams channel (19:…@thread.tacv2) where swarm rooms start as threads; empty: where the swarm was asked.
    teams_channel: str = Field("", validation_alias="SWARM_TEAMS_CHANNEL")

    # The web pages and /metrics (issue 8). No page is public: sign in with Slack, or with this token.
    web_token: str | None = Field(None, validation_alias="SWARM_WEB_TOKEN")
    # Whose data a token session sees; empty: the single Slack workspace, else the one workspace with data, else
    # the console.
    web_workspace: str = Field("", validation_alias="SWARM_WEB_WORKSPACE")
    # The address people open the pages at (https://swarm.example.com), for Sign in with Slack's redirect URL;
    # empty: the address of each request.
    web_url: str = Field("", validation_alias="SWARM_WEB_URL")
    # Signs the session cookies; empty: derived from SWARM_WEB_TOKEN and the Slack secrets.
    # Also encrypts the Slack OAuth tokens stored in the database (adapters/slack/tokens.py).
    secret_key: str | None = Field(None, validation_alias="SWARM_SECRET_KEY")
    # Multi-workspace `swarm serve` refuses to store OAuth tokens unencrypted (no SWARM_SECRET_KEY) unless this is set.
    allow_plaintext_tokens: bool = Field(False, validation_alias="SWARM_ALLOW_PLAINTEXT_TOKENS")
    metrics_public: bool = Field(False, validation_alias="SWARM_METRICS_PUBLIC")

    @field_validator("digest_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Madrid") from error
        return value

    @field_validator("open_limit")
    @classmethod
    def _open_limit_format(cls, value: str) -> str:
        parse_open_limit(value)
        return value

    def policy(self) -> Policy:
        limit, window = parse_open_limit(self.open_limit)
        return Policy(
            open_limit=limit,
            open_window=window,
            experts_per_swarm=self.experts_per_swarm,
            expert_timeout=timedelta(minutes=self.expert_timeout_minutes),
            quiet_after=timedelta(hours=self.quiet_after_hours),
            catchup_after=self.catchup_after_messages,
            article_reminder_after=timedelta(minutes=self.article_reminder_minutes),
        )

    def resume_settle(self) -> timedelta:
        return timedelta(seconds=self.resume_settle_seconds)

    def inbox_lease(self) -> timedelta:
        return timedelta(seconds=self.inbox_lease_seconds)

    def conventions(self) -> Conventions:
        return Conventions(
            join_emoji=self.join_emoji,
            observe_emoji=self.observe_emoji,
            solution_emoji=self.solution_emoji,
            private_rooms=self.private_rooms,
            archive_on_resolve=self.archive_on_resolve,
            digest_channel=self.digest_channel,
            digest_timezone=self.digest_timezone,
        )


_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_open_limit(value: str) -> tuple[int | None, timedelta]:
    """`5/10m` -> (5, 10 minutes); `off` -> (None, …). Raises ValueError, with the expected format, otherwise."""
    text = value.strip().lower()
    if text in ("off", "none", "0"):
        return None, timedelta(minutes=10)
    count, _, window = text.partition("/")
    try:
        limit, amount, unit = int(count), float(window[:-1]), _UNITS[window[-1:]]
    except (ValueError, KeyError):
        raise ValueError(
            f"SWARM_OPEN_LIMIT {value!r}: use COUNT/WINDOW such as 5/10m, 20/1h or 50/1d, or off"
        ) from None
    if limit < 1 or amount <= 0:
        raise ValueError(f"SWARM_OPEN_LIMIT {value!r}: the count and the window must be positive")
    return limit, timedelta(**{unit: amount})
