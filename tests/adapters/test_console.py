"""The console workspace, as a newcomer uses it: lines in, the conversation out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console import ConsoleError, button_named
from handlers.chat import Button
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


async def test_a_mistyped_subcommand_asks_and_its_buttons_are_pressed_by_name(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(
        swarm, tmp_path, "/swarm ACME export fails #billing", "/swarm stauts 1", "/click run", "/click open"
    )
    assert code == 0, out
    assert "(only you) Swarm: Did you mean `/swarm status 1`? Nothing was opened.\n    [Run it]  [Open a swarm]" in out
    assert "(only you) Swarm: Swarm 1: ACME export fails" in out
    assert "#swarm-2-stauts-1" in out


TEAM = """people:
  - {name: Ana Ruiz, email: ana@example.com, skills: {support: 3}}
  - {name: Wendy Zhang, email: wendy@example.com, skills: {billing: 5}}
  - {name: Omar Haddad, email: omar@example.com, skills: {vat: 5}}
"""


async def test_buttons_are_pressed_by_their_label(swarm: Swarm, tmp_path: Path) -> None:
    roster = tmp_path / "team.yaml"
    roster.write_text(TEAM, encoding="utf-8")
    script = tmp_path / "session.swarm"
    lines = [
        "/swarm ACME invoices show the wrong total #billing sev1",  # Wendy is asked
        "/swarm Globex VAT rate wrong on invoices #vat sev1",  # Omar is asked
        "/as omar@example.com",
        "/in swarm-2",
        "/click Can't now",
        "/as wendy@example.com",
        "/in swarm-1",
        "/click i can",  # any case, the start of a label
        "Recomputed the totals after the rounding fix",
        "/react ✅",
        "/as ana@example.com",
        "/swarm resolve recomputed the totals",
        "/click 👍 Wendy",
        "/in support",
        "/swarm Initech invoices show the wrong total #billing sev1",
        "/in swarm-3",
        "/click Article 1 solved it",
    ]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = await swarm("console", "--roster", str(roster), "--script", str(script))
    assert code == 0, out

    def after(line: str) -> str:
        """What Swarm said between the line and the next."""
        return out.split(f"> {line}\n", 1)[1].split("> ", 1)[0]

    assert "@Omar Haddad can't help with swarm 2 right now." in after("/click Can't now")
    assert "@Wendy Zhang can help with swarm 1." in after("/click i can")
    assert "Noted: Wendy Zhang was the right person to ask." in after("/click 👍 Wendy")
    assert "Swarm 3 is resolved: a known fix, article 1" in after("/click Article 1 solved it")


async def test_a_label_no_button_has_says_which_there_are(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(swarm, tmp_path, "/swarm Globex SSO login loops #sso sev1", "/click Bogus", "/click 👍")
    assert code == 1
    assert "! message 2 has no Bogus button (it has Join)" in out
    assert "! message 2 has no 👍 button (it has Join)" in out


def test_a_label_that_starts_several_buttons_asks_which() -> None:
    rating = [Button("👍 Wendy", "match_good", "1:2"), Button("👎 Wendy", "match_bad", "1:2")]
    rating += [Button("👍 Bruno", "match_good", "1:3"), Button("👎 Bruno", "match_bad", "1:3")]
    with pytest.raises(ConsoleError, match=r"^👍 could be 👍 Wendy or 👍 Bruno: say which$"):
        button_named("👍", rating)
    assert button_named("👍 b", rating) == rating[2]
    assert button_named("  👍   WENDY ", rating) == rating[0]
    assert button_named("Can’t now", [Button("Can't now", "decline", "1")]) is not None  # a curly apostrophe too


async def test_people_lists_the_roster_with_its_leads(swarm: Swarm, tmp_path: Path) -> None:
    code, out = await console(swarm, tmp_path, "/people")
    assert code == 0, out
    assert "Rahul Verma <rahul@example.com> Support Asia/Kolkata api:3, export:2, postgres:2 (lead)" in out
    assert "(agent)" not in out
