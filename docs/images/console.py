"""Makes docs/images/console.png, the README's picture of a swarm in the console workspace.

It runs examples/demo.swarm (what `make demo` runs) on a fresh SQLite database with the clock held at one moment,
so that the same people are at work and the picture comes out the same every time; renders the opening of the swarm
and its resolve as a dark terminal page; and screenshots it with Debian's headless chromium (driven by Playwright, as
the web pages' tests do; `apt-get install chromium fonts-noto-color-emoji`):

    PYTHONPATH=. .venv/bin/python docs/images/console.py            # writes docs/images/console.png
    PYTHONPATH=. .venv/bin/python docs/images/console.py --text     # prints the whole session instead
"""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[2]
PNG = Path(__file__).with_suffix(".png")
# A Tuesday morning in Europe: Berlin and Madrid are at work, Los Angeles is asleep.
MOMENT = datetime(2026, 12, 8, 7, 33, tzinfo=UTC)
# The lines of the session shown: from the case to the room's first edit, and the resolve.
SHOWN = (
    (r"^Ana Ruiz #support> /swarm ACME", r"^Ana Ruiz #support> /as "),
    (r"^Ana Ruiz #swarm-1-\S+> /swarm resolve", r"^\[1\] "),
)
WIDTH = 1180


async def session() -> str:
    """The whole console session of examples/demo.swarm, as `make demo` prints it."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SWARM_DATABASE_URL"] = f"sqlite:///{folder}/demo.db"
        os.environ["SWARM_SEMANTIC"] = "off"
        from adapters.app import App
        from adapters.cli import _console

        app = await App.start(clock=lambda: MOMENT)
        out = io.StringIO()
        try:
            args = argparse.Namespace(
                roster=ROOT / "examples/roster.yaml", script=ROOT / "examples/demo.swarm", user=None
            )
            if await _console(app, args, out):
                raise SystemExit("examples/demo.swarm failed; see above")
        finally:
            await app.close()
        return out.getvalue()


def excerpt(text: str) -> list[str]:
    """The lines SHOWN picks out of the session, with a gap between the parts."""
    lines, shown = text.splitlines(), []
    for start, stop in SHOWN:
        first = next(i for i, line in enumerate(lines) if re.search(start, line))
        last = next(i for i, line in enumerate(lines) if i > first and re.search(stop, line))
        shown += [*lines[first:last], "…"]
    return shown[:-1]


def colour(line: str) -> str:
    """One line as HTML: the prompt, Swarm's name, the buttons and the mentions in their colours."""
    text = html.escape(line)
    if prompt := re.match(r"^(\S+ \S+ #\S+&gt;)(.*)$", text):
        return f'<span class="prompt">{prompt[1]}</span><span class="typed">{prompt[2]}</span>'
    text = re.sub(r"^(\[\d+\] #\S+)( Swarm(?: \(edited\))?:)", r'<span class="where">\1</span><b>\2</b>', text)
    text = re.sub(r"^(\(only you\))( Swarm:)", r'<span class="where">\1</span><b>\2</b>', text)
    text = re.sub(r"(\[[^\]\d][^\]]*\])", r'<span class="button">\1</span>', text)
    return re.sub(r"(@[A-Z][a-zé]+ [A-Z][a-zíé]+)", r'<span class="mention">\1</span>', text)


def page(lines: list[str]) -> str:
    body = "".join(f"<div>{colour(line) or '&nbsp;'}</div>" for line in lines)
    return f"""<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #0d1117; }}
.window {{ margin: 14px; border-radius: 8px; background: #161b22; box-shadow: 0 0 0 1px #30363d; overflow: hidden; }}
.bar {{ padding: 8px 12px; background: #21262d; color: #8b949e; font: 13px sans-serif; }}
.bar i {{ display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; }}
pre {{ margin: 0; padding: 12px 16px; color: #c9d1d9; font: 13px/1.45 "DejaVu Sans Mono", monospace; }}
pre div {{ white-space: pre-wrap; padding-left: 8ch; text-indent: -8ch; }}
.prompt {{ color: #3fb950; }} .typed {{ color: #f0f6fc; font-weight: bold; }} .where {{ color: #8b949e; }}
b {{ color: #58a6ff; }} .button {{ color: #d2a8ff; }} .mention {{ color: #e3b341; }}
</style><div class="window"><div class="bar"><i style="background:#f85149"></i><i style="background:#e3b341"></i>
<i style="background:#3fb950"></i>&nbsp; swarm console --roster examples/roster.yaml</div><pre>{body}</pre></div>"""


async def screenshot(document: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            tab = await browser.new_page(viewport={"width": WIDTH, "height": 600})
            await tab.set_content(document)
            await tab.locator(".window").screenshot(path=PNG)
        finally:
            await browser.close()


def main() -> None:
    text = asyncio.run(session())
    if "--text" in sys.argv:
        sys.stdout.write(text)
        return
    asyncio.run(screenshot(page(excerpt(text))))
    print(f"{PNG.relative_to(ROOT)}: {PNG.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
