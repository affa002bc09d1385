"""Opening a swarm from a ticket reference, end to end against a loopback fake of Zendesk (issue 25): how many calls
the ticket system gets per open and per resolve, and how much time reading the ticket adds to an open.

    .venv/bin/python bench/tickets.py                  # SQLite (a temporary file), 200 opens of each kind
    .venv/bin/python bench/tickets.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/tickets.py --latency 0.08   # each Zendesk answer takes 80 ms, as across the internet
    .venv/bin/python bench/tickets.py --quick          # smoke run: 10 opens of each kind
    .venv/bin/python bench/tickets.py --system sf      # the same against a loopback fake of Salesforce

Each open is the real router, core and storage, with the in-memory chat and the real Zendesk adapter on loopback:
`/swarm zd:N` (the ticket is read, the opening note is kept and sent) and, in turn, `/swarm <the same subject>` (no
ticket): the difference is what the ticket adds. Each swarm is then resolved, which sends one more note. Zendesk's
answers come back at once unless `--latency` says otherwise. It is a measurement: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import percentile, scratch_database  # noqa: E402


async def run(database: str | None, opens: int, latency: float, system: str = "zd") -> None:
    from adapters.tickets.salesforce import Salesforce
    from adapters.tickets.zendesk import Zendesk
    from bot.swarms import Policy
    from storage.database import SqlStore, upgrade
    from tests.fakes.salesforce_api import FakeSalesforce
    from tests.fakes.zendesk_api import FakeZendesk
    from tests.harness import ScenarioBot

    fake = FakeSalesforce(latency=latency) if system == "sf" else FakeZendesk(latency=latency)
    async with scratch_database(database, "tickets") as url, fake as zendesk:
        await upgrade(url)
        store = SqlStore(url)
        if isinstance(zendesk, FakeSalesforce):
            client: Zendesk | Salesforce = Salesforce(zendesk.url, zendesk.client_id, zendesk.client_secret, 10)
        else:
            client = Zendesk(zendesk.url, zendesk.email, zendesk.token, timeout=10)
        try:
            bot = ScenarioBot(store, policy=Policy(open_limit=None), tickets={system: client})
            await bot.load_roster()
            subjects = ["ACME cannot export invoices to PDF", "SSO login loops for Globex", "Billing totals off by tax"]
            for number in range(opens):
                subject = f"{subjects[number % 3]} ({number})"
                if isinstance(zendesk, FakeSalesforce):  # Cases have no tags: the typed case names the skills
                    zendesk.add_case(
                        f"{10_000 + number:08d}",
                        subject,
                        "Since Monday it fails every time.",
                        priority="High",
                        account="ACME Corp",
                        owner_email="ana@example.com",
                    )
                    continue
                zendesk.add_ticket(
                    10_000 + number,
                    subject,
                    "Since Monday it fails every time.",
                    priority="high",
                    tags=("billing", "pdf"),
                    organization="ACME Corp",
                    assignee_email="ana@example.com",
                )
            with_ticket: list[float] = []
            without: list[float] = []
            reads = writes_open = writes_resolve = 0
            for number in range(opens):
                for ticket in (True, False):
                    reference = f"{system}:{10_000 + number:08d}" if system == "sf" else f"zd:{10_000 + number}"
                    typed = reference if ticket else f"{subjects[number % 3]} ({number}) #billing #pdf"
                    before = len(zendesk.calls)
                    started = time.perf_counter()
                    await bot.command(f"/swarm {typed}", user="ana")
                    took = time.perf_counter() - started
                    calls = zendesk.calls[before:]
                    (with_ticket if ticket else without).append(took)
                    if ticket:
                        reads += sum(1 for c in calls if c.method == "GET")
                        writes_open += sum(1 for c in calls if c.writes)
                    swarm = len(with_ticket) + len(without)
                    before = len(zendesk.calls)
                    room = next(c for c in bot.chat.channels if c.startswith(f"swarm-{swarm}-"))
                    await bot.command("/swarm resolve restarted the worker cause: stale cache", channel=room)
                    if ticket:
                        writes_resolve += sum(1 for c in zendesk.calls[before:] if c.writes)
            assert all(_internal(c.body) for c in zendesk.writes()), "a public write"
            tokens = len([c for c in zendesk.calls if c.path.endswith("/oauth2/token")])
        finally:
            await client.close()
            await store.close()

    def ms(values: list[float], share: float) -> str:
        return f"{percentile(values, share) * 1000:.1f}"

    where, name = "PostgreSQL" if database else "SQLite", client.name
    print(f"{platform.machine()}, Python {platform.python_version()}, {where}; {name} answering in ")
    print(f"{latency * 1000:.0f} ms; {opens} opens of each kind\n")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| {name} reads per open from a ticket | {reads / opens:.2f} |")
    print(f"| {name} writes per open (the opening note) | {writes_open / opens:.2f} |")
    print(f"| {name} writes per resolve (the resolving note) | {writes_resolve / opens:.2f} |")
    if tokens:
        print(f"| {name} tokens asked for in the whole run | {tokens} |")
    print(f"| open without a ticket, p50 / p99 (ms) | {ms(without, 0.5)} / {ms(without, 0.99)} |")
    print(f"| open from a ticket, p50 / p99 (ms) | {ms(with_ticket, 0.5)} / {ms(with_ticket, 0.99)} |")
    added = percentile(with_ticket, 0.5) - percentile(without, 0.5)
    print(f"| what the ticket adds to an open, p50 (ms) | {added * 1000:.1f} |")


def _internal(body: Any) -> bool:
    """A write that is an internal note: Zendesk's private comment, or Salesforce's unpublished CaseComment."""
    if "IsPublished" in body:
        return body["IsPublished"] is False
    return body["ticket"]["comment"]["public"] is False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--opens", type=int, default=200, help="opens of each kind")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each Zendesk answer takes")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10 opens of each kind")
    parser.add_argument("--system", choices=("zd", "sf"), default="zd", help="Zendesk (zd) or Salesforce (sf)")
    args = parser.parse_args()
    asyncio.run(run(args.database, 10 if args.quick else args.opens, args.latency, args.system))


if __name__ == "__main__":
    main()
