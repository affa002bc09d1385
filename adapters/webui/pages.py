"""The web pages (`/kb`, `/kb/<n>`, `/swarms/<n>`, `/dashboard`) and `/metrics`, on the one aiohttp server.

Every page is for signed-in people only (adapters/webui/auth.py) and reads the session's workspace alone: an
article or swarm number of another workspace is simply not found there (404). A number that names nothing, a word
where a number goes, a value a page cannot take (400) and an unknown address each get a page that says so
(adapters/webui/problems.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from adapters.app import App
from adapters.metrics import CONTENT_TYPE
from adapters.slack import SlackMount
from adapters.webui import dashboard, problems, timeline
from adapters.webui.api import KbApi
from adapters.webui.auth import Auth
from adapters.webui.problems import problem_page
from adapters.webui.render import page
from adapters.webui.session import TOKEN, Session
from adapters.webui.text import query_words
from bot.browse import Browse
from bot.errors import UserError
from bot.models import ArticleState
from bot.text import normalize_skill
from handlers import replies

STATIC = Path(__file__).parent / "static"
MAX_QUERY = 500
_NUMBER = re.compile(r"[0-9]+")
MAX_NUMBER = 999_999_999  # no swarm or article gets further (the database's int, with room)


class WebPages:
    def __init__(self, app: App, slack: SlackMount | None = None) -> None:
        self.app = app
        self.auth = Auth(app, slack)
        self.browse = Browse(app.store, app.core.clock)

    def mount(self, web_app: web.Application) -> None:
        self.auth.mount(web_app)
        protect = self.auth.protect
        routes = [
            web_app.router.add_get("/", protect(self.home)),
            web_app.router.add_get("/kb", protect(self.kb)),
            # Any word after /kb/ or /swarms/ reaches the page, which says what is wrong with it.
            web_app.router.add_get("/kb/{number}", protect(self.article)),
            web_app.router.add_get("/swarms/{number}", protect(self.swarm)),
            web_app.router.add_get("/dashboard", protect(self.dashboard)),
        ]
        KbApi(self.app, self.auth).mount(web_app)
        web_app.router.add_get("/metrics", self.metrics)
        web_app.router.add_static("/static/", STATIC)
        pages = {route.resource for route in routes if route.resource is not None}
        web_app.middlewares.append(problems.middleware(pages, self.auth.current))

    async def home(self, request: web.Request, session: Session) -> web.StreamResponse:
        raise web.HTTPFound("/dashboard")

    async def kb(self, request: web.Request, session: Session) -> web.StreamResponse:
        query = request.query.get("q", "").strip()[:MAX_QUERY]
        state_name = request.query.get("state", "")
        states = [s.value for s in ArticleState]
        if state_name and state_name not in states:
            choices = [(f"/kb?{urlencode({'q': query, 'state': s})}", s) for s in states]
            return problem_page(request, problems.bad_choice("article state", state_name, choices), session)
        state = ArticleState(state_name) if state_name else None
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
            states=states,
            words=query_words(query),
        )

    async def article(self, request: web.Request, session: Session) -> web.StreamResponse:
        given = request.match_info["number"]
        number = _number(given)
        if number is None:
            return problem_page(request, problems.not_a_number("article", given), session)
        try:
            if number > MAX_NUMBER:
                raise UserError("unknown_article", number=number)
            found = await self.browse.article(session.workspace, number)
        except UserError:
            return problem_page(request, problems.no_such("article", number), session)
        return page(request, "article.html", session=session, found=found, article=found.article)

    async def swarm(self, request: web.Request, session: Session) -> web.StreamResponse:
        given = request.match_info["number"]
        number = _number(given)
        if number is None:
            return problem_page(request, problems.not_a_number("swarm", given), session)
        try:
            if number > MAX_NUMBER:
                raise UserError("unknown_swarm", number=number)
            found = await self.browse.swarm(session.workspace, number)
        except UserError:
            return problem_page(request, problems.no_such("swarm", number), session)
        crew = found.crew
        return page(
            request,
            "swarm.html",
            session=session,
            crew=crew,
            swarm=crew.swarm,
            lines=timeline.lines(found.timeline, found.people),
            # The same people, groups and words as the card, the announcement and `/swarm status`.
            people=replies.people_groups(crew.people()),
            span=timeline.span(crew.swarm, found.timeline, self.app.core.clock()),
            found=found,
        )

    async def dashboard(self, request: web.Request, session: Session) -> web.StreamResponse:
        given = request.query.get("period", "").strip()
        period = dashboard.period_of(given)
        if period is None:
            choices = [(f"/dashboard?period={p}", f"the last {p.removesuffix('d')} days") for p in dashboard.PERIODS]
            return problem_page(request, problems.bad_choice("period", given, choices), session)
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


def _number(given: str) -> int | None:
    """A swarm or article number from the address; None for anything else (`abc`, `-1`, `1.5`)."""
    return int(given) if _NUMBER.fullmatch(given) else None
