from __future__ import annotations

from pathlib import Path

import pytest

from adapters.roster_file import RosterFileError, read_rows

ROOT = Path(__file__).resolve().parents[2]


def test_yaml_rows_carry_the_line_they_start_on(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "people:\n"
        "  - name: Ana Ruiz\n"
        "    skills: {billing: 5}\n"
        "  # a comment\n"
        "  - name: Ben Okafor\n"
        "    timezone: Europe/London\n",
        encoding="utf-8",
    )
    assert read_rows(roster) == [
        (2, {"name": "Ana Ruiz", "skills": {"billing": 5}}),
        (5, {"name": "Ben Okafor", "timezone": "Europe/London"}),
    ]


def test_csv_rows_carry_their_line_and_drop_empty_cells(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,skills\nAna Ruiz,ana@example.com,billing:5;sso:3\nBen,,\n", encoding="utf-8")
    assert read_rows(roster) == [
        (2, {"name": "Ana Ruiz", "email": "ana@example.com", "skills": "billing:5;sso:3"}),
        (3, {"name": "Ben"}),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.yaml", "people: [unclosed", "not valid YAML"),
        ("r.yaml", "staff:\n  - name: Ana\n", "expected a list under `people:`"),
        ("r.csv", "email\nana@example.com\n", "header row with at least a `name` column"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path: Path, name: str, content: str, message: str) -> None:
    roster = tmp_path / name
    roster.write_text(content, encoding="utf-8")
    with pytest.raises(RosterFileError, match=message):
        read_rows(roster)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RosterFileError, match="cannot read"):
        read_rows(tmp_path / "nope.yaml")


def test_the_sample_rosters_read_whole() -> None:
    assert len(read_rows(ROOT / "examples" / "roster.yaml")) >= 25
    assert len(read_rows(ROOT / "examples" / "roster.csv")) >= 5
