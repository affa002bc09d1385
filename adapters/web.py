"""One aiohttp server for everything: Slack, Teams, health, metrics and the web pages.

Each chat platform is a Mount: it adds its own routes and start-up/clean-up hooks, so a new platform is a new
adapter and one line in `build`. The web pages and `/metrics` (adapters/webui) are always there, behind sign-in;
a middleware counts every request for `/metrics`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiohttp import web

from adapters.app import App
from adapters.forwarded import KEY as FORWARDED
from adapters.forwarded import Forwarded, networks
from adapters.slack import SlackMount
from adapters.webui import WebPages

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("swarm", App)
# The platforms' readiness checks: each says why it cannot be worked with now, or None (GET /readyz).
Readiness = Callable[[], Awaitable[str | None]]
READY_KEY = web.AppKey("ready", list[Readiness])
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Mount(Protocol):
    def mount(self, web_app: web.Application) -> None:
        """Adds the platform's routes (and on_startup / on_cleanup hooks) to the server."""
        ...


def build(app: App, mounts: Sequence[Mount]) -> web.Application:
    forwarded = Forwarded(networks(app.settings.trusted_proxies), app.settings.web_url)
    # Outermost: every other middleware and handler sees the request's real scheme and client address.
    web_app = web.Application(client_max_size=1024**2, middlewares=[forwarded.middleware, measure])
    web_app[APP_KEY] = app
    web_app[FORWARDED] = forwarded
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    for part in mounts:
        part.mount(web_app)
    slack = next((part for part in mounts if isinstance(part, SlackMount)), None)
    ready: list[Readiness] = [slack.unready] if slack is not None else []
    web_app[READY_KEY] = ready
    WebPages(app, slack).mount(web_app)
    web_app.on_startup.append(_warm_up)
    web_app.on_startup.append(_freeze)  # last: after the mounts' own start-up
    return web_app


async def _warm_up(web_app: web.Application) -> None:
    """The semantic extra's model starts loading now, in the background: searches are keyword searches until it is
    ready, so the first `/swarm` after a start does not wait for it (bot/semantic.py)."""
    web_app[APP_KEY].warm_up()


async def _freeze(_: web.Application) -> None:
    """What start-up built (modules, the app, pools) lives as long as the process: moved out of the garbage
    collector's reach, so a full collection no longer scans it and stalls an ack for milliseconds."""
    gc.collect()
    gc.freeze()


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts every request by method, route (its pattern, so /kb/{number} is one route) and status, and times it."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[APP_KEY].metrics.http_request(request.method, route, status, time.perf_counter() - started)


async def healthz(request: web.Request) -> web.Response:
    """Alive: the process answers and its database does. Slack or Teams being out of reach is /readyz's business."""
    if not await _database_answers(request.app[APP_KEY]):
        return web.json_response({"ok": False, "database": "down"}, status=503)
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    """Ready to work: the database answers and so does each chat platform that can be asked (Slack's auth.test);
    503 with the reasons, one line each, while one does not."""
    reasons = [] if await _database_answers(request.app[APP_KEY]) else ["the database does not answer"]
    for unready in request.app[READY_KEY]:
        reason = await unready()
        if reason is not None:
            reasons.append(reason)
    if reasons:
        return web.json_response({"ready": False, "reasons": reasons}, status=503)
    return web.json_response({"ready": True})


async def _database_answers(app: App) -> bool:
    try:
        async with app.store.unit() as uow:
            await uow.workspaces.ensure("console")
    except Exception:
        log.exception("health check: the database does not answer")
        return False
    return True


async def serve(web_app: web.Application, host: str, port: int) -> None:
    """Runs until SIGINT or SIGTERM, then shuts down cleanly (hooks run, connections close)."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Swarm is listening on http://%s:%s", host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
