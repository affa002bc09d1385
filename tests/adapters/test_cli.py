"""The `swarm` command line, in-process, against the test database."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from adapters.cli import parser, run
from handlers.subcommands import SUBCOMMANDS, Who
from tests.adapters.conftest import Swarm

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")


async def test_roster_import_reports_and_keeps_the_good_rows(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "people:\n"
        "  - name: Ana Ruiz\n"
        "    email: ana@example.com\n"
        "    skills: {billing: 5}\n"
        "  - name: Bad Zone\n"
        "    timezone: Mars/Olympus\n"
        "  - email: nameless@example.com\n"
        "  - name: Bad Level\n"
        "    skills: {billing: 9}\n",
        encoding="utf-8",
    )
    code, out = await swarm("roster", "import", str(roster))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "1 added, 0 updated, 3 rejected"
    assert lines[1].startswith("line 5: Mars/Olympus is not a timezone")
    assert lines[2] == "line 7: a name is required"
    assert lines[3].startswith("line 8: ")
    code, out = await swarm("roster", "list", "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)] == ["Ana Ruiz"]


async def test_importing_again_updates_instead_of_duplicating(swarm: Swarm) -> None:
    code, out = await swarm("roster", "import", ROSTER)
    assert code == 0 and out.startswith("26 added, 0 updated, 0 rejected")
    code, out = await swarm("roster", "import", ROSTER)
    assert out.startswith("0 added, 26 updated, 0 rejected")
    code, out = await swarm("roster", "list")
    assert len(out.splitlines()) == 26
    assert "Ana Ruiz" in out
    # The sample roster's support lead is shown as one.
    assert [line for line in out.splitlines() if line.endswith("(lead)")] == [
        line for line in out.splitlines() if line.startswith("Rahul Verma")
    ]


async def test_experts_ranks_with_reasons_and_opens_nothing(swarm: Swarm) -> None:
    await swarm("roster", "import", ROSTER)
    # sev1 may reach people out of hours, so the answer does not depend on the hour the test runs.
    code, out = await swarm("experts", "ACME cannot export invoices to PDF #billing #pdf sev1", "--json")
    assert code == 0
    matches = json.loads(out)
    team = [m for m in matches if m["team"]]
    assert 1 <= len(team) <= 5
    # Between them the team covers every skill the case needs (export: a roster skill named in the text).
    assert {s for m in team for s in m["skills"]} == {"billing", "pdf", "export"}
    assert [m["score"] for m in matches[len(team) :]] == sorted(
        (m["score"] for m in matches[len(team) :]), reverse=True
    )
    assert set(matches[0]) == {
        "name",
        "email",
        "slack_id",
        "teams_id",
        "department",
        "score",
        "reasons",
        "skills",
        "team",
    }
    assert all(m["reasons"] for m in matches)
    code, out = await swarm("stats", "--json")
    assert json.loads(out)["opened"] == 0


async def test_experts_for_skills_alone_answer_and_for_nothing_are_refused(
    swarm: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await swarm("experts", "#billing")
    assert code == 0 and "(skills: #billing)" in out  # this workspace has no roster: nobody matches
    code, _ = await swarm("experts", "sev2")
    assert code == 1
    assert "Describe the case" in capsys.readouterr().err


async def test_kb_search_show_and_stats_after_a_console_swarm(swarm: Swarm, tmp_path: Path) -> None:
    script = tmp_path / "resolve.swarm"
    script.write_text(
        "/swarm Invoices export to PDF blank since 4.2 #pdf\n/in swarm-1\n/swarm resolve cleared the template cache\n",
        encoding="utf-8",
    )
    code, _ = await swarm("console", "--roster", ROSTER, "--script", str(script))
    assert code == 0
    code, out = await swarm("kb", "search", "template", "--json")
    hits = json.loads(out)
    assert [h["number"] for h in hits] == [1]
    assert hits[0]["title"] == "Invoices export to PDF blank since 4.2"
    code, out = await swarm("kb", "search", 'template" OR (*')
    assert code == 0 and "Invoices export to PDF blank" in out
    code, out = await swarm("kb", "show", "1")
    assert "Resolution: cleared the template cache" in out
    code, out = await swarm("stats", "--json")
    stats = json.loads(out)
    assert (stats["opened"], stats["resolved"]) == (1, 1)


async def test_kb_show_of_an_unknown_article(swarm: Swarm, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = await swarm("kb", "show", "9")
    assert code == 1
    assert "There is no article 9." in capsys.readouterr().err


async def test_db_upgrade_is_idempotent(swarm: Swarm) -> None:
    assert await swarm("db", "upgrade") == (0, "The database is up to date.\n")
    assert await swarm("db", "upgrade") == (0, "The database is up to date.\n")


async def test_the_workspace_may_follow_the_subcommand(swarm: Swarm) -> None:
    await swarm("roster", "import", ROSTER, "--workspace", "T0123ABCD")
    code, out = await swarm("roster", "list", "--json", "--workspace", "T0123ABCD")
    assert code == 0 and len(json.loads(out)) == 26
    code, out = await swarm("roster", "list", "--json")
    assert json.loads(out) == []


async def test_swarm_commands_prints_the_subcommand_table_docs_commands_holds() -> None:
    out = io.StringIO()
    assert await run(parser().parse_args(["commands"]), out) == 0
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| `/swarm ")]
    assert len(rows) == sum(len(s.usages) for s in SUBCOMMANDS)
    assert "| `/swarm owner [n] @person` | hand the swarm over to someone else | the owner, a lead or admin |" in rows
    page = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- subcommands: start -->\n(.*?)<!-- subcommands: end -->", page, re.S)
    assert found is not None
    assert found.group(1) == out.getvalue(), "docs/commands.md is out of date: paste the output of `swarm commands`"
    explained = page.partition("## Who may run it")[2]
    assert all(f"- **{who.value}**:" in explained for who in Who), "docs/commands.md explains every 'who may run it'"
