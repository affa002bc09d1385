"""`swarm workspace forget` and `swarm roster forget`: they ask first (unless --yes), say what they deleted, and refuse
what does not exist, deleting nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.adapters.conftest import Swarm

ROSTER = str(Path(__file__).resolve().parents[2] / "examples" / "roster.yaml")


@pytest.fixture
async def two_workspaces(swarm: Swarm) -> Swarm:
    for key in ("T-ACME", "T-GLOBEX"):
        code, _ = await swarm("roster", "import", ROSTER, "--workspace", key, "--create")
        assert code == 0
    return swarm


def answer(monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(line))


async def emails(swarm: Swarm, workspace: str) -> str:
    code, out = await swarm("roster", "list", "--workspace", workspace)
    assert code == 0
    return out


async def test_roster_forget_asks_and_deletes_nothing_unless_told_yes(
    two_workspaces: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    swarm = two_workspaces
    answer(monkeypatch, "no\n")
    code, out = await swarm("roster", "forget", "ana@example.com", "--workspace", "T-ACME")
    assert code == 1
    assert "Forgetting ana@example.com in workspace T-ACME deletes for good: people: 1" in out
    assert out.endswith("Nothing was deleted.\n")
    assert "ana@example.com" in await emails(swarm, "T-ACME")

    answer(monkeypatch, "y\n")
    code, out = await swarm("roster", "forget", "ana@example.com", "--workspace", "T-ACME")
    assert code == 0
    assert "Forgot ana@example.com in workspace T-ACME: people: 1, skills: " in out
    assert "ana@example.com" not in await emails(swarm, "T-ACME")
    assert "ana@example.com" in await emails(swarm, "T-GLOBEX")  # the same e-mail elsewhere is someone else's


async def test_roster_forget_refuses_an_unknown_email(
    two_workspaces: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = await two_workspaces("roster", "forget", "nobody@example.com", "--workspace", "T-ACME", "--yes")
    assert code == 2
    assert "No one in workspace T-ACME has the e-mail 'nobody@example.com'. Nothing was deleted." in (
        capsys.readouterr().err
    )


async def test_workspace_forget_with_yes_deletes_it_and_refuses_it_the_second_time(
    two_workspaces: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    swarm = two_workspaces
    code, out = await swarm("workspace", "forget", "T-ACME", "--yes")
    assert code == 0
    assert out.startswith("Forgot workspace T-ACME: deleted people: ")
    assert "ana@example.com" in await emails(swarm, "T-GLOBEX")

    code, _ = await swarm("workspace", "forget", "T-ACME", "--yes")
    assert code == 2
    assert "There is no workspace 'T-ACME'." in capsys.readouterr().err
    code, _ = await swarm("roster", "list", "--workspace", "T-ACME")
    assert code == 2  # gone, not made again by a look


async def test_workspace_forget_without_an_answer_deletes_nothing(
    two_workspaces: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, "")  # no terminal, nothing typed
    code, out = await two_workspaces("workspace", "forget", "T-GLOBEX")
    assert code == 1 and "Nothing was deleted." in out
    assert "ana@example.com" in await emails(two_workspaces, "T-GLOBEX")
