"""One `swarm serve` at a time on a test's database, started, killed with SIGKILL and started again: what the crash
and kill tests of Slack (test_crashes.py, test_kills.py) and Teams (test_teams_kills.py) share. A platform's
deployment says how to talk to a server (`talk`) and which platform's queues to watch (`platform`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import text

from storage.database import create_engine
from tests.production.test_replicas import START, SWARM, WORK, Server, _all_idle, _free_port, _healthy, _until

SETTLE = 1.0  # seconds, for SWARM_RESUME_SETTLE_SECONDS
LEASE = 2.0  # seconds, for SWARM_INBOX_LEASE_SECONDS


class Talker(Protocol):
    async def close(self) -> None: ...


T = TypeVar("T", bound=Talker)


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a test's `swarm serve`: this one's, less any Swarm, Slack or Teams setting, then the
    database, time shortened, no model, and `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "SLACK_", "MICROSOFT_"))}
    return {
        **inherited,
        "SWARM_DATABASE_URL": database_url,
        "SWARM_SEMANTIC": "off",
        "SWARM_METRICS_PUBLIC": "true",
        "SWARM_RESUME_SETTLE_SECONDS": str(SETTLE),
        "SWARM_INBOX_LEASE_SECONDS": str(LEASE),
        **settings,
    }


@dataclass(kw_only=True)
class Deployment(Generic[T]):
    database_url: str
    workers: int  # worker processes (`--workers`): 0 works in the server
    tmp_path: Path
    env: dict[str, str]
    talk: Callable[[str], T]  # what plays the platform towards a server at this address
    platform: str  # whose queue and inbox gauges say the server is idle: `slack`, `teams`
    servers: list[Server] = field(default_factory=list)

    async def start(self) -> tuple[Server, T]:
        port, log = _free_port(), self.tmp_path / f"serve-{len(self.servers)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *(str(SWARM), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers)),
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        self.servers.append(server)
        try:
            await _until(partial(_healthy, server), START, f"{server.url}/healthz")
        except AssertionError as err:
            raise AssertionError(f"{err}; its log:\n{log.read_text()}") from None
        return server, self.talk(server.url)

    async def crash(self, server: Server) -> None:
        """SIGKILL: the worker processes first (with --workers they call the platform), then the server."""
        for child in _children(server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        server.process.kill()
        await server.process.wait()

    async def settled(self, server: Server) -> None:
        """Every delivery done (a dead worker's too, once its lease ends) and the server's queue empty."""
        try:
            await _until(lambda: _all_idle([server], self.platform), WORK, f"the {self.platform} inbox to empty")
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.logs()[-6000:]}") from None

    async def restart(self, done: Callable[[], Awaitable[bool]], what: str) -> Server:
        """Starts a new server on the same database and waits until `done` and every delivery is worked off; a
        failure says what the servers logged."""
        server, talker = await self.start()
        try:
            await _until(done, WORK, what)
            await self.settled(server)
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.logs()}") from None
        finally:
            await talker.close()
        return server

    def logs(self) -> str:
        return "\n".join(f"--- {s.log.name}\n{s.log.read_text()}" for s in self.servers)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(text(sql), params)).all())
        finally:
            await engine.dispose()


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found
