"""The configuration reference is generated from Settings, and docs/configuration.md holds the current one."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.settings import Settings, reference

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_reference_with_its_default_and_meaning() -> None:
    rows = [line for line in reference().splitlines() if line.startswith("| `")]
    assert len(rows) == len(Settings.model_fields)
    assert "| `SWARM_OPEN_LIMIT` | `5/10m` | swarms one person may open per window" in reference()
    assert "| `SWARM_DIGEST_TIME` | `09:00` |" in reference()
    assert "| `SWARM_ARCHIVE_ON_RESOLVE` | `false` |" in reference()
    assert all(not row.endswith("|  |") for row in rows), "every setting says what it does (Field description=)"


def test_the_configuration_page_holds_the_generated_reference() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- swarm config: start -->\n(.*?)<!-- swarm config: end -->", page, re.S)
    assert found is not None
    assert found.group(1) == reference(), "docs/configuration.md is out of date: paste the output of `swarm config`"


def test_the_reference_has_one_copy() -> None:
    """Only docs/configuration.md holds the table; other pages link to it."""
    copies = [
        path.relative_to(ROOT).as_posix()
        for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
        if "<!-- swarm config: start -->" in path.read_text(encoding="utf-8")
    ]
    assert copies == ["docs/configuration.md"]
