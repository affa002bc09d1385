"""The `swarm` command line, in-process, against the test database."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from adapters.app import App
from adapters.cli import parser, run
from adapters.settings import Settings
from handlers.subcommands import SUBCOMMANDS, Who
from tests.adapters.conftest import Swarm
from tests.fakes.slack_api import DEFAULT_TOKEN, TEAM_ID, FakeSlack

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
    await swarm("roster", "import", ROSTER, "--workspace", "T0123ABCD", "--create")
    code, out = await swarm("roster", "list", "--json", "--workspace", "T0123ABCD")
    assert code == 0 and len(json.loads(out)) == 26
    code, out = await swarm("--workspace", "console", "roster", "list", "--json")
    assert json.loads(out) == []


async def test_a_typo_in_the_workspace_is_refused_and_makes_no_workspace(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await swarm("roster", "import", ROSTER, "--workspace", "T0123ABCD", "--create")
    capsys.readouterr()
    for argv in (("roster", "import", ROSTER), ("roster", "list"), ("kb", "search", "VAT"), ("stats",)):
        assert await swarm(*argv, "--workspace", "T0123ABDC") == (2, "")
        assert capsys.readouterr().err == (
            "There is no workspace 'T0123ABDC'. Did you mean T0123ABCD? The workspaces are: T0123ABCD, console.\n"
        )
    # Only the workspace that holds the roster, so the commands go on finding it without --workspace.
    code, out = await swarm("roster", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 26


async def test_an_import_whose_every_row_is_refused_makes_no_workspace(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text("people:\n  - name: Bad Zone\n    timezone: Mars/Olympus\n", encoding="utf-8")
    code, out = await swarm("roster", "import", str(roster), "--workspace", "T0NEW", "--create")
    assert code == 1 and out.startswith("0 added, 0 updated, 1 rejected")
    assert await swarm("roster", "list", "--workspace", "T0NEW") == (2, "")
    assert "There is no workspace 'T0NEW'." in capsys.readouterr().err


async def test_with_one_slack_workspace_every_command_uses_it(swarm: Swarm, monkeypatch: pytest.MonkeyPatch) -> None:
    # A newcomer following the Slack set-up: SLACK_BOT_TOKEN, then `swarm roster import`, no --workspace.
    async with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", slack.url)
        code, out = await swarm("roster", "import", ROSTER)
        assert code == 0 and out.startswith("26 added")
        code, out = await swarm("roster", "list", "--json", "--workspace", TEAM_ID)
        assert len(json.loads(out)) == 26
        code, out = await swarm("experts", "ACME invoices #billing sev1")
        assert code == 0 and "Nobody in the roster" not in out
    assert await swarm("--workspace", "console", "roster", "list") == (0, "")


async def test_a_rejected_slack_token_is_one_line_not_the_console_workspace(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
        monkeypatch.setenv("SLACK_API_URL", slack.url)
        assert await swarm("roster", "import", ROSTER) == (2, "")
    assert capsys.readouterr().err.startswith("Slack rejected SLACK_BOT_TOKEN (invalid_auth): check")
    assert await swarm("--workspace", "console", "roster", "list") == (0, "")


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


def _swarm_process(*argv: str, stdout: int) -> subprocess.Popen[bytes]:
    """`swarm ARGV` in a process of its own (this checkout's code), its output to `stdout`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "from adapters.cli import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, *argv], stdout=stdout, stderr=subprocess.PIPE, env=env)


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    # `swarm config | head -1`, with the reader gone before the first line: each write meets a closed pipe.
    read, write = os.pipe()
    os.close(read)
    process = _swarm_process("config", stdout=write)
    os.close(write)
    _, err = process.communicate(timeout=60)
    assert err.decode() == ""
    assert process.returncode == 1


def test_python_dash_m_runs_the_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "commands"], capture_output=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0
    assert b"| `/swarm " in done.stdout


@pytest.mark.parametrize("name", ["roster.yaml", "roster.csv"])
async def test_an_exported_roster_imports_back_as_the_same_people(swarm: Swarm, tmp_path: Path, name: str) -> None:
    await swarm("roster", "import", ROSTER)
    exported = tmp_path / name
    code, out = await swarm("roster", "export", str(exported))
    assert (code, out) == (0, f"Exported 26 people to {exported}.\n")
    # Into the same workspace: everyone is known already. Into a new one: the same people, field by field.
    assert (await swarm("roster", "import", str(exported)))[1].startswith("0 added, 26 updated, 0 rejected")
    code, out = await swarm("roster", "import", str(exported), "--workspace", "T0COPY", "--create")
    assert out.startswith("26 added, 0 updated, 0 rejected")

    def people(listed: str) -> list[dict[str, object]]:
        return [{k: v for k, v in p.items() if k != "id"} for p in json.loads(listed)]

    original = people((await swarm("roster", "list", "--json", "--workspace", "console"))[1])
    copy = people((await swarm("roster", "list", "--json", "--workspace", "T0COPY"))[1])
    assert copy == original
    assert [p["name"] for p in copy if p["role"] == "lead"] == ["Rahul Verma"]


async def test_the_export_goes_to_standard_output_as_yaml_or_csv(swarm: Swarm) -> None:
    await swarm("roster", "import", ROSTER)
    code, out = await swarm("roster", "export")
    assert code == 0 and out.startswith("people:\n- name: Ana Ruiz\n  email: ana@example.com\n")
    assert "  skills: {billing: 2, export: 1, invoicing: 2}\n" in out
    code, out = await swarm("roster", "export", "--csv")
    assert (
        out.splitlines()[0] == "name,email,slack_id,teams_id,department,timezone,working_hours,skills,learning,"
        "max_active_swarms,publisher,role"
    )
    assert out.splitlines()[1].startswith("Ana Ruiz,ana@example.com,U01ANA,")


async def test_a_team_that_installed_the_app_is_a_workspace_before_its_first_event(
    swarm: Swarm, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    app = await App.start(Settings(SWARM_DATABASE_URL=database_url))
    try:
        await AsyncSQLAlchemyInstallationStore("111.222", app.store.engine).async_save(
            Installation(app_id="A0001", team_id="T0INSTALLED", bot_token="xoxb-installed", user_id="UINSTALLER")
        )
    finally:
        await app.close()
    code, out = await swarm("roster", "import", ROSTER, "--workspace", "T0INSTALLED")
    assert code == 0 and out.startswith("26 added")
    assert (await swarm("roster", "list", "--workspace", "T0INSTALLEE"))[0] == 2


async def test_several_workspaces_and_nothing_to_choose_asks_for_one(
    swarm: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    await swarm("roster", "import", ROSTER, "--workspace", "T0AAA", "--create")
    await swarm("roster", "import", ROSTER, "--workspace", "T0BBB", "--create")
    capsys.readouterr()
    assert await swarm("roster", "list") == (2, "")
    assert capsys.readouterr().err == (
        "Swarm has several workspaces (T0AAA, T0BBB, console) and nothing says which one you mean: name it with "
        "--workspace KEY, or set SWARM_WEB_WORKSPACE.\n"
    )


async def test_slack_out_of_reach_is_one_line_not_the_console_workspace(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", slack.url)
        slack.drop("auth.test", times=10)  # every connection closed unanswered, as with no network
        assert await swarm("roster", "import", ROSTER) == (2, "")
        # Named, the workspace needs no Slack: the console's is there without asking.
        assert (await swarm("roster", "list", "--workspace", "console"))[0] == 0
    err = capsys.readouterr().err
    assert err.startswith(f"Cannot reach Slack at {slack.url} (") and err.count("\n") == 1
