"""The load phases: fixed rate (open loop) and saturation (W concurrent workers for D seconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence

import aiohttp
from yarl import URL

from bench.common import percentile
from bench.slack_speed.client import Send, Signed, sender, session, spread
from bench.slack_speed.report import Measured


async def fixed_rate(url: str | Sequence[str], signed: Sequence[Signed], rate: float, client: str = "raw") -> Measured:
    """Open loop: request i leaves at t0 + i/rate whatever the answers; latency runs from that scheduled time.
    With several URLs, request i goes to URL i mod n. `client`: "raw" (RawClient) or "aiohttp"."""
    urls = spread(url)
    latencies: list[float] = []
    lags: list[float] = []
    errors = 0
    clock = time.perf_counter  # not loop.time(): uvloop's clock counts whole milliseconds
    sent: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(signed)

    async def one(send: Send, i: int, due: float) -> None:
        nonlocal errors
        began, answered = clock(), 0.0
        try:
            status = await send(i, urls[i % len(urls)])
            answered = clock()
            if status != 200:
                errors += 1
        except (OSError, aiohttp.ClientError):
            errors += 1
        sent[i] = (due, began, answered)
        latencies.append(clock() - due)

    async with sender(client, urls, signed) as send:
        tasks = []
        start = clock() + 0.05
        for i in range(len(signed)):
            due = start + i / rate
            if (delay := due - clock()) > 0.002:
                await asyncio.sleep(delay - 0.0015)  # timers wake up to a millisecond late: sleep short, then
            await until(due, clock)
            lags.append(clock() - due)
            tasks.append(asyncio.ensure_future(one(send, i, due)))
        await asyncio.gather(*tasks)
        seconds = clock() - start
    return Measured(len(signed), seconds, latencies, errors, percentile(lags, 0.99), sent)


async def until(due: float, clock: Callable[[], float]) -> None:
    """Yields to the loop (so answers are still read) until `clock` reaches `due`: a sub-millisecond timer."""
    while clock() < due:  # noqa: ASYNC110 (a deliberate spin: no event marks a moment in time)
        await asyncio.sleep(0)


async def saturate(url: str | Sequence[str], signed: Sequence[Signed], workers: int, seconds: float) -> Measured:
    """Closed loop: `workers` keep one request each in flight until `seconds` pass or the bodies run out. With several
    URLs, worker w sends to URL w mod n."""
    urls = spread(url)
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter
    bodies: Iterator[Signed] = iter(signed)

    async def worker(http: aiohttp.ClientSession, end: float, target: str) -> None:
        nonlocal errors
        for body, headers in bodies:
            sent = clock()
            try:
                async with http.post(target, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(clock() - sent)
            if clock() >= end:
                return

    async with session() as http:
        # Open the connections first (a 404 from the server), so the measured window starts with a warm pool.
        warm = [http.get(URL(urls[w % len(urls)]).with_path("/nothing-here")) for w in range(workers)]
        for response in await asyncio.gather(*warm):
            response.release()
        start = clock()
        await asyncio.gather(*(worker(http, start + seconds, urls[w % len(urls)]) for w in range(workers)))
        elapsed = clock() - start
    return Measured(len(latencies), elapsed, latencies, errors)
