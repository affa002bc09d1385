"""The load generator's side: the signed requests (prepared before the clock starts) and the clients that send
them (a raw HTTP/1.1 client over keep-alive connections opened beforehand, and aiohttp's)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

import aiohttp
from yarl import URL

from bench.slack_speed.settings import JSON, SECRET, SPEAKERS, SUPPORT, TRACE_HEADER
from tests.fakes.slack_signing import SlackSender, message_event, reaction_event

# ---------------------------------------------------------------------------------------------------- signed requests


class Recorder(SlackSender):
    """SlackSender's exact Slack shapes and signatures, kept instead of sent: the load is signed before it starts."""

    def __init__(self, url: str, hooks_url: str) -> None:
        super().__init__(url, SECRET, hooks_url=hooks_url)
        self.recorded: list[tuple[bytes, dict[str, str]]] = []

    async def _post(self, body: bytes, headers: dict[str, str], payload: JSON) -> tuple[int, str]:
        self.recorded.append((body, headers))
        return 200, ""


Signed = tuple[bytes, dict[str, str]]


async def commands(hooks: str, count: int, start: int = 0) -> list[Signed]:
    """`/swarm <case>` opens, each with its own case text, from the roster's people in #support."""
    recorder = Recorder("http://unused", hooks)
    for i in range(start, start + count):
        user = SPEAKERS[i % len(SPEAKERS)]
        await recorder.slash(f"ACME export {i} fails on invoice {i} #billing #pdf sev3 customer:ACME", user, SUPPORT)
    return recorder.recorded


async def reactions(hooks: str, announcements: Sequence[str], users: Sequence[str], count: int) -> list[Signed]:
    """🙋 on the announcements, round robin, each by a different person per announcement: every event is a join."""
    if count > len(announcements) * len(users):
        raise ValueError(f"{count} reactions need {count} distinct (user, announcement) pairs")
    recorder = Recorder("http://unused", hooks)
    for i in range(count):
        ts = announcements[i % len(announcements)]
        user = users[i // len(announcements)]
        await recorder.event(reaction_event(user, "raising_hand", SUPPORT, ts), event_id=f"EvR{uuid.uuid4().hex[:12]}")
    return recorder.recorded


async def messages(hooks: str, room: str, count: int, start: int = 0) -> list[Signed]:
    """Messages by the roster's people in a swarm's room, each with its own ts and event id."""
    recorder = Recorder("http://unused", hooks)
    for i in range(start, start + count):
        ts = f"{1_800_000_000 + i // 1000}.{i % 1000:06d}"
        text = f"Tried step {i}: cleared the cache and re-exported, same error"
        event = message_event(room, SPEAKERS[i % len(SPEAKERS)], text, ts)
        await recorder.event(event, event_id=f"EvM{uuid.uuid4().hex[:12]}")
    return recorder.recorded


# ------------------------------------------------------------------------------------------------------------ clients


def session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=120.0, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60.0))


def spread(url: str | Sequence[str]) -> list[str]:
    """The URLs a load goes to: one server, or replicas behind a round-robin "load balancer" (this client)."""
    return [url] if isinstance(url, str) else list(url)


def _answer(buffer: bytearray) -> tuple[int, int] | None:
    """(status, length) of the first whole HTTP/1.1 response in `buffer`, or None while it is still arriving."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])}
    if fields.get("transfer-encoding", "").lower() == "chunked":  # the last chunk: "0" on a line of its own
        last = buffer.find(b"\r\n0\r\n\r\n", end + 2)
        return None if last < 0 else (status, last + 7)
    length = end + 4 + int(fields.get("content-length", "0"))
    return (status, length) if len(buffer) >= length else None


class Exchange(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the raw client: a request is one `write` of bytes built before the
    clock started, its answer is read as it arrives (status and length only)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done() and (answer := _answer(self.buffer)) is not None:
            status, length = answer
            del self.buffer[:length]
            self.waiter.set_result(status)

    def connection_lost(self, error: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"the server closed the connection: {error}"))

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


class RawClient:
    """The fixed-rate phases' client: keep-alive connections opened before the clock starts, and requests that are
    bytes ready to write. aiohttp's client spends about a quarter of a millisecond of its own on each side of a
    request (headers, its connector, its response object), which a latency measured by the client counts as the
    server's; the servers are the same whichever client measures them (`--client aiohttp` for aiohttp's)."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[Exchange]] = {}

    async def open(self, url: str, count: int) -> None:
        for _ in range(count):
            self.idle.setdefault(_address(url), []).append(await self._connect(url))

    async def _connect(self, url: str) -> Exchange:
        host, port = _address(url)
        _, exchange = await asyncio.get_running_loop().create_connection(Exchange, host, port)
        return exchange

    @staticmethod
    def request(url: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        target = URL(url)
        lines = [f"POST {target.raw_path_qs} HTTP/1.1", f"Host: {target.raw_host}:{target.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def send(self, url: str, request: bytes) -> int:
        idle = self.idle.setdefault(_address(url), [])
        exchange = idle.pop() if idle else await self._connect(url)
        status = await exchange.send(request)
        idle.append(exchange)
        return status

    def close(self) -> None:
        for exchanges in self.idle.values():
            for exchange in exchanges:
                if exchange.transport is not None:
                    exchange.transport.close()


def _address(url: str) -> tuple[str, int]:
    target = URL(url)
    return target.raw_host or "127.0.0.1", target.port or 80


Send = Callable[[int, str], Awaitable[int]]  # request i to a URL → the answer's status


@contextlib.asynccontextmanager
async def sender(client: str, urls: Sequence[str], signed: Sequence[Signed]) -> AsyncIterator[Send]:
    """How a fixed-rate phase sends request i (numbered in TRACE_HEADER): with the RawClient, its bytes built and
    its connections opened here, before the clock starts; or with aiohttp's client."""
    if client == "raw":
        requests = [
            RawClient.request(urls[i % len(urls)], body, {**headers, TRACE_HEADER: str(i)})
            for i, (body, headers) in enumerate(signed)
        ]
        raw = RawClient()
        try:
            for target in urls:  # a request takes about a millisecond: a few connections are never all in use
                await raw.open(target, 4)
            yield lambda i, target: raw.send(target, requests[i])
        finally:
            raw.close()
        return

    async with session() as http:

        async def send(i: int, target: str) -> int:
            body, headers = signed[i]
            async with http.post(target, data=body, headers={**headers, TRACE_HEADER: str(i)}) as response:
                await response.read()
                return response.status

        yield send
