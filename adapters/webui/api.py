"""`GET /api/kb?q=…`: the knowledge base's search as JSON, for a ticket system's sidebar app, a script, or
`swarm kb search` on a machine where a server runs (docs/knowledge.md#the-search-api).

Authenticated as the pages are (adapters/webui/auth.py): `Authorization: Bearer $SWARM_WEB_TOKEN` (wrong tokens are
throttled per client, as everywhere), or a signed-in session's cookie; never `?token=`, which would leave the token
in logs and histories. The session's workspace is the only one searched. The same search as `/swarm kb` (hybrid
with the semantic extra once its model is loaded, keyword search before and without it), on the server's model:
the caller loads nothing.

    {"query": "pdf export", "search": "hybrid", "articles": [
      {"number": 1, "title": "…", "snippet": "…", "state": "draft", "link": "https://swarm.example.com/kb/1",
       "swarm": null}]}

`q` missing, empty or longer than MAX_QUERY characters, or `limit` not a whole number from 1 to MAX_LIMIT: 400, with
`{"error": "…"}` saying which. No session: 401.
"""

from __future__ import annotations

from aiohttp import web

from adapters.app import App
from adapters.webui.auth import Auth
from bot.errors import UserError
from bot.models import ArticleHit
from handlers import replies

MAX_QUERY = 500  # characters, as the /kb page takes
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
PATH = "/api/kb"


class KbApi:
    def __init__(self, app: App, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_get(PATH, self.search)

    async def search(self, request: web.Request) -> web.StreamResponse:
        session = await self.auth.current(request)  # a throttled client gets 429 here
        if session is None:
            return _error(401, f"{PATH} needs Authorization: Bearer $SWARM_WEB_TOKEN, or a signed-in session")
        query = request.query.get("q", "")
        if not query.strip():
            return _error(400, "q: say what to look for, e.g. /api/kb?q=pdf+export")
        if len(query) > MAX_QUERY:
            return _error(400, f"q: at most {MAX_QUERY} characters, not {len(query)}")
        given = request.query.get("limit", str(DEFAULT_LIMIT)).strip()
        limit = int(given) if given.isascii() and given.isdigit() and len(given) <= 3 else 0
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"limit: a whole number from 1 to {MAX_LIMIT}")
        try:
            hits = await self.app.core.kb.search(session.workspace, query, limit=limit)
        except UserError as err:  # a query with nothing to search for (only punctuation, only `state:all`)
            return _error(400, "q: " + replies.error(err).text)
        base = self.app.settings.web_url.rstrip("/") or f"{request.scheme}://{request.host}"
        semantic = self.app.core.kb.semantic
        return web.json_response(
            {
                "query": query,
                "search": "hybrid" if semantic is not None and semantic.usable else "keyword",
                "articles": [_article(hit, base) for hit in hits],
            },
            headers={"Cache-Control": "no-store"},
        )


def _article(hit: ArticleHit, base: str) -> dict[str, object]:
    article = hit.article
    return {
        "number": article.number,
        "title": article.title,
        "snippet": hit.snippet,
        "state": article.state.value,
        "link": f"{base}/kb/{article.number}",
        "swarm": hit.swarm_number,  # a work-in-progress article's open swarm, to join rather than duplicate
    }


def _error(status: int, text: str) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": text}, status=status, headers=headers)
