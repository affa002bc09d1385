"""bench/slack_load.py's raw HTTP/1.1 client against a real aiohttp server: every answer read whole, in order, on
keep-alive connections, whether the server sends a length or chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bench.slack_speed.client import RawClient, _answer
from bench.slack_speed.phases import fixed_rate


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[tuple[str, str, bytes]]]]:
    seen: list[tuple[str, str, bytes]] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append((request.path, request.headers.get("X-Bench-Request", ""), body))
        if body == b"chunked":
            response = web.StreamResponse(status=201)
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(b"a piece")
            await response.write_eof()
            return response
        return web.Response(status=404 if body == b"missing" else 200, text="ok " * len(body))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/slack/events", seen
    finally:
        await runner.cleanup()


def test_an_answer_is_whole_only_once_its_body_has_come() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert _answer(bytearray(head + b"ab")) is None
    assert _answer(bytearray(head + b"abcde" + b"HTTP/1.1")) == (200, len(head) + 5)
    chunked = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    assert _answer(bytearray(chunked)) is None
    assert _answer(bytearray(chunked + b"0\r\n\r\n")) == (201, len(chunked) + 5)


async def test_requests_on_one_connection_get_their_own_answers(
    server: tuple[str, list[tuple[str, str, bytes]]],
) -> None:
    url, seen = server
    client = RawClient()
    await client.open(url, 1)
    try:
        statuses = [
            await client.send(url, RawClient.request(url, body, {"X-Bench-Request": str(i)}))
            for i, body in enumerate([b"one", b"chunked", b"missing", b"two" * 1000])
        ]
    finally:
        client.close()
    assert statuses == [200, 201, 404, 200]
    assert [(path, number) for path, number, _ in seen] == [("/slack/events", str(i)) for i in range(4)]
    assert seen[3][2] == b"two" * 1000


@pytest.mark.parametrize("client", ["raw", "aiohttp"])
async def test_a_fixed_rate_run_numbers_every_request_and_counts_the_refused(
    server: tuple[str, list[tuple[str, str, bytes]]], client: str
) -> None:
    url, seen = server
    signed = [(b"missing" if i == 3 else b"x", {"Content-Type": "application/json"}) for i in range(10)]
    measured = await fixed_rate(url, signed, rate=500, client=client)
    assert (measured.requests, measured.errors, len(measured.latencies)) == (10, 1, 10)
    assert sorted(int(number) for _, number, _ in seen) == list(range(10))
    assert all(answered > sent >= due - 0.001 for due, sent, answered in measured.sent)
