"""The web pages (`/kb`, `/kb/<n>`, `/swarms/<n>`, `/dashboard`) and `/metrics`, on the one aiohttp server.

Every page is for signed-in people only (adapters/webui/auth.py) and reads the session's workspace alone: an
article or swarm number of another workspace is simply not found there (404).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from adapters.app import App
from adapters.metrics import CONTENT_TYPE
from adapters.slack import SlackMount
from adapters.webui import dashboard, timeline
from adapters.webui.auth import Auth
from adapters.webui.render import page
from adapters.webui.session import TOKEN, Session
from adapters.webui.text import query_words
from bot.browse import Browse
from bot.errors import UserError
from bot.models import ArticleState
from bot.text import normalize_skill

STATIC = Path(__file__).parent / "static"
MAX_QUERY = 500


class WebPages:
    def __init__(self, app: App, slack: SlackMount | None = None) -> None:
        self.app = app
        self.auth = Auth(app, slack)
        self.browse = Browse(app.store, app.core.clock)

    def mount(self, web_app: web.Application) -> None:
        self.auth.mount(web_app)
        protect = self.auth.protect
        web_app.router.add_get("/", protect(self.home))
        web_app.router.add_get("/kb", protect(self.kb))
        web_app.router.add_get(r"/kb/{number:\d{1,9}}", protect(self.article))
        web_app.router.add_get(r"/swarms/{number:\d{1,9}}", protect(self.swarm))
        web_app.router.add_get("/dashboard", protect(self.dashboard))
        web_app.router.add_get("/metrics", self.metrics)
        web_app.router.add_static("/static/", STATIC)

    async def home(self, request: web.Request, session: Session) -> web.StreamResponse:
        raise web.HTTPFound("/dashboard")

    async def kb(self, request: web.Request, session: Session) -> web.StreamResponse:
        query = request.query.get("q", "").strip()[:MAX_QUERY]
        state_name = request.query.get("state", "")
        state = ArticleState(state_name) if state_name in {s.value for s in ArticleState} else None
        tag = normalize_skill(request.query.get("tag", "").strip().lstrip("#")) or ""
        hits = await self.browse.articles(session.workspace, query, state, tag or None)
        return page(
            request,
            "kb.html",
            session=session,
            hits=hits,
            query=query,
            state=state.value if state else "",
            tag=tag,
            states=[s.value for s in ArticleState],
            words=query_words(query),
        )

    async def article(self, request: web.Request, session: Session) -> web.StreamResponse:
        number = int(request.match_info["number"])
        try:
            found = await self.browse.article(session.workspace, number)
        except UserError:
            return page(request, "missing.html", status=404, session=session, what="article", number=number)
        return page(request, "article.html", session=session, found=found, article=found.article)

    async def swarm(self, request: web.Request, session: Session) -> web.StreamResponse:
        number = int(request.match_info["number"])
        try:
            found = await self.browse.swarm(session.workspace, number)
        except UserError:
            return page(request, "missing.html", status=404, session=session, what="swarm", number=number)
        crew = found.crew
        members = [(member, person) for member, person in crew.members if member.joined_at is not None]
        return page(
            request,
            "swarm.html",
            session=session,
            crew=crew,
            swarm=crew.swarm,
            lines=timeline.lines(found.timeline, found.people),
            members=members,
            span=timeline.span(crew.swarm, found.timeline, self.app.core.clock()),
            found=found,
        )

    async def dashboard(self, request: web.Request, session: Session) -> web.StreamResponse:
        period = request.query.get("period", dashboard.DEFAULT_PERIOD)
        board = await dashboard.build(self.app.core, self.browse, session.workspace, period)
        return page(request, "dashboard.html", session=session, board=board)

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        """Prometheus' scrape: public only with SWARM_METRICS_PUBLIC=true; else the token (Bearer, or a session
        signed in with it). A Slack sign-in is one workspace's, and the figures are every workspace's."""
        if not self.app.settings.metrics_public:
            session = await self.auth.current(request)
            if session is None or session.via != TOKEN:
                raise web.HTTPUnauthorized(
                    text="/metrics needs Authorization: Bearer $SWARM_WEB_TOKEN", headers={"WWW-Authenticate": "Bearer"}
                )
        await self.app.metrics.refresh(self.browse)
        return web.Response(body=self.app.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
