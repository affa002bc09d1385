"""Reads a roster file (YAML or CSV) into rows with the line each came from, and writes one (`swarm roster export`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.roster import ROSTER_COLUMNS

Row = tuple[int, Mapping[str, object]]


class RosterFileError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""


def read_rows(path: Path) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise RosterFileError(f"cannot read {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise RosterFileError(f"{path} is not UTF-8 text (byte {err.start}): save it as UTF-8") from err
    if path.suffix.lower() == ".csv":
        return _csv_rows(text)
    return _yaml_rows(text)


def _yaml_rows(text: str) -> list[Row]:
    try:
        data = yaml.safe_load(text)
        # A second, node-level parse knows where each row starts, so a rejected row can be named by its line.
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise RosterFileError(f"not valid YAML: {_printable(str(err))}") from err
    except RecursionError as err:
        raise RosterFileError("not valid YAML: nested too deeply") from err
    people, items = data, tree
    if isinstance(data, dict) and isinstance(tree, yaml.MappingNode):
        people = data.get("people")
        # The last `people:` key wins, in the tree as in the data (yaml.safe_load keeps the last of duplicates).
        items = next((v for k, v in reversed(tree.value) if k.value == "people"), None)
    if not isinstance(people, list) or not isinstance(items, yaml.SequenceNode) or len(people) != len(items.value):
        raise RosterFileError("expected a list under `people:`")
    rows: list[Row] = []
    for item, node in zip(people, items.value, strict=True):
        line = node.start_mark.line + 1
        rows.append((line, item if isinstance(item, dict) else {"name": None, "row": item}))
    return rows


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
            raise RosterFileError("the CSV needs a header row with at least a `name` column")
        rows: list[Row] = []
        for record in reader:
            cleaned = {k.strip().lower(): (v or "").strip() for k, v in record.items() if isinstance(k, str) and k}
            rows.append((reader.line_num, {k: v for k, v in cleaned.items() if isinstance(v, str) and v}))
    except csv.Error as err:
        raise RosterFileError(f"not valid CSV (line {reader.line_num}): {err}") from err
    return rows


def _printable(text: str) -> str:
    """Text with what cannot be printed (a lone surrogate) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def yaml_text(rows: list[dict[str, object]]) -> str:
    """A roster file in YAML, as examples/roster.yaml: a list under `people:`, skills as {skill: level}."""
    return yaml.safe_dump({"people": rows}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000)


def csv_text(rows: list[dict[str, object]]) -> str:
    """A roster file in CSV, as examples/roster.csv: skills `billing:4;sso:3`, learning `pdf;sso`, publisher `yes`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROSTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, dict):
        return ";".join(f"{key}:{level}" for key, level in value.items())
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)
