"""What every loopback fake of a vendor's HTTP API shares: its aiohttp app served on 127.0.0.1 for `async with`,
each request recorded as a `Call`, answers slowed by `latency`, every call refused while `down`, and faults queued
by `fail` for the next calls. How a vendor says no (its error bodies, its authentication) stays in its own fake.

    class FakeVendor(Loopback):
        def __post_init__(self) -> None:
            self.serve(app)                             # the vendor's routes

        async def _show(self, request):
            call, refused = await self._begin(request)  # recorded; refused when down, failing or unauthenticated
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Call:
    """One request made of a fake."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def writes(self) -> bool:
        return self.method in WRITING_METHODS


@dataclass
class Fault:
    """An answer queued by `fail` for one of the next calls."""

    status: int
    retry_after: str | None = None
    code: str = ""
    message: str = ""


class Loopback:
    """The serving, recording and fault queue of a fake; a dataclass subclass declares `calls`, `down` and `latency`
    as fields and calls `serve` from its `__post_init__`."""

    app: web.Application
    calls: list[Call]
    down: bool
    latency: float
    _server: TestServer | None
    _faults: deque[Fault]

    def serve(self, app: web.Application) -> None:
        self.app = app
        self._server = None
        self._faults = deque()

    async def __aenter__(self) -> Self:
        self._server = TestServer(self.app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """The server's address, with no trailing slash."""
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    def queue_faults(self, times: int, fault: Fault) -> None:
        self._faults.extend(fault for _ in range(times))

    def next_fault(self) -> Fault | None:
        return self._faults.popleft() if self._faults else None

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.writes]

    def new_call(self, request: web.Request, body: Any) -> Call:
        return Call(request.method, request.path, dict(request.query), body, 200)

    async def record(self, request: web.Request) -> Call:
        """The request as a Call, recorded, after the fake's latency. A body is JSON, a form, or else its text."""
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/x-www-form-urlencoded":
                body = dict(await request.post())
            else:
                try:
                    body = await request.json()
                except ValueError:
                    body = await request.text()
        call = self.new_call(request, body)
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        return call


def retry_after(fault: Fault) -> dict[str, str]:
    """The Retry-After header of a queued fault, if it has one."""
    return {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
