"""`swarm kb export DIR` / `swarm kb import DIR`, and search filters through `swarm kb search`, in-process."""

from __future__ import annotations

import io
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.cli import parser, run
from storage.database import create_engine
from tests.adapters.conftest import Swarm
from tests.adapters.web.conftest import TOKEN, serve
from tests.conftest import DATABASE_URL_ENV
from tests.databases import fresh_schema, sqlite_url
from tests.semantic import requires_semantic

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")
HISTORY = str(ROOT / "examples" / "history.csv")


@pytest.fixture
async def fresh_url(tmp_path: Path) -> AsyncIterator[str]:
    """A second empty database beside the test's: another SQLite file, or another schema on PostgreSQL."""
    server = os.environ.get(DATABASE_URL_ENV)
    if not server:
        yield sqlite_url(tmp_path / "fresh.db")
        return
    async with fresh_schema(server) as url:
        yield url


async def _in(url: str, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("SWARM_DATABASE_URL", url)
    out = io.StringIO()
    return await run(parser().parse_args(list(argv)), out), out.getvalue()


def _articles(out: str) -> list[dict[str, object]]:
    """The fields an export carries, of `swarm kb search --json` rows."""
    keys = ("number", "title", "issue", "environment", "resolution", "cause", "tags", "contributors", "state")
    return [{k: row[k] for k in keys} for row in json.loads(out)]


async def test_export_then_import_into_a_fresh_database_gives_the_same_articles(
    swarm: Swarm, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    folder = tmp_path / "kb"

    code, out = await swarm("kb", "export", str(folder))

    assert code == 0
    files = sorted(p.name for p in folder.iterdir())
    assert out == f"{len(files)} articles written to {folder}\n"
    assert len(files) == 41 and files[0].startswith("0001-") and all(f.endswith(".md") for f in files)
    first = (folder / files[0]).read_text(encoding="utf-8")
    assert first.startswith("---\nnumber: 1\ntitle: ") and "\nswarm: 1\n" in first and "\n## Resolution\n" in first

    code, out = await _in(fresh_url, monkeypatch, "kb", "import", str(folder))
    assert (code, out) == (0, "41 added, 0 updated, 0 unchanged, 0 rejected\n")

    # The same articles, field by field; what search shows of them too.
    for query in ("state:all pdf", "state:all sso", "#billing state:all"):
        _, there = await swarm("kb", "search", query, "--json")
        _, here = await _in(fresh_url, monkeypatch, "kb", "search", query, "--json")
        assert _articles(here) == _articles(there) != []
    for number in ("1", "17", "41"):
        _, there = await swarm("kb", "show", number)
        _, here = await _in(fresh_url, monkeypatch, "kb", "show", number)
        assert here == there

    # Exported again from the fresh database, the files are the same but for the swarm, which it does not have.
    again = tmp_path / "again"
    await _in(fresh_url, monkeypatch, "kb", "export", str(again))
    for name in files:
        before = (folder / name).read_text(encoding="utf-8")
        after = (again / name).read_text(encoding="utf-8")
        assert after == "\n".join("swarm: null" if line.startswith("swarm: ") else line for line in before.split("\n"))


async def test_importing_the_same_files_again_changes_nothing(swarm: Swarm, tmp_path: Path) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    folder = tmp_path / "kb"
    await swarm("kb", "export", str(folder))
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}

    code, out = await swarm("kb", "import", str(folder))
    assert (code, out) == (0, "0 added, 0 updated, 41 unchanged, 0 rejected\n")
    code, out = await swarm("kb", "import", str(folder))
    assert out == "0 added, 0 updated, 41 unchanged, 0 rejected\n"

    await swarm("kb", "export", str(folder))
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == before


async def test_an_edited_file_updates_its_article_and_a_taken_number_gets_the_next(
    swarm: Swarm, tmp_path: Path
) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    folder = tmp_path / "kb"
    await swarm("kb", "export", str(folder))
    [second] = folder.glob("0002-*.md")
    second.write_text(
        second.read_text(encoding="utf-8")
        .replace("state: draft", "state: validated")
        .replace("tags: [", "tags: [edited, "),
        encoding="utf-8",
    )
    (folder / "0003-someone-elses.md").write_text(
        "---\nnumber: 3\ntitle: A different article\ntags: [pdf]\n---\n\n## Issue\n\nPrinter jams\n\n"
        "## Resolution\n\nOpen the tray\n",
        encoding="utf-8",
    )
    (folder / "0099-new.md").write_text("---\nnumber: 99\ntitle: Brand new\n---\n## Resolution\nx\n", encoding="utf-8")
    (folder / "broken.md").write_text("no front matter here\n", encoding="utf-8")
    (folder / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))

    code, out = await swarm("kb", "import", str(folder))

    assert code == 1
    assert out.splitlines() == [
        "2 added, 1 updated, 40 unchanged, 2 rejected",
        "0003-someone-elses.md: article 3 here has another title, so this one is article 42",
        "broken.md: no front matter: the file must start with a `---` line, the fields, and `---`",
        "latin1.md: it cannot be read as UTF-8 text",
    ]
    _, found = await swarm("kb", "search", "#edited", "state:validated", "--json")
    assert [row["number"] for row in json.loads(found)] == [2]
    _, found = await swarm("kb", "search", '"printer jams"', "--json")
    assert [row["number"] for row in json.loads(found)] == [42]
    _, shown = await swarm("kb", "show", "99")
    assert shown.startswith("Article 99: Brand new")
    # Again: nothing changes, the renumbered file included (it is known by its title now).
    _, out = await swarm("kb", "import", str(folder))
    assert out.splitlines()[0] == "0 added, 0 updated, 43 unchanged, 2 rejected"
    # The counter moved past the numbers imported: the next article is 100, not one that is taken.
    (folder / "new.md").write_text("---\ntitle: Numberless\n---\n", encoding="utf-8")
    await swarm("kb", "import", str(folder))
    _, shown = await swarm("kb", "show", "100")
    assert shown.startswith("Article 100: Numberless")


async def test_an_article_renamed_since_the_last_export_replaces_its_old_file(swarm: Swarm, tmp_path: Path) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    folder = tmp_path / "kb"
    await swarm("kb", "export", str(folder))
    [first] = folder.glob("0001-*.md")
    first.rename(folder / "0001-an-older-title.md")
    (folder / "notes.md").write_text("mine", encoding="utf-8")

    await swarm("kb", "export", str(folder))

    assert not (folder / "0001-an-older-title.md").exists()
    assert first.exists() and (folder / "notes.md").read_text(encoding="utf-8") == "mine"


async def test_import_needs_a_folder(swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = await swarm("kb", "import", str(tmp_path / "missing"))
    assert code == 1
    assert "is not a folder" in capsys.readouterr().err


async def test_search_filters_from_the_command_line(swarm: Swarm) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    _, everything = await swarm("kb", "search", "#sso", "--json")
    assert everything != "[]\n" and all("sso" in row["tags"] for row in json.loads(everything))
    code, out = await swarm("kb", "search", '"NEAR(', "AND", "-", "*", "--json")
    assert code == 0 and isinstance(json.loads(out), list)
    code, _ = await swarm("kb", "search", "state:all")
    assert code == 1  # a state alone says nothing to look for


async def test_reindex_rebuilds_a_search_index_that_lost_its_articles(swarm: Swarm, database_url: str) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    _, before = await swarm("kb", "search", "state:all pdf", "--json")
    assert _articles(before) != []
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                # The FTS5 index forgets every article (as an index made before the triggers, or restored apart).
                await connection.execute(text("INSERT INTO article_fts(article_fts) VALUES ('delete-all')"))
            else:
                await connection.execute(text("DROP INDEX ix_article_search_vector"))
            # And the word counts the database ranks by (as rows written by other code than Swarm's).
            await connection.execute(text("UPDATE article SET search_terms = NULL, search_length = 0"))
        if engine.dialect.name == "sqlite":
            assert (await swarm("kb", "search", "state:all pdf", "--json"))[1].strip() == "[]"

        code, out = await swarm("kb", "reindex")

        assert code == 0
        assert out.splitlines() == [
            "Search index rebuilt: 41 articles.",
            "No vectors: keyword search only (the semantic extra is not installed, or SWARM_SEMANTIC=off).",
        ]
        _, after = await swarm("kb", "search", "state:all pdf", "--json")
        assert _articles(after) == _articles(before)
        async with engine.connect() as connection:
            uncounted = await connection.execute(text("SELECT count(*) FROM article WHERE search_length = 0"))
            assert uncounted.scalar_one() == 0
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                found = await connection.execute(
                    # Named through the search path, so that only this schema's index is read: pg_indexes would
                    # work out the definition of every schema's index of that name, some of them being dropped.
                    text("SELECT pg_get_indexdef('ix_article_search_vector'::regclass)")
                )
                assert "WITH (fastupdate=off)" in found.scalar_one()  # made again as the migrations make it
    finally:
        await engine.dispose()


@requires_semantic
async def test_reindex_embeds_the_articles_without_a_vector_and_with_full_all_again(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    await swarm("history", "import", HISTORY)
    monkeypatch.setenv("SWARM_SEMANTIC", "on")

    code, out = await swarm("kb", "reindex")
    assert (code, out.splitlines()[1:]) == (0, ["Vectors (all-MiniLM-L6-v2): 41 articles embedded."])

    _, out = await swarm("kb", "reindex")
    assert out.splitlines()[1:] == ["Vectors (all-MiniLM-L6-v2): 0 articles embedded."]

    _, out = await swarm("kb", "reindex", "--full")
    assert out.splitlines()[1:] == ["Vectors (all-MiniLM-L6-v2): 41 articles embedded."]


async def test_kb_search_asks_the_running_server_when_one_is_configured(
    database_url: str, fresh_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve(database_url) as site:  # the real server, on loopback, with ACME's articles
        monkeypatch.setenv("SWARM_WEB_URL", site.url + "/")
        monkeypatch.setenv("SWARM_WEB_TOKEN", TOKEN)
        capsys.readouterr()

        # This machine's database is empty: what is found comes from the server.
        code, out = await _in(fresh_url, monkeypatch, "kb", "search", "ACME", "invoices")
        assert code == 0
        assert out.startswith("   1  ACME invoices export to PDF times out  (draft)  ")
        assert capsys.readouterr().err == f"Searched the server at {site.url} (keyword search).\n"

        code, out = await _in(fresh_url, monkeypatch, "kb", "search", "ACME", "invoices", "--json")
        [row] = json.loads(out)
        assert (row["number"], row["state"], row["link"]) == (1, "draft", f"{site.url}/kb/1")

        # --local (or --keyword) searches the database here, and says which search it runs.
        capsys.readouterr()
        code, out = await _in(fresh_url, monkeypatch, "kb", "search", "ACME", "invoices", "--keyword")
        assert (code, out) == (0, "No article matches “ACME invoices”.\n")
        assert capsys.readouterr().err == "Searching the database here: keyword search.\n"

        # A token the server refuses is an error, not a quiet search elsewhere.
        monkeypatch.setenv("SWARM_WEB_TOKEN", "not-the-token")
        code, out = await _in(fresh_url, monkeypatch, "kb", "search", "ACME")
        assert (code, out) == (1, "")
        assert capsys.readouterr().err.startswith(f"The server at {site.url} refused the search (401: ")


async def test_kb_search_searches_here_when_the_server_cannot_be_reached(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await swarm("roster", "import", ROSTER)
    await swarm("history", "import", HISTORY)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("SWARM_WEB_URL", nobody)
    monkeypatch.setenv("SWARM_WEB_TOKEN", TOKEN)
    capsys.readouterr()

    code, out = await swarm("kb", "search", "state:all", "sso")

    assert code == 0 and "SSO" in out
    assert capsys.readouterr().err == (
        f"{nobody} cannot be reached (ClientConnectorError): searching the database here instead.\n"
        "Searching the database here: keyword search.\n"
    )
