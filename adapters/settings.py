"""All configuration, read once from the environment (and a .env file) into one Settings object."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.forwarded import networks
from adapters.inbox import LEASE
from adapters.semantic_onnx import default_cache
from bot.swarms import Policy
from bot.tickets import parse_severities
from handlers.context import Conventions
from handlers.opening import SETTLE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///swarm.db",
        validation_alias="SWARM_DATABASE_URL",
        description="SQLite file, or `postgresql://user@host/db` for production",
    )

    # The bot's own policy.
    experts_per_swarm: int | None = Field(
        None,
        ge=1,
        le=10,
        validation_alias="SWARM_EXPERTS_PER_SWARM",
        description=(
            "caps the team of experts asked when a swarm opens, 1 to 10 (unset: by severity, 5 for sev1, 3 for sev2, "
            "2 for sev3 and sev4)"
        ),
    )
    expert_timeout_minutes: float = Field(
        15,
        gt=0,
        validation_alias="SWARM_EXPERT_TIMEOUT",
        description="minutes an invited expert has to answer before the next-best is asked",
    )
    expertise_half_life_days: float = Field(
        180,
        gt=0,
        validation_alias="SWARM_EXPERTISE_HALF_LIFE_DAYS",
        description="days after which a resolved swarm counts half as much as evidence of its helpers' expertise",
    )
    join_emoji: str = Field(
        "raising_hand",
        validation_alias="SWARM_JOIN_EMOJI",
        description="the reaction on an announcement that joins as helper",
    )
    observe_emoji: str = Field(
        "eyes",
        validation_alias="SWARM_OBSERVE_EMOJI",
        description="the reaction on an announcement that follows as observer",
    )
    solution_emoji: str = Field(
        "white_check_mark",
        validation_alias="SWARM_SOLUTION_EMOJI",
        description="the reaction on a room message that marks it as the fix",
    )
    private_rooms: bool = Field(
        False, validation_alias="SWARM_PRIVATE_ROOMS", description="create rooms as private channels"
    )
    archive_on_resolve: bool = Field(
        False, validation_alias="SWARM_ARCHIVE_ON_RESOLVE", description="archive the room when the swarm is resolved"
    )
    log_level: str = Field(
        "WARNING", validation_alias="SWARM_LOG_LEVEL", description="`DEBUG`, `INFO`, `WARNING` or `ERROR`"
    )
    # `text` (LEVEL logger: message) or `json` (one object a line: ts, level, logger, message, exc_info).
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias="SWARM_LOG_FORMAT",
        description=(
            "`text` (`LEVEL logger: message`) or `json` (one object a line: `ts`, `level`, `logger`, `message`, "
            "`exc_info`); secrets are redacted in both ([Logs](operating.md#logs))"
        ),
    )
    # Knowledge-base search: auto (hybrid when the semantic extra is installed), on (required), off (keyword only).
    semantic: Literal["auto", "on", "off"] = Field(
        "auto",
        validation_alias="SWARM_SEMANTIC",
        description=(
            "knowledge-base search: `auto` (hybrid when the `semantic` extra is installed), `on` (required), `off` "
            "(keyword)"
        ),
    )
    # Where the semantic extra keeps its model exported to ONNX Runtime (adapters/semantic_onnx.py); `off`: torch only.
    model_cache: str = Field(
        "",
        validation_alias="SWARM_MODEL_CACHE",
        description=(
            "directory for the `semantic` extra's model exported to ONNX Runtime, made once per package version "
            "(unset: the user's cache directory, `~/.cache/swarm/models` on Linux); `off`: run it on torch only"
        ),
    )

    # How many swarms one person may open in a window: `COUNT/WINDOW`, the window in m(inutes), h(ours) or d(ays),
    # e.g. `5/10m` (the default) or `20/1h`; `off` for no limit.
    open_limit: str = Field(
        "5/10m",
        validation_alias="SWARM_OPEN_LIMIT",
        description="swarms one person may open per window (`COUNT/WINDOW`, window in m, h or d; `off`)",
    )

    # Automation (issue 7): summaries, nudges, digests, on the scheduler.
    quiet_after_hours: float = Field(
        4,
        gt=0,
        validation_alias="SWARM_QUIET_AFTER",
        description='working hours of the owner a room may stay quiet before they are asked "still working?"',
    )  # working hours of the owner
    catchup_after_messages: int = Field(
        5,
        ge=0,
        validation_alias="SWARM_CATCHUP_AFTER",
        description="messages after which a joiner gets a private catch-up (0: never)",
    )
    article_reminder_minutes: float = Field(
        60,
        gt=0,
        validation_alias="SWARM_ARTICLE_REMINDER_AFTER",
        description="minutes after resolving that an owner whose article lacks its fix or cause is reminded",
    )
    # Empty: no digest until someone types `/swarm digest here` in a channel.
    digest_channel: str = Field(
        "",
        validation_alias="SWARM_DIGEST_CHANNEL",
        description="where digests and alerts go unless `/swarm digest here` chose a channel",
    )
    digest_time: time = Field(
        time(9, 0),
        validation_alias="SWARM_DIGEST_TIME",
        description="when the daily (and Monday's weekly) digest is posted",
    )
    digest_timezone: str = Field(
        "UTC",
        validation_alias="SWARM_DIGEST_TZ",
        description=(
            "the time zone (an IANA name such as `Europe/Madrid`) of `SWARM_DIGEST_TIME` and of the days that digests "
            "and `/swarm stats` count"
        ),
    )
    # A job that could not run on time (the server was down) still runs if it is at most this late; later, once.
    job_grace_minutes: float = Field(
        60,
        gt=0,
        validation_alias="SWARM_JOB_GRACE",
        description="minutes a scheduled job may run late (the server was down) and still run, once",
    )
    # How old an interrupted opening must be before a start-up finishes it (handlers/opening.py SETTLE: younger ones
    # may still be under way in another process), and how long a worker holds a delivery it took before another
    # may take it again (adapters/inbox.py LEASE). Keep the defaults in production; tests shorten them so a crash
    # is recovered from in seconds.
    resume_settle_seconds: float = Field(
        SETTLE.total_seconds(),
        ge=0,
        validation_alias="SWARM_RESUME_SETTLE_SECONDS",
        description=(
            "how old an interrupted opening or closing must be before a start-up finishes it (younger ones may "
            "still be under way in another process); tests shorten it"
        ),
    )
    inbox_lease_seconds: float = Field(
        LEASE.total_seconds(),
        gt=0,
        validation_alias="SWARM_INBOX_LEASE_SECONDS",
        description="how long a worker holds a delivery it took before another may take it again; tests shorten it",
    )

    # Slack (issue 3) and Teams (issue 4) read these; the console needs none of them.
    slack_bot_token: str | None = Field(
        None,
        validation_alias="SLACK_BOT_TOKEN",
        description="the bot token (`xoxb-…`) of a Slack app installed in one workspace",
    )
    slack_signing_secret: str | None = Field(
        None,
        validation_alias="SLACK_SIGNING_SECRET",
        description="proves that a request comes from Slack; with it set, `swarm serve` serves Slack's requests",
    )
    slack_app_token: str | None = Field(
        None,
        validation_alias="SLACK_APP_TOKEN",
        description="the app-level token (`xapp-…`) for Socket Mode (`swarm serve --socket-mode`)",
    )
    slack_client_id: str | None = Field(
        None,
        validation_alias="SLACK_CLIENT_ID",
        description="with `SLACK_CLIENT_SECRET`: installs in many workspaces through OAuth (`/slack/install`)",
    )
    slack_client_secret: str | None = Field(
        None,
        validation_alias="SLACK_CLIENT_SECRET",
        description="the Slack app's client secret, for OAuth installs (with `SLACK_CLIENT_ID`)",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias="SLACK_API_URL",
        description="the Web API base URL (tests point it at a loopback fake)",
    )
    slack_timeout_seconds: float = Field(
        10,
        gt=0,
        validation_alias="SWARM_SLACK_TIMEOUT_SECONDS",
        description="how long a Slack Web API call may take before it counts as failed; one safe to repeat (an "
        "invite, an edit, a read) is then sent again, a post is not (it may have landed)",
    )
    uninstall_data: Literal["keep", "delete"] = Field(
        "keep",
        validation_alias="SWARM_UNINSTALL_DATA",
        description="when a Slack workspace uninstalls Swarm: `keep` its data (until `swarm workspace forget`) or "
        "`delete` it at once ([Slack](slack.md#uninstalling))",
    )
    microsoft_app_id: str = Field(
        "",
        validation_alias="MICROSOFT_APP_ID",
        description=(
            "the Teams bot's app id (its Azure registration); with it set, `swarm serve` serves `POST /api/messages` "
            "with Bot Framework authentication on"
        ),
    )
    microsoft_app_password: str = Field(
        "",
        validation_alias="MICROSOFT_APP_PASSWORD",
        description="the client secret of the Teams bot's Azure registration",
    )
    microsoft_app_type: str = Field(
        "MultiTenant",
        validation_alias="MICROSOFT_APP_TYPE",
        description="`MultiTenant`, or `SingleTenant` with `MICROSOFT_APP_TENANT_ID`",
    )
    microsoft_app_tenant_id: str = Field(
        "",
        validation_alias="MICROSOFT_APP_TENANT_ID",
        description="the Azure tenant id of a `SingleTenant` bot",
    )
    teams_emulator: bool = Field(
        False,
        validation_alias="SWARM_TEAMS_EMULATOR",
        description=(
            "`true` to try Teams locally with the Bot Framework Emulator: `POST /api/messages` with authentication "
            "OFF, accepting the emulator's activities; `swarm serve` refuses it unless it binds to a loopback address"
        ),
    )
    # Bot Framework endpoints for clouds other than the public one: the SDK's configuration, under these names.
    microsoft_channel_service: str = Field(
        "",
        validation_alias="MICROSOFT_CHANNEL_SERVICE",
        description=(
            "the Bot Framework cloud: empty for the public one, `https://botframework.azure.us` for US Government "
            "(the SDK's own endpoints for it)"
        ),
    )
    microsoft_openid_metadata_url: str = Field(
        "",
        validation_alias="MICROSOFT_OPENID_METADATA_URL",
        description=(
            "another cloud: the OpenID metadata of the tokens the Bot Framework sends (with the three below; all "
            "four or none)"
        ),
    )
    microsoft_token_issuer: str = Field(
        "",
        validation_alias="MICROSOFT_TOKEN_ISSUER",
        description="another cloud: the issuer of the tokens the Bot Framework sends",
    )
    microsoft_login_url: str = Field(
        "",
        validation_alias="MICROSOFT_LOGIN_URL",
        description="another cloud: where the bot gets its own tokens (the login authority)",
    )
    microsoft_oauth_scope: str = Field(
        "",
        validation_alias="MICROSOFT_OAUTH_SCOPE",
        description="another cloud: the scope of the bot's own tokens for the connector",
    )
    # The Teams channel (19:…@thread.tacv2) where swarm rooms start as threads; empty: where the swarm was asked.
    teams_channel: str = Field(
        "",
        validation_alias="SWARM_TEAMS_CHANNEL",
        description=(
            "the Teams channel (`19:…@thread.tacv2`) where swarm threads (rooms) are started (unset: the channel "
            "the swarm was asked in)"
        ),
    )

    # The web pages and /metrics (issue 8). No page is public: sign in with Slack, or with this token.
    web_token: str | None = Field(
        None,
        validation_alias="SWARM_WEB_TOKEN",
        description="the token that opens the web pages and `/metrics`; with it alone, `swarm serve` serves the pages",
    )
    # Whose data a token session sees, and the workspace of `swarm` commands without --workspace; empty: the single
    # Slack workspace, else the one workspace with data, else the console (adapters/workspaces.py).
    web_workspace: str = Field(
        "",
        validation_alias="SWARM_WEB_WORKSPACE",
        description=(
            "whose data a token session sees, and the workspace of `swarm` commands without `--workspace` (unset: "
            "the single Slack workspace, else the one workspace with data, else the console's)"
        ),
    )
    # The address people open the pages at (https://swarm.example.com), for Sign in with Slack's redirect URL and the
    # API's links; empty: the address of each request. `swarm kb search` asks the server there (adapters/kb_remote.py).
    web_url: str = Field(
        "",
        validation_alias="SWARM_WEB_URL",
        description=(
            "the public address of the pages, for Sign in with Slack's redirect URL and the links of `/api/kb` (unset: "
            "the address of each request); with `SWARM_WEB_TOKEN`, `swarm kb search` asks the server there"
        ),
    )
    # The reverse proxies (addresses or networks) whose X-Forwarded-Proto and X-Forwarded-For are believed
    # (adapters/forwarded.py); empty: none, a request is what its connection says. docs/security.md.
    trusted_proxies: str = Field(
        "",
        validation_alias="SWARM_TRUSTED_PROXIES",
        description=(
            "the reverse proxies whose `X-Forwarded-Proto` and `X-Forwarded-For` are believed: addresses or networks, "
            "comma-separated (`127.0.0.1, 10.0.0.0/8`); unset: none ([Security](security.md#behind-a-proxy))"
        ),
    )
    # Signs the session cookies; empty: derived from SWARM_WEB_TOKEN and the Slack secrets.
    # Also encrypts the Slack OAuth tokens stored in the database (adapters/slack/tokens.py).
    secret_key: str | None = Field(
        None,
        validation_alias="SWARM_SECRET_KEY",
        description=(
            "signs the session cookies; set it to keep sessions across a token change. Also encrypts the stored Slack "
            "OAuth tokens: required by `swarm serve` with `SLACK_CLIENT_ID` ([Secrets](operating.md#secrets))"
        ),
    )
    # Multi-workspace `swarm serve` refuses to store OAuth tokens unencrypted (no SWARM_SECRET_KEY) unless this is set.
    allow_plaintext_tokens: bool = Field(
        False,
        validation_alias="SWARM_ALLOW_PLAINTEXT_TOKENS",
        description=(
            "`true`: multi-workspace `swarm serve` may run without `SWARM_SECRET_KEY`, storing OAuth tokens unencrypted"
        ),
    )
    metrics_public: bool = Field(
        False, validation_alias="SWARM_METRICS_PUBLIC", description="`true`: `/metrics` needs no token"
    )

    # Ticket systems (issue 25; docs/zendesk.md). Zendesk is set up when its URL, e-mail and API token are all set.
    zendesk_url: str = Field(
        "",
        validation_alias="ZENDESK_URL",
        description=(
            "the Zendesk account's address (`https://acme.zendesk.com`; any address for a sandbox or a test fake); "
            "unset: no Zendesk ([Zendesk](zendesk.md))"
        ),
    )
    zendesk_email: str = Field(
        "",
        validation_alias="ZENDESK_EMAIL",
        description="the e-mail of the Zendesk agent Swarm acts as (its notes are that agent's)",
    )
    zendesk_api_token: str | None = Field(
        None, validation_alias="ZENDESK_API_TOKEN", description="an API token of the Zendesk account (Admin Center)"
    )
    zendesk_webhook_secret: str | None = Field(
        None,
        validation_alias="ZENDESK_WEBHOOK_SECRET",
        description="the signing secret of the Zendesk webhook that opens swarms from tickets",
    )
    # Salesforce Service Cloud (docs/salesforce.md): set up when its URL, client id and client secret are all set.
    salesforce_url: str = Field(
        "",
        validation_alias="SALESFORCE_URL",
        description=(
            "the org's My Domain address (`https://acme.my.salesforce.com`; any address for a test fake); unset: no "
            "Salesforce ([Salesforce](salesforce.md))"
        ),
    )
    salesforce_client_id: str = Field(
        "",
        validation_alias="SALESFORCE_CLIENT_ID",
        description="the consumer key of the app whose client credentials flow Swarm signs in with",
    )
    salesforce_client_secret: str | None = Field(
        None, validation_alias="SALESFORCE_CLIENT_SECRET", description="that app's consumer secret"
    )
    salesforce_webhook_secret: str | None = Field(
        None,
        validation_alias="SALESFORCE_WEBHOOK_SECRET",
        description="the secret the org's Apex signs its callouts to Swarm with (at least 32 random characters)",
    )
    # Jira Service Management (docs/jira.md): set up when its URL, e-mail and API token are all set.
    jira_url: str = Field(
        "",
        validation_alias="JIRA_URL",
        description=(
            "the Jira site's address (`https://acme.atlassian.net`; any address for a test fake); unset: no Jira "
            "Service Management ([Jira Service Management](jira.md))"
        ),
    )
    jira_email: str = Field(
        "",
        validation_alias="JIRA_EMAIL",
        description="the e-mail of the Atlassian account Swarm acts as, a JSM agent (its comments are that agent's)",
    )
    jira_api_token: str | None = Field(
        None, validation_alias="JIRA_API_TOKEN", description="an API token of that Atlassian account"
    )
    jira_webhook_secret: str | None = Field(
        None,
        validation_alias="JIRA_WEBHOOK_SECRET",
        description="the secret of the Jira admin webhook that opens swarms from requests",
    )
    ticket_channel: str = Field(
        "",
        validation_alias="SWARM_TICKET_CHANNEL",
        description=(
            "the channel (its id) where swarms opened from a ticket system's webhook are announced; unset: the "
            "webhook opens none"
        ),
    )
    ticket_workspace: str = Field(
        "",
        validation_alias="SWARM_TICKET_WORKSPACE",
        description=(
            "the workspace (a Slack team id, a Teams tenant id) of swarms opened from a ticket system's webhook; "
            "unset: the first the chat platforms serve"
        ),
    )
    ticket_severity: str = Field(
        "urgent=1, highest=1, critical=1, high=2, normal=3, medium=3, low=4, lowest=4",
        validation_alias="SWARM_TICKET_SEVERITY",
        description="a ticket's priority → the severity its swarm opens at (`PRIORITY=SEVERITY`, comma-separated)",
    )
    ticket_timeout_seconds: float = Field(
        10,
        gt=0,
        validation_alias="SWARM_TICKET_TIMEOUT_SECONDS",
        description="how long a call to a ticket system may take before it counts as down",
    )

    @model_validator(mode="after")
    def _bot_framework_endpoints_together(self) -> Settings:
        endpoints = [
            self.microsoft_openid_metadata_url,
            self.microsoft_token_issuer,
            self.microsoft_login_url,
            self.microsoft_oauth_scope,
        ]
        if any(endpoints) and not all(endpoints):
            raise ValueError(
                "MICROSOFT_OPENID_METADATA_URL, MICROSOFT_TOKEN_ISSUER, MICROSOFT_LOGIN_URL and MICROSOFT_OAUTH_SCOPE "
                "go together: set all four for another cloud, or none"
            )
        return self

    @field_validator("digest_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Madrid") from error
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        networks(value)
        return value

    @field_validator("ticket_severity")
    @classmethod
    def _ticket_severity_format(cls, value: str) -> str:
        parse_severities(value)
        return value

    @model_validator(mode="after")
    def _zendesk_together(self) -> Settings:
        zendesk = [self.zendesk_url, self.zendesk_email, self.zendesk_api_token]
        if any(zendesk) and not all(zendesk):
            raise ValueError("ZENDESK_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN go together: set all three, or none")
        if self.zendesk_url and not self.zendesk_url.lower().startswith(("https://", "http://")):
            raise ValueError(f"ZENDESK_URL {self.zendesk_url!r} is no address: use https://SUBDOMAIN.zendesk.com")
        return self

    @model_validator(mode="after")
    def _salesforce_together(self) -> Settings:
        salesforce = [self.salesforce_url, self.salesforce_client_id, self.salesforce_client_secret]
        if any(salesforce) and not all(salesforce):
            raise ValueError(
                "SALESFORCE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET go together: set all three, or none"
            )
        if self.salesforce_url and not self.salesforce_url.lower().startswith(("https://", "http://")):
            raise ValueError(
                f"SALESFORCE_URL {self.salesforce_url!r} is no address: use https://MYDOMAIN.my.salesforce.com"
            )
        return self

    @model_validator(mode="after")
    def _jira_together(self) -> Settings:
        jira = [self.jira_url, self.jira_email, self.jira_api_token]
        if any(jira) and not all(jira):
            raise ValueError("JIRA_URL, JIRA_EMAIL and JIRA_API_TOKEN go together: set all three, or none")
        if self.jira_url and not self.jira_url.lower().startswith(("https://", "http://")):
            raise ValueError(f"JIRA_URL {self.jira_url!r} is no address: use https://SITE.atlassian.net")
        return self

    def ticket_severities(self) -> dict[str, int]:
        return parse_severities(self.ticket_severity)

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

    def model_cache_dir(self) -> Path | None:
        """Where the semantic extra's ONNX export is kept (SWARM_MODEL_CACHE); None for `off` (torch only)."""
        value = self.model_cache.strip()
        if value.lower() == "off":
            return None
        return Path(value).expanduser() if value else default_cache()

    def conventions(self) -> Conventions:
        return Conventions(
            join_emoji=self.join_emoji,
            observe_emoji=self.observe_emoji,
            solution_emoji=self.solution_emoji,
            private_rooms=self.private_rooms,
            archive_on_resolve=self.archive_on_resolve,
            digest_channel=self.digest_channel,
            digest_timezone=self.digest_timezone,
            web_url=self.web_url.rstrip("/"),
        )


def reference() -> str:
    """The configuration reference, generated from Settings: every variable, its default and what it does, as a
    Markdown table (`swarm config`; docs/configuration.md holds a copy that a test keeps in step)."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else name.upper()
        lines.append(f"| `{alias}` | {_shown(field.default)} | {field.description or ''} |")
    return "\n".join(lines) + "\n"


def _shown(default: object) -> str:
    if default is None or default == "":
        return ""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, time):
        return f"`{default:%H:%M}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


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
