"""`swarm serve` refuses a SWARM_SECRET_KEY, SWARM_WEB_TOKEN or SALESFORCE_WEBHOOK_SECRET a guesser could find, in one
line that says how to make a good one."""

from __future__ import annotations

import io
import secrets

import pytest

from adapters.cli import parser, run
from adapters.secret_strength import weakness

WEAK = ["a", "password", "kept-across-restarts", "changeme" * 5, "a" * 64, "0123456789" * 4]
# Made with secrets.token_urlsafe(32) and secrets.token_hex(16) once (fixed: test ids must be the same each run).
STRONG = [
    "mJ4l0dkmY5wVb2Xn-8tq3QjZr1s9HcUe6PfLaGyTxKo",
    "3f9c1a7e5b2d48e0a6c4f1b97d3e2a58",
    "a-long-random-test-secret-for-tokens",
]


@pytest.mark.parametrize("secret", WEAK)
def test_a_short_or_repetitive_secret_is_weak(secret: str) -> None:
    line = weakness("SWARM_SECRET_KEY", secret)
    assert line is not None and line.startswith("SWARM_SECRET_KEY is too weak")
    assert "secrets.token_urlsafe(32)" in line


@pytest.mark.parametrize("secret", [*STRONG, None, ""])
def test_a_random_secret_or_none_is_accepted(secret: str | None) -> None:
    assert weakness("SWARM_WEB_TOKEN", secret) is None


@pytest.mark.parametrize("name", ["SWARM_SECRET_KEY", "SWARM_WEB_TOKEN", "SALESFORCE_WEBHOOK_SECRET"])
async def test_serve_refuses_to_start_with_a_weak_secret(
    name: str, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWARM_DATABASE_URL", database_url)
    for unset in ("SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID", "SWARM_SECRET_KEY"):
        monkeypatch.delenv(unset, raising=False)
    monkeypatch.setenv("SWARM_WEB_TOKEN", secrets.token_urlsafe(32))
    monkeypatch.setenv(name, "a")
    assert await run(parser().parse_args(["serve", "--port", "0"]), io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"{name} is too weak (length 1, about 0 bits of randomness)")
