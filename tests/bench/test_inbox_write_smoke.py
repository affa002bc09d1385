"""bench/inbox_write.py runs end to end (quick mode, in its own process) and fills its table. No figure is asserted:
the bench measures them."""

from __future__ import annotations

import os

import pytest

from tests.bench.quick import markdown_table, run_bench
from tests.conftest import DATABASE_URL_ENV

# It reads SWARM_TEST_DATABASE_URL itself rather than asking for a database fixture, so it is marked by hand: the
# PostgreSQL pass of the slow step runs it there too.
pytestmark = pytest.mark.database


def test_the_inbox_bench_measures_both_ways_of_writing() -> None:
    server = os.environ.get(DATABASE_URL_ENV)
    output = run_bench("inbox_write.py", "--database", server or "sqlite")
    rows = markdown_table(output, "| database |")
    assert [(row[0], row[1]) for row in rows] == [("PostgreSQL" if server else "SQLite", size) for size in ("1", "8")]
    for row in rows:
        session, held, ratio = (float(cell) for cell in row[2:5])
        assert session > 0 and held > 0 and abs(ratio - held / session) < 0.01 + 0.01 * ratio
