"""`swarm teams package`: the zip Teams takes, with its manifest and the two icons drawn at build time."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from adapters.settings import Settings
from adapters.teams.package import PackageError, build_package
from handlers.subcommands import SUBCOMMANDS
from tests.adapters.conftest import Swarm

APP_ID = "3f1c2a7e-0d3b-4c8e-9a41-1e6b2f0c9d01"


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of a PNG as build_package writes it (8-bit RGBA, no filtering), checking CRCs."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + data
        at += 12 + length
    width, height, depth, color, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color) == (8, 6) and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 4
    rows = [raw[y * stride + 1 : (y + 1) * stride] for y in range(height)]
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, rows


def test_the_package_holds_the_manifest_and_both_icons(tmp_path: Path) -> None:
    path = build_package(Settings(_env_file=None, MICROSOFT_APP_ID=APP_ID), tmp_path / "out")  # type: ignore[call-arg]
    assert path == tmp_path / "out" / "swarm-teams.zip"
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color, outline = package.read("color.png"), package.read("outline.png")

    assert manifest["manifestVersion"] == "1.16"
    assert manifest["$schema"].endswith("/v1.16/MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID
    assert manifest["version"].count(".") == 2
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["team", "groupChat", "personal"]
    (commands,) = bot["commandLists"]
    titles = [c["title"] for c in commands["commands"]]
    # The menu is the subcommands declared for it, each with its declared summary.
    menu = [s for s in SUBCOMMANDS if s.teams]
    assert titles == [s.name for s in menu]
    assert [c["description"].lower() for c in commands["commands"]] == [s.described().lower() for s in menu]
    assert 0 < len(titles) <= 10 and {"help", "list", "status", "join", "resolve", "kb", "stats"} <= set(titles)
    assert all(len(c["title"]) <= 32 and 0 < len(c["description"]) <= 128 for c in commands["commands"])
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "ChannelMessage.Read.Group", "type": "Application"}
    ]
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert all(url.startswith("https://") for url in manifest["developer"].values() if url.startswith("http"))

    width, height, rows = pixels(color)
    assert (width, height) == (192, 192)
    assert all(row[3::4] == b"\xff" * width for row in rows)
    width, height, rows = pixels(outline)
    assert (width, height) == (32, 32)
    # The outline icon is white on transparent, nothing else.
    assert all(row[i : i + 3] == b"\xff\xff\xff" for row in rows for i in range(0, len(row), 4))
    alphas = {a for row in rows for a in row[3::4]}
    assert 0 in alphas and 255 in alphas


@pytest.mark.parametrize(("app_id", "why"), [("", "MICROSOFT_APP_ID is not set"), ("my-bot", "is not an app")])
def test_without_an_app_registration_there_is_no_package(tmp_path: Path, app_id: str, why: str) -> None:
    with pytest.raises(PackageError, match=why):
        build_package(Settings(_env_file=None, MICROSOFT_APP_ID=app_id), tmp_path)  # type: ignore[call-arg]
    assert not (tmp_path / "swarm-teams.zip").exists()


async def test_the_command_line_builds_it(
    swarm: Swarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    code, out = await swarm("teams", "package", "--out", str(tmp_path))
    assert (code, out) == (0, f"{tmp_path / 'swarm-teams.zip'}\n")
    monkeypatch.setenv("MICROSOFT_APP_ID", "")
    code, out = await swarm("teams", "package", "--out", str(tmp_path / "none"))
    assert (code, out) == (1, "")
    assert "MICROSOFT_APP_ID is not set" in capsys.readouterr().err
