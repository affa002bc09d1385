"""Templates (Jinja2, autoescaped) and the headers every page goes out with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from adapters.webui.session import Session
from adapters.webui.text import highlight, markdown
from handlers.replies import duration

# No script runs on these pages, none loads from elsewhere, no other site may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(delta: timedelta | None) -> str:
    return duration(delta) if delta is not None else "–"


ENVIRONMENT = Environment(
    loader=PackageLoader("adapters.webui", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters["markdown"] = markdown
ENVIRONMENT.filters["highlight"] = highlight
ENVIRONMENT.filters["when"] = _when
ENVIRONMENT.filters["duration"] = _duration


def page(
    request: web.Request, template: str, status: int = 200, session: Session | None = None, **context: Any
) -> web.Response:
    html = ENVIRONMENT.get_template(template).render(session=session, path=request.path, **context)
    return web.Response(text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS)
