"""The dependency rule, read from the imports: adapters → handlers → bot ← storage (docs/architecture.md#the-layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = {"slack_bolt", "slack_sdk", "botbuilder", "aiohttp"}
DATABASE = {"sqlmodel", "sqlalchemy", "alembic", "asyncpg", "aiosqlite"}
FORBIDDEN: dict[str, set[str]] = {
    "bot": {"handlers", "adapters", "storage", "apscheduler"} | PLATFORM | DATABASE,
    "handlers": {"adapters", "storage"} | PLATFORM | DATABASE,
    # slack_sdk's OAuth stores live in our database, so storage's migrations may build their tables.
    "storage": {"handlers", "adapters", "slack_bolt", "botbuilder", "aiohttp"},
}
# Only the composition root may build storage.
STORAGE_USERS = {"adapters/app.py", "adapters/cli.py"}


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(root: Path = ROOT) -> list[str]:
    broken = []
    for package, banned in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imports(path):
                if module.split(".")[0] in banned:
                    broken.append(f"{path.relative_to(root)}:{line} imports {module}")
    for path in sorted((root / "adapters").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        for line, module in imports(path):
            if module.split(".")[0] == "storage" and relative not in STORAGE_USERS:
                broken.append(f"{relative}:{line} imports {module} (only the composition root may)")
    return broken


def test_every_import_keeps_the_dependency_rule() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("file", "statement"),
    [
        ("bot/swarms.py", "from storage.tables import Swarm"),
        ("bot/matching.py", "import sqlalchemy"),
        ("handlers/commands.py", "from slack_sdk.models.blocks import SectionBlock"),
        ("storage/people.py", "from handlers.chat import Reply"),
        ("adapters/console.py", "from storage.database import SqlStore"),
    ],
)
def test_the_check_catches_a_broken_import(tmp_path: Path, file: str, statement: str) -> None:
    offender = tmp_path / file
    offender.parent.mkdir(parents=True)
    offender.write_text(f"{statement}\n", encoding="utf-8")
    assert violations(tmp_path) == [
        f"{file}:1 imports {statement.split()[1]}"
        + (" (only the composition root may)" if file.startswith("adapters") else "")
    ]
