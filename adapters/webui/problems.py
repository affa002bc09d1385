"""The pages that say something went wrong: an unknown address, a number that names nothing, a value the page cannot
take, a bug. Each is a page in the site's layout with the right status (404, 400, 405, 500), says in words what
was asked for and what exists instead, and links back; none is aiohttp's bare "404: Not Found" text.

`Problem` is what to say; `problem_page` draws it; `middleware` turns aiohttp's own answers for addresses no route
serves, and any crash of a page, into such pages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import AbstractResource

from adapters.webui.render import page
from adapters.webui.session import Session

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SessionOf = Callable[[web.Request], Awaitable[Session | None]]

DASHBOARD = ("/dashboard", "Back to the dashboard")
KNOWLEDGE_BASE = ("/kb", "Search the knowledge base")
MAX_SHOWN = 60  # characters of what was typed that a page repeats


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    says: str
    links: Sequence[tuple[str, str]] = (DASHBOARD,)


def problem_page(request: web.Request, problem: Problem, session: Session | None = None) -> web.Response:
    return page(request, "problem.html", status=problem.status, session=session, problem=problem)


def no_such(what: str, number: int) -> Problem:
    """A swarm or article number this workspace does not have (another workspace's is not found here either)."""
    back = KNOWLEDGE_BASE if what == "article" else DASHBOARD
    return Problem(404, f"No {what} {number}", f"There is no {what} {number} in this workspace.", (back,))


def not_a_number(what: str, given: str) -> Problem:
    """`/swarms/abc`: the address names something, but not with a number."""
    back = KNOWLEDGE_BASE if what == "article" else DASHBOARD
    return Problem(
        404,
        f"No {what} “{shown(given)}”",
        f"{what.capitalize()}s are known by their number, as in /{'kb' if what == 'article' else 'swarms'}/12; "
        f"“{shown(given)}” is not one.",
        (back,),
    )


def bad_choice(what: str, given: str, choices: Sequence[tuple[str, str]]) -> Problem:
    """A query parameter out of its choices (`/dashboard?period=7x`): 400, and a link to each choice."""
    return Problem(
        400,
        f"No {what} “{shown(given)}”",
        f"“{shown(given)}” is not a {what} this page knows. Pick one of these:",
        tuple(choices),
    )


def no_page(path: str) -> Problem:
    return Problem(
        404,
        "No such page",
        f"There is no page at {shown(path)}. The pages are the dashboard, the knowledge base, an article "
        "(/kb/12) and a swarm (/swarms/12).",
        (DASHBOARD, KNOWLEDGE_BASE),
    )


def wrong_method(method: str, path: str) -> Problem:
    return Problem(405, "Nothing to send here", f"{shown(path)} is a page to read: it takes no {method}.", (DASHBOARD,))


SERVER_ERROR = Problem(
    500,
    "Something went wrong",
    "Swarm could not show this page: the error is in its log. Try again in a moment; nothing was changed.",
    (DASHBOARD,),
)


def shown(text: str) -> str:
    """What someone typed, cut short enough to repeat on a page (it is escaped there like all text)."""
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def middleware(pages: Collection[AbstractResource], session_of: SessionOf) -> Middleware:
    """aiohttp's own 404 and 405 for an address no route serves, and a page's crash, as pages of the site. The
    other routes (Slack's, Teams', /healthz, /metrics) answer as they always did: their callers are programs."""

    @web.middleware
    async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        try:
            return await handler(request)
        except web.HTTPException as answer:
            if resource is not None or answer.status not in (404, 405):
                raise
            found = no_page(request.path) if answer.status == 404 else wrong_method(request.method, request.path)
            return problem_page(request, found, await _session(session_of, request))
        except Exception:
            if resource not in pages:
                raise
            log.exception("the page %s failed", resource.canonical if resource is not None else request.path)
            return problem_page(request, SERVER_ERROR, await _session(session_of, request))

    return problems


async def _session(session_of: SessionOf, request: web.Request) -> Session | None:
    """Who is signed in, for the page's header; nobody when that cannot be told either."""
    try:
        return await session_of(request)
    except Exception:
        return None
