"""Reads a roster file (YAML or CSV, DESIGN.md §4) into rows with the line each came from."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

Row = tuple[int, Mapping[str, object]]


class RosterFileError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of each mapping so that a rejected row can be named by line."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_rows(path: Path) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise RosterFileError(f"cannot read {path}: {err.strerror}") from err
    if path.suffix.lower() == ".csv":
        return _csv_rows(text)
    return _yaml_rows(text)


def _yaml_rows(text: str) -> list[Row]:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        raise RosterFileError(f"not valid YAML: {err}") from err
    people = data.get("people") if isinstance(data, dict) else data
    if not isinstance(people, list):
        raise RosterFileError("expected a list under `people:`")
    rows: list[Row] = []
    for item in people:
        if isinstance(item, dict):
            line = int(item.pop("__line__", 0))
            rows.append((line, item))
        else:
            rows.append((0, {"__invalid__": item}))
    return rows


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
        raise RosterFileError("the CSV needs a header row with at least a `name` column")
    rows: list[Row] = []
    for record in reader:
        cleaned = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k}
        rows.append((reader.line_num, {k: v for k, v in cleaned.items() if v}))
    return rows
