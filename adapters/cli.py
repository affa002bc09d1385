"""`swarm`: the one command-line entry point (docs/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from adapters import kb_remote, scheduler, secret_strength, web, workspaces
from adapters.app import App
from adapters.console import WORKSPACE, Console
from adapters.history_file import HistoryFileError, read_history
from adapters.memory import MemoryChat, Message, render
from adapters.roster_file import RosterFileError, csv_text, read_rows, yaml_text
from adapters.settings import Settings, reference
from adapters.slack import SlackMount, probe
from adapters.slack.probe import SlackProblem
from adapters.teams import TeamsMount
from adapters.teams.package import PackageError, build_package
from adapters.tickets import cli as tickets_cli
from adapters.tickets.mounts import webhooks
from adapters.workers import Workers, serves_slack, serves_teams
from adapters.workspaces import NoWorkspace, UnknownWorkspace
from bot import analytics, forgetting
from bot.articles import SEARCH_RESULTS
from bot.errors import UserError
from bot.history import HistoryInterrupted
from bot.models import Person
from bot.roster import person_to_row
from handlers import jobs, replies
from storage.backup import BackupError, backup, restore
from storage.database import upgrade
from storage.embeddings import forget_vectors
from storage.search import rebuild_index

log = logging.getLogger(__name__)
WORKSPACE_HELP = (
    "workspace key (default: SWARM_WEB_WORKSPACE, else the Slack workspace of SLACK_BOT_TOKEN, else the one "
    "workspace with data, else the console's)"
)
# The commands that read or write one workspace's data: they take --workspace, or the default workspace.
IN_A_WORKSPACE = {"roster", "history", "kb", "stats", "experts", "tickets"}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="swarm", description="Case swarming for customer support.")
    main.add_argument("--workspace", help=WORKSPACE_HELP)
    # Also after the subcommand (`swarm roster import FILE --workspace T0123`); SUPPRESS keeps the global one otherwise.
    scoped = argparse.ArgumentParser(add_help=False)
    scoped.add_argument("--workspace", default=argparse.SUPPRESS, help=WORKSPACE_HELP)
    # An import may make the workspace it names; nothing else does, so a typo in --workspace is refused.
    creating = argparse.ArgumentParser(add_help=False, parents=[scoped])
    creating.add_argument(
        "--create", action="store_true", help="make the --workspace named if it does not exist yet (a first import)"
    )
    commands = main.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Slack + Teams + web on one aiohttp server")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000)")
    serve.add_argument(
        "--socket-mode", action="store_true", help="take Slack events over Socket Mode (SLACK_APP_TOKEN)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="do Slack's and Teams' work in N worker processes, so acks never wait for it (default 0: here)",
    )

    console = commands.add_parser("console", help="the offline workspace (REPL)")
    console.add_argument("--script", type=Path, help="run the lines of FILE instead of reading the keyboard")
    console.add_argument("--as", dest="user", help="who you are: e-mail or name from the roster")
    console.add_argument("--roster", type=Path, help="import this roster file first")

    roster = commands.add_parser("roster", help="the expertise roster").add_subparsers(dest="action", required=True)
    roster_import = roster.add_parser("import", help="add or update people from a YAML or CSV file", parents=[creating])
    roster_import.add_argument("file", type=Path)
    roster.add_parser("list", help="everyone in the roster", parents=[scoped]).add_argument(
        "--json", action="store_true"
    )
    roster_forget = roster.add_parser(
        "forget", help="delete a person's data for good (their words leave the timelines)", parents=[scoped]
    )
    roster_forget.add_argument("email", help="the person's e-mail")
    roster_forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    roster_export = roster.add_parser(
        "export", help="the roster as a file `roster import` reads back (YAML, or CSV)", parents=[scoped]
    )
    roster_export.add_argument("file", type=Path, nargs="?", help="write it here (default: standard output)")
    roster_export.add_argument("--csv", action="store_true", help="CSV (the default is YAML; a FILE.csv is CSV too)")

    workspace = commands.add_parser("workspace", help="a workspace as a whole").add_subparsers(
        dest="action", required=True
    )
    workspace_forget = workspace.add_parser("forget", help="delete a workspace's data for good")
    workspace_forget.add_argument("key", metavar="WORKSPACE", help="the workspace's key (a Slack team id, …)")
    workspace_forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    history = commands.add_parser("history", help="past resolved cases").add_subparsers(dest="action", required=True)
    history_import = history.add_parser(
        "import", help="load resolved cases exported from a help desk (CSV)", parents=[creating]
    )
    history_import.add_argument("file", type=Path)

    tickets_cli.add_commands(commands, scoped, creating)

    kb = commands.add_parser("kb", help="the knowledge base").add_subparsers(dest="action", required=True)
    kb_search = kb.add_parser("search", help="search articles", parents=[scoped])
    kb_search.add_argument("query", nargs="+")
    kb_search.add_argument("--json", action="store_true")
    kb_search.add_argument(
        "--local", action="store_true", help="search the database here, even with a server configured (SWARM_WEB_URL)"
    )
    kb_search.add_argument(
        "--keyword", action="store_true", help="keyword search here, without loading the model (implies --local)"
    )
    kb.add_parser("show", help="one article", parents=[scoped]).add_argument("number", type=int)
    kb_export = kb.add_parser("export", help="write every article to DIR, one Markdown file each", parents=[scoped])
    kb_export.add_argument("folder", type=Path, metavar="DIR")
    kb_import = kb.add_parser(
        "import", help="add or update articles from the Markdown files in DIR", parents=[creating]
    )
    kb_import.add_argument("folder", type=Path, metavar="DIR")
    kb_reindex = kb.add_parser(
        "reindex", help="rebuild the search index, and with the semantic extra embed the articles without a vector"
    )
    kb_reindex.add_argument("--full", action="store_true", help="embed every article again, not only new and changed")

    stats = commands.add_parser(
        "stats", help="how swarming is going: every figure of a period, against the period before", parents=[scoped]
    )
    stats_format = stats.add_mutually_exclusive_group()
    stats_format.add_argument("--json", action="store_true", help="the whole report, the previous period's inside")
    stats_format.add_argument("--csv", action="store_true", help="one row per figure: metric,key,value,previous")
    stats.add_argument("--since", type=_moment, metavar="DATE", help="first day (default: 30 days before --until)")
    stats.add_argument("--until", type=_moment, metavar="DATE", help="the day after the last (default: now)")

    experts = commands.add_parser(
        "experts", help="who would be asked for a case, and why; opens nothing", parents=[scoped]
    )
    experts.add_argument("case", nargs="+")
    experts.add_argument("--json", action="store_true")

    jobs = commands.add_parser("jobs", help="the scheduled jobs").add_subparsers(dest="action", required=True)
    jobs.add_parser("list", help="each job and chore with its schedule and next run time")
    jobs.add_parser(
        "run",
        help="run one job now, here, in every workspace (the default one if no chat is set up); or a chore, once",
        parents=[scoped],
    ).add_argument("name", metavar="NAME")

    db = commands.add_parser("db", help="the database").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply the migrations")

    commands.add_parser("backup", help="a consistent copy of the database to FILE").add_argument("file", type=Path)
    restore = commands.add_parser("restore", help="replace the database with the backup in FILE (stop servers first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="overwrite a database that already holds data")

    commands.add_parser("config", help="the configuration reference: every variable, its default, what it does")
    commands.add_parser("commands", help="the /swarm subcommands: what to type, what it does, who may run it")

    teams = commands.add_parser("teams", help="Microsoft Teams").add_subparsers(dest="action", required=True)
    teams_package = teams.add_parser("package", help="build the Teams app package to upload (a zip)")
    teams_package.add_argument("--out", type=Path, default=Path("."), help="folder to write it to (default: here)")
    return main


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = asyncio.run(run(parser().parse_args(argv), sys.stdout))
        sys.stdout.flush()  # here, where a closed pipe can still be caught, not at exit
    except BrokenPipeError:
        # `swarm … | head`: the reader has what it wanted and left. Stop quietly; the rest of the output goes nowhere,
        # so the flush at exit does not fail again (the Python docs' recipe for SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code)


async def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "config":
        out.write(reference())
        return 0
    if args.command == "commands":
        out.write(replies.subcommand_table())
        return 0
    settings = Settings()
    if args.command == "db":
        await upgrade(settings.database_url)
        out.write("The database is up to date.\n")
        return 0
    if args.command in ("backup", "restore"):
        return await _backup_or_restore(settings, args, out)
    if args.command == "teams":
        try:
            out.write(f"{build_package(settings, args.out)}\n")
        except PackageError as err:
            sys.stderr.write(f"{err}\n")
            return 1
        return 0
    if args.command == "kb" and args.action == "search":
        if _on_server(args, settings):
            done = await _search_on_server(settings, args, out)
            if done is not None:
                return done
        if args.keyword:
            settings = settings.model_copy(update={"semantic": "off"})
    app = await App.start(settings)
    try:
        if args.command in IN_A_WORKSPACE and not (args.command == "kb" and args.action == "reindex"):
            args.workspace = await _workspace(app, args.workspace, getattr(args, "create", False))
        return await _run(app, args, out)
    except NoWorkspace as several:
        sys.stderr.write(
            f"Swarm has several workspaces ({several}) and nothing says which one you mean: name it with "
            "--workspace KEY, or set SWARM_WEB_WORKSPACE.\n"
        )
        return 2
    except (SlackProblem, UnknownWorkspace) as err:
        sys.stderr.write(f"{err}\n")
        return 2
    except UserError as err:
        sys.stderr.write(replies.error(err).text + "\n")
        return 1
    except RosterFileError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    finally:
        await app.close()


def _on_server(args: argparse.Namespace, settings: Settings) -> bool:
    """`swarm kb search` asks the running server when one is configured, unless told to search here or another
    workspace than the token's."""
    return kb_remote.configured(settings) and not (args.local or args.keyword or args.workspace)


async def _search_on_server(settings: Settings, args: argparse.Namespace, out: TextIO) -> int | None:
    """The search on the server (adapters/kb_remote.py), printed as a local one is; None: it cannot be reached, and
    the search runs here (said in one line)."""
    query = " ".join(args.query)
    try:
        answer = await kb_remote.search(settings, query, SEARCH_RESULTS)
    except kb_remote.Unreachable as why:
        sys.stderr.write(f"{why}: searching the database here instead.\n")
        return None
    if answer.refused:
        sys.stderr.write(f"The server at {answer.url} refused the search ({answer.refused}).\n")
        return 1
    sys.stderr.write(f"Searched the server at {answer.url} ({answer.search or 'its'} search).\n")
    _print(out, answer.articles, args.json, lambda a: f"{a['number']:>4}  {a['title']}  ({a['state']})  {a['snippet']}")
    if not answer.articles and not args.json:
        out.write(f"No article matches “{query}”.\n")
    return 0


async def _workspace(app: App, named: str | None, create: bool) -> str:
    """The workspace a command works in: the one named, if it exists (or `create`), else the default one."""
    settings = app.settings

    async def single_team() -> str | None:
        return await probe.team_of(settings) if probe.single_token(settings) else None

    if named is None:
        return await workspaces.default_workspace(app, single_team)
    known = await workspaces.keys(app)
    if named in known or create:
        return named
    # A platform's workspace Swarm has not heard from yet is one all the same: the Slack team of SLACK_BOT_TOKEN, or
    # a team that installed the app through OAuth.
    if probe.single_token(settings) and named == await single_team():
        return named
    if settings.slack_client_id:
        installs = AsyncSQLAlchemyInstallationStore(settings.slack_client_id, app.store.engine)
        if await installs.async_find_bot(enterprise_id=None, team_id=named) is not None:
            return named
    raise workspaces.unknown(named, known)


async def _forget_workspace(app: App, key: str, yes: bool, out: TextIO) -> int:
    preview = await forgetting.forget_workspace(app.store, key, dry_run=True)
    if preview is None:
        sys.stderr.write(f"{workspaces.unknown(key, await workspaces.keys(app))} Nothing was deleted.\n")
        return 2
    what = f"workspace {key}"
    if not yes and not _confirmed(out, what, preview):
        return 1
    done = await forgetting.forget_workspace(app.store, key)
    assert done is not None
    counts = dict(done.counts)
    if app.settings.slack_client_id:  # its Slack installation and tokens too
        installs = AsyncSQLAlchemyInstallationStore(app.settings.slack_client_id, app.store.engine)
        installed = await installs.async_find_bot(enterprise_id=None, team_id=key) is not None
        await installs.async_delete_all(enterprise_id=None, team_id=key)
        counts["Slack installations"] = int(installed)
    out.write(f"Forgot {what}: deleted {_counted(counts)}.\n")
    return 0


async def _forget_person(app: App, workspace: str, email: str, yes: bool, out: TextIO) -> int:
    preview = await forgetting.forget_person(app.store, workspace, email, dry_run=True)
    if preview is None:
        sys.stderr.write(f"No one in workspace {workspace} has the e-mail {email!r}. Nothing was deleted.\n")
        return 2
    what = f"{email} in workspace {workspace}"
    if not yes and not _confirmed(out, what, preview):
        return 1
    done = await forgetting.forget_person(app.store, workspace, email)
    assert done is not None
    out.write(f"Forgot {what}: {_counted(done.counts)}.\n")
    return 0


def _confirmed(out: TextIO, what: str, preview: forgetting.Forgotten) -> bool:
    """Asks on standard input before anything is deleted; anything but y or yes (or no input) answers no."""
    out.write(f"Forgetting {what} deletes for good: {_counted(preview.counts)}.\nDelete it? [y/N] ")
    out.flush()
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    out.write("Nothing was deleted.\n")
    return False


def _counted(counts: dict[str, int]) -> str:
    """`swarms: 3, timeline entries: 12, people: 7`: how much of each kind, kinds with none left out."""
    return ", ".join(f"{kind}: {number}" for kind, number in counts.items() if number) or "nothing but the name"


async def _backup_or_restore(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    try:
        if args.command == "backup":
            await backup(settings.database_url, args.file)
            out.write(f"Backed up the database to {args.file}.\n")
        else:
            await restore(settings.database_url, args.file, force=args.force)
            await upgrade(settings.database_url)  # a backup of an older version: bring it up to this one's schema
            out.write(f"Restored the database from {args.file}.\n")
    except BackupError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    return 0


async def _run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    core, workspace = app.core, args.workspace
    if args.command == "serve":
        return await _serve(app, args)
    if args.command == "console":
        return await _console(app, args, out)
    if args.command == "jobs":
        return await _jobs(app, args, out)
    if args.command == "history" and args.action == "import":
        return await _import_history(app, workspace, args.file, out)
    if args.command == "tickets":
        return await tickets_cli.run(app, args, workspace, out)
    if args.command == "roster" and args.action == "import":
        return await _import(app, workspace, args.file, out)
    if args.command == "roster" and args.action == "forget":
        return await _forget_person(app, workspace, args.email, args.yes, out)
    if args.command == "workspace":
        return await _forget_workspace(app, args.key, args.yes, out)
    if args.command == "roster" and args.action == "export":
        return await _export_roster(app, workspace, args.file, args.csv, out)
    if args.command == "roster":
        people = await core.people.roster(workspace)
        _print(out, [_person(p) for p in people], args.json, lambda p: _person_line(p))
        return 0
    if args.command == "kb" and args.action == "search":
        query = " ".join(args.query)
        semantic = core.kb.semantic
        sys.stderr.write(
            f"Searching the database here: hybrid search ({semantic.model}, loaded first: a few seconds).\n"
            if semantic is not None
            else "Searching the database here: keyword search.\n"
        )
        hits = await core.kb.search(workspace, query)
        rows = [{**_jsonable(h.article), "snippet": h.snippet} for h in hits]
        _print(out, rows, args.json, lambda a: f"{a['number']:>4}  {a['title']}  ({a['state']})  {a['snippet']}")
        if not hits and not args.json:
            out.write(f"No article matches “{query}”.\n")
        return 0
    if args.command == "kb" and args.action == "export":
        return await _export_kb(app, workspace, args.folder, out)
    if args.command == "kb" and args.action == "import":
        return await _import_kb(app, workspace, args.folder, out)
    if args.command == "kb" and args.action == "reindex":
        return await _reindex_kb(app, args.full, out)
    if args.command == "kb":
        out.write(render(replies.article(await core.kb.show(workspace, args.number))) + "\n")
        return 0
    if args.command == "stats":
        return await _stats(app, args, out)
    if args.command == "experts":
        ranking = await core.swarms.experts(workspace, " ".join(args.case))
        if args.json:
            # The team first, then the next best: everyone the matcher would consider, best first.
            rows = [
                {
                    "name": m.person.name,
                    "email": m.person.email,
                    "slack_id": m.person.slack_id,
                    "teams_id": m.person.teams_id,
                    "department": m.person.department,
                    "score": round(m.score, 3),
                    "reasons": list(m.reasons),
                    "skills": list(m.skills),
                    "team": m in ranking.matches,
                }
                for m in (*ranking.matches, *ranking.alternates)
            ]
            out.write(json.dumps(rows, indent=2) + "\n")
        else:
            out.write(render(replies.experts(ranking, "console")) + "\n")
        return 0
    raise AssertionError(f"unhandled command {args.command}")


STATS_PERIOD = timedelta(days=30)


def _moment(text: str) -> datetime:
    """A --since/--until value: a date (its midnight, UTC) or an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-01") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _stats(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """The report for [--since, --until): a card, JSON (the Report, with `trends`), or CSV (docs/analytics.md)."""
    # Up to now, what happened this very instant included (the period's end is excluded).
    until = args.until or app.core.clock() + timedelta(microseconds=1)
    since = args.since or until - STATS_PERIOD
    report = await app.core.analytics.report(args.workspace, since, until, app.settings.digest_timezone)
    if args.json:
        data = {**dataclasses.asdict(report), "trends": [_trend(t) for t in report.trends()]}
        out.write(json.dumps(data, indent=2, default=_stats_value) + "\n")
    elif args.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("metric", "key", "value", "previous"))
        writer.writerows(analytics.table(report))
    else:
        period = None if args.since or args.until else f"{STATS_PERIOD.days}d"
        out.write(render(replies.stats_card(report, period)) + "\n")
    return 0


def _trend(trend: analytics.Trend) -> dict[str, Any]:
    return {
        "name": trend.name,
        "current": trend.current,
        "previous": trend.previous,
        "change": trend.change,
        "direction": trend.direction,
        "better": trend.better,
    }


def _stats_value(value: Any) -> Any:
    """JSON for what json does not know: durations in seconds, times and dates in ISO 8601."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _chats(app: App, workers: Workers | None = None) -> tuple[SlackMount | None, TeamsMount | None]:
    """The chat platforms the settings set up: Slack, Teams, both or neither. With workers, their work is theirs."""
    settings = app.settings
    slack = teams = None
    if serves_slack(settings):
        if workers is None:
            slack = SlackMount(app, app.store.engine)
        else:
            slack = SlackMount(app, app.store.engine, work=False, written=workers.kicker("slack"))
    if serves_teams(settings):
        if workers is None:
            teams = TeamsMount(app, app.platform_refs(), settings)
        else:
            teams = TeamsMount(app, app.platform_refs(), settings, work=False, written=workers.kicker("teams"))
    return slack, teams


def _scheduler(
    app: App, platforms: Sequence[scheduler.Platform], chores: Mapping[str, scheduler.Chore]
) -> scheduler.Scheduler:
    return scheduler.Scheduler(
        app.job_store_url,
        scheduler.schedules(app.settings, chores=chores),
        scheduler.Runner(platforms, finished=app.metrics.job_run, chores=chores).run,
        app.lease(),
        grace=timedelta(minutes=app.settings.job_grace_minutes),
    )


async def _serve(app: App, args: argparse.Namespace) -> int:
    settings = app.settings
    for name, secret in (("SWARM_SECRET_KEY", settings.secret_key), ("SWARM_WEB_TOKEN", settings.web_token)):
        weak = secret_strength.weakness(name, secret)
        if weak is not None:
            sys.stderr.write(weak + "\n")
            return 2
    if settings.slack_client_id and not settings.secret_key and not settings.allow_plaintext_tokens:
        sys.stderr.write(
            "Refusing to store Slack OAuth tokens unencrypted: set SWARM_SECRET_KEY (a long random secret; keep it, "
            "the stored tokens need it), or SWARM_ALLOW_PLAINTEXT_TOKENS=true to accept plaintext tokens.\n"
        )
        return 2
    if args.workers < 0:
        sys.stderr.write("--workers: a number of processes, 0 or more.\n")
        return 2
    problem = teams_emulator_start_up(settings, args.host)
    if problem is not None:
        sys.stderr.write(problem + "\n")
        return 2
    problem = await _slack_start_up(settings, args.socket_mode)
    if problem is not None:
        sys.stderr.write(problem + "\n")
        return 2
    chatting = serves_slack(settings) or serves_teams(settings)
    workers = Workers(settings, args.workers) if args.workers and chatting else None
    slack, teams = _chats(app, workers)
    mounts: list[web.Mount] = [m for m in (slack, teams) if m is not None]
    # The web pages need no chat platform: with SWARM_WEB_TOKEN alone, `swarm serve` shows the console's data.
    if not mounts and not settings.web_token:
        sys.stderr.write(
            "Nothing to serve: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN, or MICROSOFT_APP_ID, "
            "or SWARM_WEB_TOKEN for the web pages alone (docs/configuration.md).\n"
        )
        return 2
    if mounts:
        # The ticket systems' webhooks open swarms and report solved tickets in the chat served here (docs/zendesk.md).
        mounts.extend(webhooks(app, [m for m in (slack, teams) if m is not None]))
    socket_mode = None
    if args.socket_mode:
        if slack is None or not settings.slack_app_token:
            sys.stderr.write("--socket-mode needs SLACK_APP_TOKEN and SLACK_SIGNING_SECRET.\n")
            return 2
        socket_mode = AsyncSocketModeHandler(slack.bolt, settings.slack_app_token, web_client=slack.client)
        await socket_mode.connect_async()  # type: ignore[no-untyped-call]
    # The jobs run here only while this process holds the scheduler's lease (see adapters/scheduler.py).
    jobs = _scheduler(app, [p for p in (slack, teams) if p is not None], slack.chores() if slack else {})
    keeper = asyncio.create_task(jobs.keep())
    if workers is not None:
        workers.start()
    try:
        await web.serve(web.build(app, mounts), args.host, args.port)
    finally:
        if workers is not None:
            await asyncio.to_thread(workers.stop)
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await jobs.stop()
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
    return 0


def teams_emulator_start_up(settings: Settings, host: str) -> str | None:
    """The line that refuses the Teams emulator mode on an address others can reach, or None; in that mode, says
    loudly that Teams requests are not authenticated."""
    if not settings.teams_emulator:
        return None
    if not _loopback(host):
        return (
            f"SWARM_TEAMS_EMULATOR=true switches Teams authentication off: serve it on a loopback address only "
            f"(--host 127.0.0.1), not {host}."
        )
    log.warning(
        "SWARM_TEAMS_EMULATOR=true: POST /api/messages is NOT authenticated (Bot Framework Emulator mode), "
        "on %s only. Never in production.",
        host,
    )
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def _slack_start_up(settings: Settings, socket_mode: bool) -> str | None:
    """The one line that says why Slack, as set up, cannot be served, or None. Slack not answering is such a reason
    only in Socket Mode (nothing else comes in then); over HTTP, Swarm serves and /readyz says it is not ready."""
    if not settings.slack_signing_secret:
        return "--socket-mode needs SLACK_APP_TOKEN and SLACK_SIGNING_SECRET." if socket_mode else None
    if not settings.slack_bot_token and not (settings.slack_client_id and settings.slack_client_secret):
        return (
            "SLACK_SIGNING_SECRET is set, but no way to act in Slack: set SLACK_BOT_TOKEN (one workspace), or "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (installs through OAuth) (docs/slack.md)."
        )
    if socket_mode and not settings.slack_app_token:
        return (
            "--socket-mode needs SLACK_APP_TOKEN, the app-level token (xapp-…) with connections:write (docs/slack.md)."
        )
    try:
        if probe.single_token(settings):
            await probe.team_of(settings)
        if socket_mode:
            await probe.check_app_token(settings)
    except probe.SlackUnreachable as err:
        if socket_mode:
            return str(err)
        log.warning("%s Serving anyway; /readyz says not ready until Slack answers.", err)
    except SlackProblem as err:
        return str(err)
    return None


async def _jobs(app: App, args: argparse.Namespace, out: TextIO) -> int:
    slack, teams = _chats(app)
    chores = slack.chores() if slack else {}  # what `swarm serve` schedules beside the jobs, from the same mount
    if args.action == "list":
        for job in scheduler.planned(app.job_store_url, scheduler.schedules(app.settings, chores=chores)):
            when = job.next_run.isoformat(sep=" ", timespec="seconds") if job.next_run else "not scheduled yet"
            out.write(f"{job.name:<18} {job.trigger:<64} next run: {when}\n")
        return 0
    if args.name not in jobs.JOBS and args.name not in chores:
        sys.stderr.write(f"There is no job {args.name!r}. The jobs are: {', '.join([*jobs.JOBS, *chores])}.\n")
        return 2
    if args.name in chores:
        # A chore is the platform's own work, in no workspace.
        done = await scheduler.Runner([], chores=chores).run(args.name)
        if done.failed:
            sys.stderr.write(f"{args.name} failed (see the log).\n")
            return 1
        out.write(f"{args.name} ran.\n")
        return 0
    platforms: list[scheduler.Platform] = [p for p in (slack, teams) if p is not None]
    chat = None
    if not platforms:
        # Neither Slack nor Teams: run it in the console workspace and show what Swarm said.
        args.workspace = await _workspace(app, args.workspace, create=False)
        chat = MemoryChat()
        chat.listeners.append(lambda event, message: _show_post(out, event, message))
        platforms = [scheduler.OneChat(app, chat, args.workspace)]
    done = await scheduler.Runner(platforms).run(args.name)
    if chat is not None and not chat.calls and not done.failed:
        out.write(f"{args.name}: nothing to say in {args.workspace}.\n")
    elif chat is None:
        out.write(f"{args.name} ran in {len(done.ran)} workspace(s){': ' if done.ran else ''}{', '.join(done.ran)}\n")
    if done.failed:
        sys.stderr.write(f"{args.name} failed in {', '.join(done.failed)} (see the log).\n")
        return 1
    return 0


def _show_post(out: TextIO, event: str, message: Message) -> None:
    """One thing Swarm said in the console workspace, as `swarm console` shows it."""
    if message.author != "swarm":
        return
    where = f"(only {message.private_to})" if message.private_to else f"[{message.id}] #{message.channel}"
    if message.thread:
        where += f" (thread of {message.thread})"
    label = "Swarm (edited)" if event == "update" else "Swarm"
    body = message.text.replace("\n", "\n    ")
    out.write(f"{where} {label}: {body}\n")


async def _console(app: App, args: argparse.Namespace, out: TextIO) -> int:
    if args.roster:
        report = await app.core.people.import_roster(WORKSPACE, read_rows(args.roster))
        if report.rejected:
            out.write("\n".join(replies.roster_report(report)) + "\n")
    people = await app.core.people.roster(WORKSPACE)
    chat = MemoryChat()
    user = await _first_user(app, people, args.user)
    console = Console(app.router(chat), chat, app.core.people, out, user)
    if args.script:
        lines = args.script.read_text(encoding="utf-8").splitlines()
        failed = await console.run(lines, echo=True)
        if failed:
            sys.stderr.write(f"{len(failed)} line(s) failed: {', '.join(map(str, failed))}\n")
        return 1 if failed else 0
    await console.repl()
    return 0


async def _first_user(app: App, people: list[Person], who: str | None) -> Person:
    if who:
        return await app.core.people.find(WORKSPACE, who)
    for person in people:
        if person.email == "ana@example.com":
            return person
    if people:
        return people[0]
    return Person(workspace_id=0, name="You", email="you@example.com")


async def _import(app: App, workspace: str, file: Path, out: TextIO) -> int:
    report = await app.core.people.import_roster(workspace, read_rows(file))
    out.write("\n".join(replies.roster_report(report)) + "\n")
    return 1 if report.rejected else 0


async def _export_roster(app: App, workspace: str, file: Path | None, as_csv: bool, out: TextIO) -> int:
    rows = [person_to_row(person) for person in await app.core.people.roster(workspace)]
    as_csv = as_csv or (file is not None and file.suffix.lower() == ".csv")
    text = csv_text(rows) if as_csv else yaml_text(rows)
    if file is None:
        out.write(text)
        return 0
    await asyncio.to_thread(file.write_text, text, encoding="utf-8")
    out.write(f"Exported {len(rows)} people to {file}.\n")
    return 0


async def _import_history(app: App, workspace: str, file: Path, out: TextIO) -> int:
    try:
        report = await app.core.history.import_cases(workspace, read_history(file))
    except HistoryFileError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    except HistoryInterrupted as err:
        out.write("\n".join(replies.history_interrupted(err)) + "\n")
        return 1
    out.write("\n".join(replies.history_report(report)) + "\n")
    return 1 if report.rejected else 0


async def _export_kb(app: App, workspace: str, folder: Path, out: TextIO) -> int:
    files = await app.core.kb.export(workspace)
    _write_kb_files(folder, files)
    out.write(replies.kb_exported(len(files), str(folder)) + "\n")
    return 0


async def _reindex_kb(app: App, full: bool, out: TextIO) -> int:
    """The full-text index of every workspace, rebuilt; with the semantic extra, the vectors brought up to date."""
    articles = await rebuild_index(app.store.engine)
    out.write(f"Search index rebuilt: {articles} articles.\n")
    semantic = app.core.kb.semantic
    if semantic is None:
        out.write("No vectors: keyword search only (the semantic extra is not installed, or SWARM_SEMANTIC=off).\n")
        return 0
    if full:
        await forget_vectors(app.store.engine)
        semantic.invalidate()
    async with app.store.unit() as uow:
        keys = await uow.workspaces.keys()
    embedded = sum([await semantic.embed_pending(key) for key in keys])
    if semantic.failure is not None:
        sys.stderr.write(f"{semantic.model} failed, vectors not made: {semantic.failure}\n")
        return 1
    out.write(f"Vectors ({semantic.model}): {embedded} articles embedded.\n")
    return 0


def _write_kb_files(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = {name for name, _ in files}
    numbers = {name.split("-", 1)[0] for name in names}
    for old in folder.glob("[0-9][0-9][0-9][0-9]-*.md"):
        # The same article exported before under its old title: its file is this one now.
        if old.name not in names and old.name.split("-", 1)[0] in numbers:
            old.unlink()
    for name, text in files:
        (folder / name).write_text(text, encoding="utf-8")


async def _import_kb(app: App, workspace: str, folder: Path, out: TextIO) -> int:
    read = _read_kb_files(folder)
    if read is None:
        sys.stderr.write(f"{folder} is not a folder\n")
        return 1
    files, unreadable = read
    report = await app.core.kb.import_(workspace, files)
    report.rejected += [(name, UserError("kb_file_unreadable")) for name in unreadable]
    out.write("\n".join(replies.kb_import_report(report)) + "\n")
    return 1 if report.rejected else 0


def _read_kb_files(folder: Path) -> tuple[list[tuple[str, str]], list[str]] | None:
    """(name, text) of each Markdown file in the folder, and the names of those that are not UTF-8."""
    if not folder.is_dir():
        return None
    files, unreadable = [], []
    for path in sorted(folder.glob("*.md")):
        try:
            files.append((path.name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            unreadable.append(path.name)
    return files, unreadable


def _print(out: TextIO, rows: list[dict[str, Any]], as_json: bool, line: Any) -> None:
    if as_json:
        out.write(json.dumps(rows, indent=2, default=str) + "\n")
    else:
        out.writelines(line(row) + "\n" for row in rows)


def _person(person: Person) -> dict[str, Any]:
    data = _jsonable(person)
    data.pop("workspace_id", None)
    return data


def _person_line(p: dict[str, Any]) -> str:
    skills = ", ".join(f"{k}:{v}" for k, v in sorted(p["skills"].items()))
    role = f"  ({p['role']})" if p.get("role", "agent") != "agent" else ""
    return f"{p['name']:<22} {p['email'] or '':<28} {p['department'] or '':<10} {p['timezone']:<20} {skills}{role}"


def _jsonable(obj: Any) -> dict[str, Any]:
    data = dataclasses.asdict(obj)
    return json.loads(json.dumps(data, default=_default))  # type: ignore[no-any-return]


def _default(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


if __name__ == "__main__":
    main()
