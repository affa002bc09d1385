"""Which workspace is meant when none is named, and whether a named one exists: one rule for the CLI and the web.

The default is SWARM_WEB_WORKSPACE if set, else the single Slack workspace (the team of SLACK_BOT_TOKEN), else the
one workspace other than the console's that Swarm has data for, else the console's. A workspace is made only by the
platform (an install, a first event) or on purpose (`swarm roster import FILE --workspace KEY --create`), never by a
typo in `--workspace`.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable

from adapters.app import App

CONSOLE = "console"


class NoWorkspace(Exception):
    """Several workspaces hold data and nothing says which one is meant; the message lists them all."""


class UnknownWorkspace(Exception):
    """A workspace named on the command line that does not exist; the message says which ones do."""


async def keys(app: App) -> list[str]:
    """Every workspace Swarm has, the console's (always there, made at first use) included."""
    async with app.store.unit() as uow:
        return sorted({CONSOLE, *await uow.workspaces.keys()})


async def default_workspace(app: App, single_team: Callable[[], Awaitable[str | None]]) -> str:
    """The workspace meant when none is named (see the module's docstring). `single_team` is the team of
    SLACK_BOT_TOKEN, or None when Slack is not set up with one token; it is asked only when needed."""
    if app.settings.web_workspace:
        return app.settings.web_workspace
    team = await single_team()
    if team:
        return team
    known = await keys(app)
    others = [key for key in known if key != CONSOLE]
    if len(others) > 1:
        raise NoWorkspace(", ".join(known))
    return others[0] if others else CONSOLE


def unknown(named: str, known: list[str]) -> UnknownWorkspace:
    """The one line for a workspace that does not exist: the near ones first, then every one there is."""
    near = difflib.get_close_matches(named, known, n=1, cutoff=0.6)
    hint = f" Did you mean {near[0]}?" if near else ""
    there = ", ".join(known) or "none yet"
    return UnknownWorkspace(f"There is no workspace {named!r}.{hint} The workspaces are: {there}.")
