"""Logging for `swarm serve` and the CLI: one handler on the root logger, text or JSON lines, secrets and (above
DEBUG) e-mail addresses redacted.

`configure(settings)` installs it (adapters/app.py calls it at start). Every record from every library (slack_sdk,
slack_bolt, aiohttp, botbuilder, msrest, sqlalchemy, ours) goes through `Redact` before it is written: the values of
the secrets in `Settings` (tokens, signing secret, client secret, app password, SWARM_SECRET_KEY, the database
password) and anything shaped like a Slack token (`xoxb-…`, `xapp-…`: the tokens of workspaces installed through
OAuth, which no setting holds) become `[redacted]`, in the message, its arguments, the traceback and the stack.
slack_sdk logs every Web API response at DEBUG, `oauth.v2.access`'s bot token included; this is what keeps that out.

Above DEBUG, e-mail addresses become `[e-mail]` too: Swarm's own records name people by id, but a library's error
text may quote one (PostgreSQL's `DETAIL: Key (email)=(…) already exists`).

SWARM_LOG_FORMAT=json writes one JSON object a line: `ts` (UTC, ISO 8601), `level`, `logger`, `message` and, for a
record with a traceback, `exc_info` (the formatted traceback, a string).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REDACTED = "[redacted]"
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Slack's token prefixes (bot, user, app-level, configuration, refresh, legacy workspace): what follows is secret.
SLACK_TOKEN = re.compile(r"\b(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{8,}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
HIDDEN_EMAIL = "[e-mail]"
# Shorter values are not redacted: a 3-letter "secret" would blank out ordinary words in every line.
MIN_SECRET = 6


class Redact(logging.Filter):
    """Replaces known secret values and Slack-token-shaped strings in a record before any handler writes it.

    The record is rewritten in place (message formatted, args dropped, traceback text redacted), so every handler
    after this one sees the redacted text too."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = _variants(secrets)

    def redact(self, text: str, personal: bool = False) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = SLACK_TOKEN.sub(REDACTED, text)
        return EMAIL.sub(HIDDEN_EMAIL, text) if personal else text

    def filter(self, record: logging.LogRecord) -> bool:
        personal = record.levelno > logging.DEBUG
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the logging module reports it; keep what there is
            message = str(record.msg)
        record.msg, record.args = self.redact(message, personal), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text, personal)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info, personal)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message (and exc_info, stack_info when the record has them)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr:
    """Whatever sys.stderr is when a line is written (a test's capture, a redirected stream), not when the handler
    was made."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class SwarmHandler(logging.StreamHandler[Any]):
    """The handler `configure` installs; a later `configure` replaces it rather than adding a second one."""


def secrets_of(settings: Any) -> list[str]:
    """The secret values in a Settings object (and the password in its database URL)."""
    names = (
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_secret",
        "microsoft_app_password",
        "secret_key",
        "web_token",
        "zendesk_api_token",
        "zendesk_webhook_secret",
        "salesforce_client_secret",
        "salesforce_webhook_secret",
        "jira_api_token",
        "jira_webhook_secret",
    )
    found = [str(value) for name in names if (value := getattr(settings, name, None))]
    try:
        password = make_url(str(getattr(settings, "database_url", ""))).password
    except ArgumentError:
        password = None
    if password:
        found.append(str(password))
    return found


def configure(
    settings: Any,
    stream: Any = None,
    level: str | None = None,
    fmt: Literal["text", "json"] | None = None,
) -> logging.Handler:
    """Installs Swarm's handler on the root logger (replacing one installed before) at the settings' level and
    format; returns it. `stream`: where lines go (default: standard error, as it is at each write)."""
    handler = SwarmHandler(stream if stream is not None else _Stderr())
    chosen = fmt or getattr(settings, "log_format", "text")
    handler.setFormatter(JsonFormatter() if chosen == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact(secrets_of(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, SwarmHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(str(level or getattr(settings, "log_level", None) or "WARNING").upper())
    return handler


def _variants(secrets: Iterable[str | None]) -> list[str]:
    """Each secret as it is and as it appears in a URL or a JSON string; longest first, so a secret that contains
    another is redacted whole."""
    found: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < MIN_SECRET:
            continue
        found |= {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
    return sorted(found, key=len, reverse=True)


_FORMATTER = logging.Formatter()
