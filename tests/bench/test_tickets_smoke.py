"""bench/tickets.py runs end to end (quick mode, in its own process) and fills its table. No figure is asserted but
the counts of calls, which are what Swarm does rather than how fast."""

from __future__ import annotations

from tests.bench.quick import markdown_table, run_bench


def test_the_ticket_bench_counts_the_calls_and_times_both_opens() -> None:
    rows = dict(markdown_table(run_bench("tickets.py"), "| measure"))  # type: ignore[arg-type]
    assert rows["Zendesk reads per open from a ticket"] == "3.00"  # ticket, organisation, assignee
    assert rows["Zendesk writes per open (the opening note)"] == "1.00"
    assert rows["Zendesk writes per resolve (the resolving note)"] == "1.00"
    assert " / " in rows["open from a ticket, p50 / p99 (ms)"]


def test_the_ticket_bench_runs_against_salesforce_too() -> None:
    rows = dict(markdown_table(run_bench("tickets.py", "--system", "sf"), "| measure"))  # type: ignore[arg-type]
    assert rows["Salesforce reads per open from a ticket"] == "1.00"  # one query: the Case, its Account, its owner
    assert rows["Salesforce writes per open (the opening note)"] == "1.00"
    assert rows["Salesforce writes per resolve (the resolving note)"] == "1.00"
    assert rows["Salesforce tokens asked for in the whole run"] == "1"


def test_against_jira_an_open_reads_the_request_once() -> None:
    rows = dict(markdown_table(run_bench("tickets.py", "--system", "jsm"), "| measure"))  # type: ignore[arg-type]
    assert rows["Jira reads per open from a ticket"] == "1.10"  # the request; the site's fields once in ten opens
    assert rows["Jira writes per open (the opening note)"] == "1.00"
    assert rows["Jira writes per resolve (the resolving note)"] == "1.00"
