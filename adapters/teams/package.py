"""`swarm teams package`: the Teams app package to upload (manifest.json, color.png, outline.png in one zip).

The icons are drawn here, as PNG bytes written with zlib and struct: a swarm of dots, white on the accent colour
(192×192) and white on transparent (32×32, as Teams requires of the outline icon).
"""

from __future__ import annotations

import json
import math
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from adapters.settings import Settings
from handlers.subcommands import SUBCOMMANDS

MANIFEST_VERSION = "1.16"
SCHEMA = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
PACKAGE_NAME = "swarm-teams.zip"
ACCENT = (0x4F, 0x6B, 0xED)
SCOPES = ["team", "groupChat", "personal"]
# Uploading the package needs only valid https addresses; publishing to an organisation's catalog wants real pages.
WEBSITE = "https://example.com/swarm"


class PackageError(ValueError):
    """The settings cannot make a valid package (say which and why)."""


def build_package(settings: Settings, out_dir: Path) -> Path:
    """Writes the app package into `out_dir` and returns its path."""
    app_id = settings.microsoft_app_id.strip()
    if not app_id:
        raise PackageError("MICROSOFT_APP_ID is not set: register the bot in Azure first, then build the package.")
    try:
        uuid.UUID(app_id)
    except ValueError:
        raise PackageError(f"MICROSOFT_APP_ID {app_id!r} is not an app registration id (a GUID).") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PACKAGE_NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest(app_id), indent=2, ensure_ascii=False) + "\n")
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    return path


def manifest(app_id: str) -> dict[str, Any]:
    # Teams lists at most 10 commands (those declared `teams=True`); every other subcommand still works when typed.
    commands = [
        {"title": s.name, "description": s.described()[:1].upper() + s.described()[1:]} for s in SUBCOMMANDS if s.teams
    ]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": _version(),
        "id": app_id,
        "developer": {
            "name": "Swarm",
            "websiteUrl": WEBSITE,
            "privacyUrl": WEBSITE,
            "termsOfUseUrl": WEBSITE,
        },
        "name": {"short": "Swarm", "full": "Swarm: case swarming for customer support"},
        "description": {
            "short": "Pull the right experts into a thread for a hard support case.",
            "full": (
                "@mention Swarm with a case no script answers: it starts a thread for it, asks the best-matched "
                "experts from your roster and says why, lets anyone join with a 👍 or the Join button, and when "
                "the case is resolved turns what the thread learned into a knowledge article."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": SCOPES,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [{"scopes": SCOPES, "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        # Resource-specific consent needs the app registration named here.
        "webApplicationInfo": {"id": app_id, "resource": "https://RscPermission"},
        "authorization": {
            "permissions": {"resourceSpecific": [{"name": "ChannelMessage.Read.Group", "type": "Application"}]}
        },
    }


def _version() -> str:
    try:
        version = metadata.version("swarm-bot")
    except metadata.PackageNotFoundError:
        return "0.1.0"
    # Teams wants major.minor.patch, nothing more.
    parts = [p for p in version.split(".")[:3] if p.isdecimal()]
    return ".".join(parts + ["0"] * (3 - len(parts)))


# -- icons ----------------------------------------------------------------------------------------------------------

Pixel = tuple[int, int, int, int]
# The swarm: one dot in the middle, six around it, as fractions of the icon's size (x, y, radius).
DOTS = [(0.5, 0.5, 0.12)] + [
    (0.5 + 0.3 * dx, 0.5 + 0.3 * dy, 0.08)
    for dx, dy in ((1.0, 0.0), (0.5, 0.866), (-0.5, 0.866), (-1.0, 0.0), (-0.5, -0.866), (0.5, -0.866))
]


def color_icon(size: int = 192) -> bytes:
    return png(size, size, _draw(size, background=(*ACCENT, 255)))


def outline_icon(size: int = 32) -> bytes:
    return png(size, size, _draw(size, background=(255, 255, 255, 0)))


def _draw(size: int, background: Pixel) -> Callable[[int, int], Pixel]:
    dots = [(cx * size, cy * size, r * size) for cx, cy, r in DOTS]

    def pixel(x: int, y: int) -> Pixel:
        # How much of the pixel a dot covers, from its distance to the dot's edge: smooth edges, one sample.
        cover = max(min(1.0, max(0.0, rad - math.dist((x + 0.5, y + 0.5), (cx, cy)) + 0.5)) for cx, cy, rad in dots)
        r, g, b, a = background
        if a == 0:
            return (255, 255, 255, round(255 * cover))
        return (round(r + (255 - r) * cover), round(g + (255 - g) * cover), round(b + (255 - b) * cover), 255)

    return pixel


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG."""
    rows = b"".join(b"\x00" + bytes(channel for x in range(width) for channel in pixel(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
