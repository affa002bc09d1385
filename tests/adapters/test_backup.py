"""`swarm backup` / `swarm restore` on SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.backup import BackupError, restore
from storage.database import _split_pg_options, create_engine
from tests.adapters.conftest import Swarm

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")


async def _resolve_a_swarm(swarm: Swarm, tmp_path: Path, case: str, fix: str, number: int = 1) -> None:
    script = tmp_path / f"swarm-{number}.swarm"
    script.write_text(f"/swarm {case} #pdf\n/in swarm-{number}\n/swarm resolve {fix}\n", encoding="utf-8")
    code, _ = await swarm("console", "--roster", ROSTER, "--script", str(script))
    assert code == 0


def _remove_sqlite_files(database: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def _wipe(database_url: str) -> None:
    """Loses the database: the SQLite file, or every object of the test's PostgreSQL schema."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _remove_sqlite_files(str(url.database))
        return
    schema = _split_pg_options(url)[1]["server_settings"]["search_path"]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await engine.dispose()


async def test_backup_then_restore_into_a_lost_database_brings_the_swarm_and_article_back(
    swarm: Swarm, database_url: str, tmp_path: Path
) -> None:
    await _resolve_a_swarm(swarm, tmp_path, "Invoices export to PDF blank since 4.2", "cleared the template cache")
    file = tmp_path / "backups" / "swarm.backup"
    code, out = await swarm("backup", str(file))
    assert code == 0 and out == f"Backed up the database to {file}.\n"
    assert file.stat().st_size > 0

    await _wipe(database_url)
    code, out = await swarm("restore", str(file))
    assert code == 0 and out == f"Restored the database from {file}.\n"
    code, out = await swarm("kb", "show", "1")
    assert code == 0 and "Resolution: cleared the template cache" in out
    code, out = await swarm("stats", "--json")
    assert (json.loads(out)["opened"], json.loads(out)["resolved"]) == (1, 1)


async def test_restore_refuses_a_database_with_data_unless_forced(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _resolve_a_swarm(swarm, tmp_path, "Invoices export to PDF blank since 4.2", "cleared the template cache")
    file = tmp_path / "swarm.backup"
    assert (await swarm("backup", str(file)))[0] == 0
    await _resolve_a_swarm(swarm, tmp_path, "SSO login loops on Safari", "reset the IdP session", number=2)

    code, _ = await swarm("restore", str(file))
    assert code == 1
    assert "--force" in capsys.readouterr().err
    code, out = await swarm("kb", "search", "Safari", "--json")
    assert [h["number"] for h in json.loads(out)] == [2]  # refused: nothing changed

    code, _ = await swarm("restore", str(file), "--force")
    assert code == 0
    code, out = await swarm("kb", "search", "Safari", "--json")
    assert json.loads(out) == []
    code, out = await swarm("kb", "search", "template", "--json")
    assert [h["number"] for h in json.loads(out)] == [1]


async def test_restoring_something_else_is_a_clear_error(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup", encoding="utf-8")
    assert (await swarm("restore", str(junk)))[0] == 1
    assert "is not a" in capsys.readouterr().err
    assert (await swarm("restore", str(tmp_path / "missing.backup")))[0] == 1
    assert "there is no backup file" in capsys.readouterr().err


async def test_postgresql_without_its_client_tools_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    file = tmp_path / "swarm.backup"
    file.write_bytes(b"PGDMP" + b"\0" * 32)
    with pytest.raises(BackupError, match="pg_restore is not installed"):
        await restore("postgresql://nobody@127.0.0.1:1/none", file, force=True)
