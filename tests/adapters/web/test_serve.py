"""`swarm serve` with the web pages alone: SWARM_WEB_TOKEN and no chat platform is enough."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters import web
from adapters.app import App
from adapters.cli import parser, run
from adapters.settings import Settings
from bot.core import Core
from storage.database import SqlStore
from tests.adapters.web.conftest import TOKEN
from tests.semantic import LoadingEmbedder, requires_numpy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_refuses_to_start_with_nothing_to_serve(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)
    for name in ("SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID", "SWARM_WEB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert await run(parser().parse_args(["serve", "--port", str(free_port())]), io.StringIO()) == 2
    assert "SWARM_WEB_TOKEN for the web pages alone" in capsys.readouterr().err


async def test_serve_shows_the_web_pages_with_only_the_token(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)
    monkeypatch.setenv("SWARM_WEB_TOKEN", TOKEN)
    for name in ("SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    server = asyncio.create_task(
        run(parser().parse_args(["serve", "--host", "127.0.0.1", "--port", str(port)]), io.StringIO())
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"{url}/healthz") as health:
                        if health.status == 200:
                            break
                await asyncio.sleep(0.05)
            async with http.get(f"{url}/kb", allow_redirects=False) as page:
                assert page.status == 302
            async with http.get(f"{url}/kb", headers={"Authorization": f"Bearer {TOKEN}"}) as page:
                assert page.status == 200
                assert "No articles yet" in await page.text()
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


@requires_numpy
async def test_the_server_starts_loading_the_model_and_answers_meanwhile(store: SqlStore) -> None:
    model = LoadingEmbedder()
    app = App(Settings(SWARM_WEB_TOKEN=TOKEN), store, Core.build(store, embedder=model))
    server = TestServer(web.build(app, []), host="127.0.0.1")
    await server.start_server()
    try:
        semantic = app.core.kb.semantic
        assert semantic is not None and semantic.warming is not None  # started with the server
        await asyncio.wait_for(asyncio.to_thread(model.loading.wait), timeout=10)
        async with aiohttp.ClientSession() as http, http.get(str(server.make_url("/healthz"))) as answer:
            assert answer.status == 200
        assert not semantic.ready
        model.loaded.set()
        await semantic.warming
        assert semantic.ready and semantic.failure is None
    finally:
        model.loaded.set()
        await server.close()
