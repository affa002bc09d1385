"""`swarm stats`: the card, --json and --csv, periods and workspaces, after a console session rated with `/click`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.adapters.conftest import Swarm

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")


async def rated_swarm(swarm: Swarm, tmp_path: Path) -> str:
    """One swarm opened, helped, resolved and rated 4 in the console; returns what the console printed."""
    script = tmp_path / "session.swarm"
    script.write_text(
        "\n".join(
            [
                "/swarm Invoices export to PDF blank since 4.2 #pdf sev2",
                "/as isabel@example.com",
                "/react raising_hand",
                "/as ana@example.com",
                "/in swarm-1",
                "/swarm resolve cleared the template cache",
                "/click 4",
                "/click 2",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    code, out = await swarm("console", "--roster", ROSTER, "--script", str(script))
    assert code == 0, out
    return out


async def test_the_console_asks_once_and_a_click_answers(swarm: Swarm, tmp_path: Path) -> None:
    out = await rated_swarm(swarm, tmp_path)
    assert "(only you) Swarm: How well was swarm 1 handled? Pick 1 (badly) to 5 (very well)" in out
    assert "[1]  [2]  [3]  [4]  [5]" in out
    assert "(only you) Swarm: Thanks: swarm 1 rated 4/5." in out
    assert "(only you) Swarm: You already rated swarm 1 4/5; one answer per swarm, so that one stands." in out


async def test_json_is_the_whole_report_with_the_previous_period_and_trends(swarm: Swarm, tmp_path: Path) -> None:
    await rated_swarm(swarm, tmp_path)
    code, out = await swarm("stats", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["opened"], report["resolved"], report["open_at_end"], report["helps"]) == (1, 1, 0, 1)
    assert report["csat"] == {
        "answers": 1,
        "average": 4.0,
        "satisfied": 1.0,
        "response_rate": 1.0,
        "scores": [0, 0, 0, 1, 0],
    }
    assert report["time_to_resolve"]["count"] == 1 and report["time_to_resolve"]["median"] >= 0
    assert [g["key"] for g in report["by_severity"]] == ["sev1", "sev2", "sev3", "sev4"]
    assert [p["name"] for p in report["people"]] == ["Ana Ruiz", "Isabel García"]
    assert report["weeks"][-1]["opened_by_severity"] == [0, 1, 0, 0]
    previous = report["previous"]
    assert (previous["opened"], previous["previous"]) == (0, None)
    assert previous["until"] == report["since"]
    trends = {t["name"]: t for t in report["trends"]}
    assert trends["opened"] == {
        "name": "opened",
        "current": 1,
        "previous": 0,
        "change": 1.0,
        "direction": "up",
        "better": None,
    }
    assert trends["csat"]["previous"] is None and trends["csat"]["direction"] is None


async def test_csv_has_one_row_per_figure_and_the_previous_value(swarm: Swarm, tmp_path: Path) -> None:
    await rated_swarm(swarm, tmp_path)
    code, out = await swarm("stats", "--csv")
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["metric", "key", "value", "previous"]
    by = {(row[0], row[1]): row[2:] for row in table[1:]}
    assert by[("opened", "")] == ["1", "0"]
    assert by[("csat.average", "")] == ["4.0", ""]
    assert by[("csat.scores", "4")] == ["1", "0"]
    assert by[("person.helps", "Isabel García")] == ["1", ""]
    assert by[("time_to_resolve_by_severity.count", "sev2")] == ["1", "0"]
    assert all(len(row) == 4 for row in table)


async def test_the_card_and_a_period_of_dates(swarm: Swarm, tmp_path: Path) -> None:
    await rated_swarm(swarm, tmp_path)
    code, out = await swarm("stats")
    assert code == 0
    assert out.startswith("Swarming in the last 30 days, against the 30 days before\nOpened: 1 ↑ from 0\n")
    assert "CSAT: 4.0/5 (1 answer)" in out

    code, out = await swarm("stats", "--since", "2026-01-01", "--until", "2026-02-01")
    assert out.startswith("Swarming from 01 Jan 2026 to 31 Jan 2026 (UTC), against the 31 days before\n")
    assert "Opened: 0 (same)" in out
    code, out = await swarm("stats", "--json", "--since", "2026-01-01T12:00", "--until", "2026-01-02T12:00+01:00")
    report = json.loads(out)
    assert (report["since"], report["until"]) == ("2026-01-01T12:00:00+00:00", "2026-01-02T11:00:00+00:00")
    assert report["previous"]["since"] == "2025-12-31T13:00:00+00:00"


async def test_stats_are_per_workspace(swarm: Swarm, tmp_path: Path) -> None:
    await rated_swarm(swarm, tmp_path)
    await swarm("roster", "import", ROSTER, "--workspace", "T-OTHER", "--create")
    code, out = await swarm("stats", "--json", "--workspace", "T-OTHER")
    assert code == 0
    assert (json.loads(out)["opened"], json.loads(out)["roster"]) == (0, 26)
    code, out = await swarm("--workspace", "console", "stats", "--json")
    assert json.loads(out)["opened"] == 1


async def test_bad_periods_are_refused(swarm: Swarm, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = await swarm("stats", "--since", "2026-02-01", "--until", "2026-01-01")
    assert (code, out) == (1, "")
    assert "A period ends after it starts; 2026-02-01 to 2026-01-01 does not." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await swarm("stats", "--since", "last week")
    assert "'last week' is not a date: use YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await swarm("stats", "--json", "--csv")
