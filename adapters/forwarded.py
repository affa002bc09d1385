"""Who is asking, and over what, behind a reverse proxy. A proxy that ends TLS forwards plain HTTP and says what it
saw in `X-Forwarded-Proto` and `X-Forwarded-For`; anyone else can send those headers too. So they are believed only
from the proxies of SWARM_TRUSTED_PROXIES (the connection's own address is one of them), and otherwise ignored.

The middleware gives each request the scheme and client address it really has (`request.secure`, `request.remote`),
and, when the pages are served over HTTPS (SWARM_WEB_URL is https, or the request came in so), asks browsers to keep
to HTTPS (HSTS). Cookies are marked Secure by the same rule (`is_https`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other sites of the domain are not Swarm's to decide


def networks(text: str) -> tuple[Network, ...]:
    """`127.0.0.1, 10.0.0.0/8, ::1` → the networks; ValueError naming the one that is neither."""
    found = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"SWARM_TRUSTED_PROXIES: {item!r} is not an address or a network (such as 10.0.0.0/8)"
            ) from None
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class Forwarded:
    def __init__(self, trusted: tuple[Network, ...], public_url: str = "") -> None:
        self.trusted = trusted
        self.public_https = public_url.lower().startswith("https://")

    def trusts(self, address: str | None) -> bool:
        ip = _address(address or "")
        return ip is not None and any(ip in network for network in self.trusted)

    def client(self, request: web.Request) -> str:
        """The client's address: the connection's, or, from a trusted proxy, the nearest address in X-Forwarded-For
        that is not one of the trusted proxies (those further left were written by whoever sent the request)."""
        remote = request.remote or ""
        if not self.trusts(remote):
            return remote
        hops = [hop.strip() for value in request.headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
        for hop in reversed(hops):
            if _address(hop) is None:
                return remote  # a hop that is no address: nothing to its left can be believed
            if not self.trusts(hop):
                return hop
        return remote

    def scheme(self, request: web.Request) -> str:
        """`https` or `http`: the connection's, or, from a trusted proxy, what its X-Forwarded-Proto says."""
        if not self.trusts(request.remote):
            return request.scheme
        said = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        return said if said in ("http", "https") else request.scheme

    def is_https(self, request: web.Request) -> bool:
        """Served over HTTPS: the public address is https, or the request came in over it."""
        return self.public_https or request.secure

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.trusts(request.remote):
            request = request.clone(scheme=self.scheme(request), remote=self.client(request))
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            if self.is_https(request):
                answer.headers["Strict-Transport-Security"] = HSTS
            raise
        if self.is_https(request):
            response.headers["Strict-Transport-Security"] = HSTS
        return response


KEY = web.AppKey("forwarded", Forwarded)
