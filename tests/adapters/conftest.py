from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest

from adapters.cli import parser, run

Swarm = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def swarm(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Swarm:
    """Runs the `swarm` command line in-process against the test database: `code, out = await swarm("stats")`."""
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)

    async def invoke(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = await run(parser().parse_args(list(argv)), out)
        return code, out.getvalue()

    return invoke
