"""The docs site's nav (mkdocs.yml) lists every page under docs/, and every page it lists exists.

`mkdocs build --strict` (`make docs`, CI) fails on both too; this test fails the suite as well, without MkDocs."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _pages(entries: object) -> list[str]:
    """Every page a nav (a list of `page`, `{title: page}` or `{title: [section entries]}`) names, in order."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in _pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in _pages(value)]
    raise AssertionError(f"mkdocs.yml: a nav entry that is not a page, a title or a section: {entries!r}")


def _nav() -> list[str]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["docs_dir"] == "docs"
    return [page for page in _pages(config["nav"]) if "://" not in page]


def test_every_page_under_docs_is_in_the_nav() -> None:
    files = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    missing = sorted(files - set(_nav()))
    assert not missing, f"add these pages to mkdocs.yml's nav: {missing}"


def test_every_page_in_the_nav_exists_once() -> None:
    nav = _nav()
    assert not [page for page in nav if not (DOCS / page).is_file()], "mkdocs.yml's nav names a page docs/ lacks"
    assert len(nav) == len(set(nav)), "mkdocs.yml's nav names a page twice"
    assert nav[0] == "index.md", "the site opens on docs/index.md"
