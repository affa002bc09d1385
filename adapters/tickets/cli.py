"""`swarm tickets …`: a workspace's own accounts with ticket systems (adapters/tickets/accounts.py).

    swarm tickets connect zd --url https://acme.zendesk.com --login swarm-bot@acme.example --workspace T0123 < token
    swarm tickets list --workspace T0123
    swarm tickets disconnect zd --workspace T0123

The secret (an API token) is read from standard input, never from the command line, where `ps` and the shell's
history would keep it; at a terminal it is asked for without being shown. With `--webhook-secret`, the webhook's
signing secret is the second line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO

from adapters.app import App
from adapters.tickets.accounts import BUILDERS, AccountError, SealedTicketAccounts
from bot.tickets import SYSTEM_NAMES


def add_commands(commands: Any, scoped: argparse.ArgumentParser, creating: argparse.ArgumentParser) -> None:
    """Declares `swarm tickets` and its actions on the CLI's subcommands."""
    tickets = commands.add_parser("tickets", help="this workspace's own ticket-system accounts").add_subparsers(
        dest="action", required=True
    )
    connect = tickets.add_parser(
        "connect",
        help="keep the workspace's own account with a ticket system (its secret from standard input)",
        parents=[creating],
    )
    connect.add_argument(
        "system", choices=sorted(BUILDERS), help="; ".join(f"{k}: {SYSTEM_NAMES[k]}" for k in BUILDERS)
    )
    connect.add_argument("--url", required=True, help="the account's address (https://acme.zendesk.com)")
    connect.add_argument("--login", required=True, help="who Swarm acts as there (Zendesk: the agent's e-mail)")
    connect.add_argument(
        "--webhook-secret", action="store_true", help="read the webhook's signing secret too (a second line)"
    )
    tickets.add_parser("list", help="the workspace's own accounts (never their secrets)", parents=[scoped])
    disconnect = tickets.add_parser("disconnect", help="forget the workspace's own account", parents=[scoped])
    disconnect.add_argument("system", choices=sorted(BUILDERS))


async def run(app: App, args: argparse.Namespace, workspace: str, out: TextIO) -> int:
    accounts = app.core.tickets.accounts
    assert isinstance(accounts, SealedTicketAccounts)
    if args.action == "list":
        found = await accounts.listed(workspace)
        for account in found:
            out.write(f"{account.system}  {SYSTEM_NAMES.get(account.system, '?')}  {account.url}  as {account.login}\n")
        if not found:
            out.write(f"Workspace {workspace} has no ticket account of its own.\n")
        return 0
    name = SYSTEM_NAMES[args.system]
    if args.action == "disconnect":
        removed = await accounts.disconnect(workspace, args.system)
        out.write(f"Forgot workspace {workspace}'s {name} account.\n" if removed else f"No {name} account to forget.\n")
        return 0
    if not accounts.sealer.sealing and not app.settings.allow_plaintext_tokens:
        sys.stderr.write(
            "Refusing to keep a ticket system's secret unencrypted: set SWARM_SECRET_KEY (a long random secret; keep "
            "it, the stored secrets need it), or SWARM_ALLOW_PLAINTEXT_TOKENS=true to accept plaintext secrets.\n"
        )
        return 2
    secret = _secret(f"{name} API token: ")
    webhook_secret = _secret("Webhook signing secret: ") if args.webhook_secret else None
    try:
        await accounts.connect(workspace, args.system, args.url, args.login, secret, webhook_secret)
    except AccountError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    out.write(f"Workspace {workspace} now reaches {name} at {args.url.strip().rstrip('/')} as {args.login.strip()}.\n")
    return 0


def _secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()
