"""Hostile roster files, fuzzed with hypothesis through `swarm roster import`: whatever the file holds, the command
ends with a report (or says why the file cannot be read), never a traceback; each bad row is rejected with a
sentence naming what is wrong; and what is in the database afterwards is exactly the rows that were accepted."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.roster_file import RosterFileError, read_rows
from bot.roster import ROSTER_COLUMNS
from tests.adapters.conftest import Swarm

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ODD_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "Ana\udfff", "\x00", "a\x00b", "ana@example.com", "Europe/Madrid", "UTC", "9-17",
                     "25:00-26:00", "billing:5;sso:9", "billing:x", "yes", "0", "-1", "10000000000000000000000", "",
                     " ", "Ana Ruiz", "U01ANA", "U 1", "≈", "💥"]),
)  # fmt: skip
SCALAR: st.SearchStrategy[Any] = st.one_of(
    ODD_TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none()
)
CELL: st.SearchStrategy[Any] = st.one_of(
    SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(ODD_TEXT, SCALAR, max_size=3)
)
ROW = st.dictionaries(st.one_of(st.sampled_from(ROSTER_COLUMNS), st.text(max_size=8)), CELL, max_size=8)
PEOPLE = st.lists(st.one_of(ROW, ROW, ROW, SCALAR), max_size=6)


def yaml_text(people: list[Any], raw: str) -> str:
    """Mostly a dumped roster (allow_unicode keeps lone surrogates as escapes yaml reads back), sometimes raw text."""
    return raw or yaml.safe_dump({"people": people}, allow_unicode=False)


def csv_text(rows: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROSTER_COLUMNS)
    for row in rows:
        values = row if isinstance(row, dict) else {"name": row}
        writer.writerow([_cell(values.get(column)) for column in ROSTER_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


async def roster_now(swarm: Swarm) -> list[dict[str, Any]]:
    code, out = await swarm("roster", "list", "--json")
    assert code == 0
    return list(json.loads(out))


async def imported(swarm: Swarm, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = await roster_now(swarm)
    try:
        rows = read_rows(path)
    except RosterFileError:
        rows = None
    code, out = await swarm("roster", "import", str(path))
    err = capsys.readouterr().err
    after = await roster_now(swarm)
    if rows is None:  # the file as a whole is refused: nothing changes
        assert code != 0 and after == before, err
        return
    added, updated, rejected = (int(out.split()[i]) for i in (0, 2, 4))
    assert added + updated + rejected == len(rows), out
    lines = out.strip().splitlines()[1:]
    assert len(lines) == rejected and all(line.startswith("line ") and ": " in line for line in lines), out
    assert "That didn't work" not in out and "Traceback" not in err
    assert len(after) == len(before) + added
    assert code == (1 if rejected else 0)


@FUZZ
@given(people=PEOPLE, raw=st.one_of(st.just(""), st.just(""), st.text(max_size=80)))
async def test_any_yaml_roster_imports_or_is_refused_row_by_row(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str], people: list[Any], raw: str
) -> None:
    path = tmp_path / "roster.yaml"
    text = yaml_text(people, raw)
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except UnicodeEncodeError:  # pragma: no cover - surrogatepass writes anything
        return
    await imported(swarm, path, capsys)


@FUZZ
@given(rows=PEOPLE)
async def test_any_csv_roster_imports_or_is_refused_row_by_row(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[Any]
) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_text(rows).encode("utf-8", "surrogatepass"))
    await imported(swarm, path, capsys)


async def test_a_lone_surrogate_in_yaml_is_a_rejected_row(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text('people:\n  - name: "Ana \\ud800"\n  - name: Ben\n', encoding="utf-8")
    code, out = await swarm("roster", "import", str(path))
    assert code == 1
    assert out.splitlines() == ["1 added, 0 updated, 1 rejected", "line 2: name cannot be Ana \\ud800"]
    assert [p["name"] for p in await roster_now(swarm)] == ["Ben"]


async def test_a_value_with_a_line_break_and_nul_is_named_on_one_line(swarm: Swarm, tmp_path: Path) -> None:
    # Found by the fuzz test above: the carriage return of a refused value split its line of the report in two.
    path = tmp_path / "roster.csv"
    path.write_bytes(b'name\n"0\r\x00"\n')
    code, out = await swarm("roster", "import", str(path))
    assert code != 0
    assert out.splitlines() == ["0 added, 0 updated, 1 rejected", "line 3: name cannot be 0\\n\\x00"]


async def test_a_file_that_is_not_utf8_says_so(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("name\nJosé\n".encode("latin-1"))
    code, _ = await swarm("roster", "import", str(path))
    assert code != 0
    assert "is not UTF-8 text" in capsys.readouterr().err
    assert await roster_now(swarm) == []
