"""Is Slack reachable, and does it take our tokens? One call each, and one line of what to check when it is not.

`swarm serve` asks before it serves (a rejected token or, in Socket Mode, no way to Slack, and it stops); the CLI asks
which workspace SLACK_BOT_TOKEN is for; `/readyz` asks while Slack has not answered yet.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.settings import Settings

# The errors with which Slack refuses a token (auth.test, apps.connections.open): the token is wrong, not the network.
REJECTED = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}
PROBE_SECONDS = 10.0


class SlackProblem(Exception):
    """Slack cannot be used as set up; the message is one line that says what to check."""


class TokenRejected(SlackProblem):
    """Slack answered, and refused the token: nothing will work until the setting is changed."""


class SlackUnreachable(SlackProblem):
    """Slack did not answer (no network, a wrong SLACK_API_URL, Slack down): it may later."""


def explain(err: BaseException, setting: str, api_url: str) -> SlackProblem:
    """The one line for a failed call made with the token of `setting`."""
    if isinstance(err, SlackApiError):
        error = str(err.response.get("error") or "")
        if error in REJECTED:
            return TokenRejected(
                f"Slack rejected {setting} ({error}): check that it is this app's token, copied whole, and that the "
                "app is still installed (docs/slack.md)."
            )
        return SlackUnreachable(f"Slack refused the check of {setting} ({error or 'no reason given'}).")
    reason = str(err) or type(err).__name__
    return SlackUnreachable(
        f"Cannot reach Slack at {api_url} ({reason}): check the network, a proxy or firewall, and SLACK_API_URL."
    )


async def team_of(settings: Settings) -> str:
    """The team of SLACK_BOT_TOKEN (auth.test), or SlackProblem."""
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(PROBE_SECONDS))
    try:
        response = await asyncio.wait_for(client.auth_test(token=settings.slack_bot_token), PROBE_SECONDS)
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as err:
        raise explain(err, "SLACK_BOT_TOKEN", settings.slack_api_url) from None
    return str(response.get("team_id") or "")


async def check_app_token(settings: Settings) -> None:
    """SLACK_APP_TOKEN opens a Socket Mode connection (apps.connections.open), or SlackProblem: bolt's own handler
    would retry a rejected token for ever."""
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(PROBE_SECONDS))
    try:
        await asyncio.wait_for(client.apps_connections_open(app_token=str(settings.slack_app_token)), PROBE_SECONDS)
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as err:
        raise explain(err, "SLACK_APP_TOKEN", settings.slack_api_url) from None


def single_token(settings: Settings) -> bool:
    """Slack is set up for one workspace, with SLACK_BOT_TOKEN (not OAuth installs)."""
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    return bool(settings.slack_bot_token) and not oauth
