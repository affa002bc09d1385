"""Opening a swarm from a ticket reference, end to end against a loopback fake of Zendesk (issue 25): how many calls
the ticket system gets per open and per resolve, and how much time reading the ticket adds to an open.

    .venv/bin/python bench/tickets.py                  # SQLite (a temporary file), 200 opens of each kind
    .venv/bin/python bench/tickets.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/tickets.py --latency 0.08   # each Zendesk answer takes 80 ms, as across the internet
    .venv/bin/python bench/tickets.py --quick          # smoke run: 10 opens of each kind
    .venv/bin/python bench/tickets.py --system jsm     # the same against a fake of Jira Service Management
    .venv/bin/python bench/tickets.py --system sf      # the same against a fake of Salesforce

Each open is the real router, core and storage, with the in-memory chat and the real Zendesk adapter on loopback (or
Jira's, or Salesforce's): `/swarm zd:N` (the ticket is read, the opening note is kept and sent) and, in turn,
`/swarm <the same subject>` (no ticket): the difference is what the ticket adds. Each swarm is then resolved, which
sends one more note. The fake's answers come back at once unless `--latency` says otherwise. It is a measurement: it
exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import percentile, scratch_database  # noqa: E402


async def run(database: str | None, opens: int, latency: float, system: str = "zd") -> None:
    from bot.swarms import Policy
    from storage.database import SqlStore, upgrade
    from tests.harness import ScenarioBot

    vendor = VENDORS[system]()
    fake: Any = vendor.fake(latency)
    async with scratch_database(database, "tickets") as url, fake:
        await upgrade(url)
        store = SqlStore(url)
        client: Any = vendor.client(fake)
        try:
            bot = ScenarioBot(store, policy=Policy(open_limit=None), tickets={system: client})
            await bot.load_roster()
            subjects = ["ACME cannot export invoices to PDF", "SSO login loops for Globex", "Billing totals off by tax"]
            for number in range(opens):
                vendor.add(fake, number, f"{subjects[number % 3]} ({number})", "Since Monday it fails every time.")
            with_ticket: list[float] = []
            without: list[float] = []
            reads = writes_open = writes_resolve = 0
            for number in range(opens):
                for ticket in (True, False):
                    typed = vendor.reference(number) if ticket else f"{subjects[number % 3]} ({number}) #billing #pdf"
                    before = len(fake.calls)
                    started = time.perf_counter()
                    await bot.command(f"/swarm {typed}", user="ana")
                    took = time.perf_counter() - started
                    calls = fake.calls[before:]
                    (with_ticket if ticket else without).append(took)
                    if ticket:
                        reads += sum(1 for c in calls if c.method == "GET")
                        writes_open += sum(1 for c in calls if c.writes)
                    swarm = len(with_ticket) + len(without)
                    before = len(fake.calls)
                    room = next(c for c in bot.chat.channels if c.startswith(f"swarm-{swarm}-"))
                    await bot.command("/swarm resolve restarted the worker cause: stale cache", channel=room)
                    if ticket:
                        writes_resolve += sum(1 for c in fake.calls[before:] if c.writes)
            assert all(_internal(c.body) for c in fake.writes()), "a public write"
            tokens = len([c for c in fake.calls if c.path.endswith("/oauth2/token")])
        finally:
            await client.close()
            await store.close()

    def ms(values: list[float], share: float) -> str:
        return f"{percentile(values, share) * 1000:.1f}"

    where, name = "PostgreSQL" if database else "SQLite", vendor.name
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


@dataclass(frozen=True)
class Vendor:
    """One ticket system as the bench drives it: its fake, its real client, a ticket of the fake, its reference."""

    name: str
    fake: Callable[[float], Any]
    client: Callable[[Any], Any]
    add: Callable[[Any, int, str, str], Any]
    reference: Callable[[int], str]


def _zendesk() -> Vendor:
    from adapters.tickets.zendesk import Zendesk
    from tests.fakes.zendesk_api import FakeZendesk

    return Vendor(
        "Zendesk",
        lambda latency: FakeZendesk(latency=latency),
        lambda fake: Zendesk(fake.url, fake.email, fake.token, timeout=10),
        lambda fake, n, subject, described: fake.add_ticket(
            10_000 + n,
            subject,
            described,
            priority="high",
            tags=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        ),
        lambda n: f"zd:{10_000 + n}",
    )


def _jira() -> Vendor:
    from adapters.tickets.jira import Jira
    from tests.fakes.jira_api import FakeJira

    return Vendor(
        "Jira",
        lambda latency: FakeJira(latency=latency),
        lambda fake: Jira(fake.url, fake.email, fake.token, timeout=10),
        lambda fake, n, subject, described: fake.add_issue(
            f"SUP-{10_000 + n}",
            subject,
            described,
            priority="High",
            labels=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        ),
        lambda n: f"jsm:SUP-{10_000 + n}",
    )


def _salesforce() -> Vendor:
    from adapters.tickets.salesforce import Salesforce
    from tests.fakes.salesforce_api import FakeSalesforce

    # Cases have no tags: the typed case names the skills.
    return Vendor(
        "Salesforce",
        lambda latency: FakeSalesforce(latency=latency),
        lambda fake: Salesforce(fake.url, fake.client_id, fake.client_secret, 10),
        lambda fake, n, subject, described: fake.add_case(
            f"{10_000 + n:08d}",
            subject,
            described,
            priority="High",
            account="ACME Corp",
            owner_email="ana@example.com",
        ),
        lambda n: f"sf:{10_000 + n:08d}",
    )


# The systems by short name; each is made when asked for (their imports are the test tree's fakes).
VENDORS: dict[str, Callable[[], Vendor]] = {"zd": _zendesk, "jsm": _jira, "sf": _salesforce}


def _internal(body: Any) -> bool:
    """A write that is an internal note: Zendesk's private comment, Jira's internal comment, Salesforce's unpublished
    CaseComment."""
    if "IsPublished" in body:
        return body["IsPublished"] is False
    if "ticket" in body:
        return body["ticket"]["comment"]["public"] is False
    return body["public"] is False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--opens", type=int, default=200, help="opens of each kind")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each Zendesk answer takes")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10 opens of each kind")
    parser.add_argument(
        "--system", choices=sorted(VENDORS), default="zd", help="Zendesk (zd), Jira (jsm) or Salesforce (sf)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.database, 10 if args.quick else args.opens, args.latency, args.system))


if __name__ == "__main__":
    main()
