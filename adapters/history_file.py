"""Reads a help desk's export of resolved cases (CSV) into rows with the line each starts on."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.history import HISTORY_COLUMNS

Row = tuple[int, dict[str, str]]

# Without these the file is not a case export at all; a row may still leave one empty (and be rejected).
REQUIRED_COLUMNS = ("case_id", "resolver_email", "opened_at", "resolved_at", "resolution")


class HistoryFileError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""


def read_history(path: Path) -> list[Row]:
    """The rows of the CSV as {column: value}; headers are matched case-insensitively and extra columns are kept."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise HistoryFileError(f"cannot read {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise HistoryFileError(f"{path} is not UTF-8 text: save the export as CSV UTF-8") from err
    return parse_history(text)


def parse_history(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        header: list[str] | None = None
        end = 0
        for record in reader:
            # A quoted field may span lines: a row is named by the line it starts on.
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [_column(cell) for cell in record]
                _check_header(header)
                continue
            values = {name: cell.strip() for name, cell in zip(header, record, strict=False) if name}
            rows.append((start, {name: values.get(name, "") for name in dict.fromkeys([*HISTORY_COLUMNS, *values])}))
    except csv.Error as err:
        raise HistoryFileError(f"line {reader.line_num}: not valid CSV: {err}") from err
    if header is None:
        raise HistoryFileError(_needs_header())
    return rows


def _column(name: str) -> str:
    # A spreadsheet header reads "Case ID" or "Resolved-at"; the format says case_id, resolved_at.
    return "_".join(name.strip().lower().replace("-", " ").split())


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if "title" not in header and "description" not in header:
        missing.append("title")
    if missing:
        raise HistoryFileError(f"{_needs_header()}; missing: {', '.join(missing)}")


def _needs_header() -> str:
    return f"the CSV needs a header row with the columns {', '.join(HISTORY_COLUMNS)}"
