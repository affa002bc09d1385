"""The README is a front door: short, the two commands first, and no link that leads nowhere."""

import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 250
# A Markdown link or image: [text](target) or ![alt](target), the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")


def text() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(markdown: str) -> list[str]:
    """The fenced code blocks, in order, each as its lines joined."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_the_readme_is_short() -> None:
    lines = text().splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines; the docs pages are the place for more"


def test_the_first_code_block_is_the_two_commands() -> None:
    blocks = code_blocks(text())
    assert blocks, "README.md has no code block"
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines()]
    assert [c for c in commands if c] == ["make console", "make test"]


def test_every_relative_link_points_at_a_file() -> None:
    targets = LINK.findall(text())
    assert targets, "no links found: has the link pattern stopped matching?"
    missing = []
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # https:, mailto: and anchors in the README itself
        path = unquote(target.split("#")[0].split("?")[0])
        if not (ROOT / path).exists():
            missing.append(target)
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_the_link_pattern_reads_links_and_images() -> None:
    sample = '[a](docs/a.md#x) ![b](docs/images/b.png "title") [c](https://example.com)'
    assert LINK.findall(sample) == ["docs/a.md#x", "docs/images/b.png", "https://example.com"]
