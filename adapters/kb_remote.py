"""`swarm kb search` through a running server's `GET /api/kb` (adapters/webui/api.py), when one is configured.

With SWARM_WEB_URL and SWARM_WEB_TOKEN set (and no --workspace, --local or --keyword), the command asks the server
instead of opening the database and loading the model itself: the server has the model in memory, so the answer takes
milliseconds, not the seconds a model's load takes. A server that cannot be reached (down, wrong address, an answer
that is not the API's) is said in one line, and the search runs here. A server that refuses the token, or the query,
is an error: searching here instead would hide a wrong setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.settings import Settings

PATH = "/api/kb"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Answer:
    """What the server said: its articles (the API's objects) and which search it ran; or why it would not."""

    url: str
    articles: list[dict[str, Any]]
    search: str = ""
    refused: str = ""  # the server's reason for a 400 or 401


class Unreachable(Exception):
    """The server did not answer as the API does: search here."""


def configured(settings: Settings) -> bool:
    return bool(settings.web_url.strip() and settings.web_token)


async def search(settings: Settings, query: str, limit: int) -> Answer:
    """The server's answer to the query; raises Unreachable when there is none to be had."""
    base = settings.web_url.strip().rstrip("/")
    url = base + PATH
    headers = {"Authorization": f"Bearer {settings.web_token}", "Accept": "application/json"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as http,
            http.get(url, params={"q": query, "limit": str(limit)}, headers=headers, allow_redirects=False) as answer,
        ):
            if answer.content_type != "application/json":
                raise Unreachable(f"{base} answered {answer.status} {answer.reason}, not the search API")
            body = await answer.json()
            if answer.status in (400, 401, 429) and isinstance(body, dict):
                return Answer(base, [], refused=f"{answer.status}: {body.get('error') or answer.reason}")
            if answer.status != 200 or not isinstance(body, dict) or not isinstance(body.get("articles"), list):
                raise Unreachable(f"{base} answered {answer.status} {answer.reason}")
            return Answer(base, list(body["articles"]), str(body.get("search", "")))
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        raise Unreachable(f"{base} cannot be reached ({type(error).__name__})") from error
