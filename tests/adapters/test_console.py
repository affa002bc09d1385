"""The console workspace, as a newcomer uses it: lines in, the conversation out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adapters.conftest import Swarm

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")


async def console(swarm: Swarm, tmp_path: Path, *lines: str) -> tuple[int, str]:
    script = tmp_path / "session.swarm"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return await swarm("console", "--roster", ROSTER, "--script", str(script))


async def test_a_whole_swarm_from_case_to_article(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(
        swarm,
        tmp_path,
        "/swarm ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME",
        "/as isabel@example.com",
        "/react raising_hand",
        "/in swarm-1",
        "The 4.2 PDF template cache is stale; clearing it fixes the export",
        "/react ✅",
        "/as Ana Ruiz",
        "/swarm resolve cleared the PDF template cache cause: stale cache",
        "/swarm kb pdf template",
    )
    assert code == 0, out
    assert "[1] #swarm-1-acme-cannot-export-invoices Swarm: Swarm 1: ACME cannot export invoices" in out
    assert "[2] #support Swarm: *Swarm 1* is open for @Ana Ruiz" in out
    # She may have been asked already (the experts depend on the hour): expert or helper, she joined.
    assert "Swarm: @Isabel García joined swarm 1 as " in out
    assert "(only you) Swarm: Marked as the fix for swarm 1" in out
    assert "Swarm 1 is resolved" in out
    assert "(thread of 2)" in out
    assert "#support Swarm (edited): *Swarm 1* (resolved)" in out
    assert "1 article for “pdf template”" in out


async def test_a_refused_line_fails_the_script(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await console(swarm, tmp_path, "/swarm help", "/swarm join 7", "/as nobody", "/swarm list")
    assert code == 1
    assert "(only you) Swarm: There is no swarm 7 here." in out
    assert "! nobody in the roster is called nobody" in out
    assert "2 line(s) failed: 2, 3" in capsys.readouterr().err


async def test_unreact_leaves_and_click_joins(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(
        swarm,
        tmp_path,
        "/swarm Globex SSO login loops #sso",
        "/as isabel@example.com",
        "/react eyes 2",
        "/unreact eyes 2",
        "/click join 2",
    )
    assert code == 0, out
    assert "@Isabel García joined swarm 1 as observer." in out
    assert "@Isabel García left swarm 1." in out
    assert out.count("@Isabel García joined swarm 1 as helper.") == 1


async def test_console_commands_that_cannot_be_done(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(swarm, tmp_path, "/react", "/react eyes 99", "/click resolve", "/dance", "/in")
    assert code == 1
    assert "! say what, e.g. /react raising_hand 3" in out
    assert "! there is no message 99" in out
    assert "! there is no message in #support yet" in out
    assert "! unknown console command /dance" in out
    assert "! say where: /in support" in out


def test_the_installed_command_runs_the_demo(database_url: str, tmp_path: Path) -> None:
    """What a newcomer runs: the `swarm` entry point, as a process, on the demo script (examples/demo.swarm)."""
    swarm_command = Path(sys.executable).parent / "swarm"
    env = {**os.environ, "SWARM_DATABASE_URL": database_url}
    result = subprocess.run(
        [str(swarm_command), "console", "--roster", ROSTER, "--script", str(ROOT / "examples" / "demo.swarm")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Swarm 1 is resolved" in result.stdout
    assert "Article 1: ACME cannot export invoices to PDF since 4.2" in result.stdout


async def test_people_lists_the_roster_with_its_leads(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(swarm, tmp_path, "/people")
    assert code == 0, out
    assert "Rahul Verma <rahul@example.com> Support Asia/Kolkata api:3, export:2, postgres:2 (lead)" in out
    assert "(agent)" not in out
