"""The real-data knowledge bench (bench/kb_real.py) runs end to end in quick mode and reports every method and target,
for every set it is given.

No quality or timing figure is asserted: the bench measures them. Banking77 is read from ../shared/kb-dev-data, never
copied into the repository, so the test with it is skipped where it is not on the machine; the second set is a tiny
FAQ-shaped CSV (title, answer, questions) the test writes, not real data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from bench.kb_real import DATA, Split, split_for
from tests.bench.quick import markdown_table, run_bench

TARGET = re.compile(r"^target: (.+): (MET|NOT MET|NOT MEASURED) \(")
METHODS = ["bm25", "keyword", "hybrid", "model"]


def tiny_faq(path: Path) -> Path:
    """Four made-up support threads, each a title, an answer and six ways of asking."""
    threads = {
        "vpn": ("VPN drops every hour", "Renew the certificate", "vpn", "tunnel", "disconnects"),
        "printer": ("Printer shows offline", "Re-add the printer queue", "printer", "queue", "offline"),
        "password": ("Password reset link expired", "Send a new reset link", "password", "reset", "link"),
        "invoice": ("Invoice PDF is blank", "Regenerate the invoice", "invoice", "pdf", "blank"),
    }
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["text", "category", "role"])
        for category, (title, answer, *words) in threads.items():
            out.writerow([title, category, "title"])
            out.writerow([answer, category, "answer"])
            for n in range(6):
                out.writerow([f"my {words[n % 3]} is broken again, try {n}: {' '.join(words)}", category, "question"])
    return path


def assert_report(output: str, sets: list[str], backends: list[str], latency: bool) -> None:
    rows = markdown_table(output, "| set |")
    expected = [(name, m) for name in sets for m in ["bm25"] + [m for _ in backends for m in METHODS[1:]]]
    assert [(row[0], row[2].split(" ")[0]) for row in rows] == expected
    measured = [row for row in rows if row[2].split(" ")[0] in ("bm25", "keyword")]
    assert all(0 <= float(cell) <= 1 for row in measured for cell in row[4:7])
    targets = [TARGET.match(line) for line in output.splitlines() if line.startswith("target:")]
    assert all(targets)
    names = [match.group(1) for match in targets if match]
    assert len(names) == 5 * len(sets) * len(backends) + 2 * len(backends)
    for name in sets:
        assert sum(f" on {name}, " in what and "p50" not in what for what in names) == 5 * len(backends)
    if latency:
        assert [row[:4] for row in markdown_table(output, "| set | backend | method | articles |")] == [
            [sets[0], "sqlite", "keyword", "1,000"]
        ]


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is not on this machine")
def test_the_real_data_bench_reports_four_methods_side_by_side_on_every_set(tmp_path: Path) -> None:
    faq = tiny_faq(tmp_path / "tiny.csv")
    output = run_bench(
        "kb_real.py",
        "--keyword-only",
        "--latency-queries",
        "10",
        "--set",
        f"banking77={DATA}",
        "--set",
        f"tiny={faq}",
        timeout=600,
    )
    assert_report(output, ["banking77", "tiny"], ["sqlite"], latency=True)


def test_a_set_given_by_path_alone_is_measured_without_banking77(tmp_path: Path) -> None:
    faq = tiny_faq(tmp_path / "tiny.csv")
    output = run_bench("kb_real.py", "--keyword-only", "--no-latency", "--set", f"tiny={faq}", timeout=300)
    assert_report(output, ["tiny"], ["sqlite"], latency=False)
    # Each thread's 6 questions: 1 the issue, 1 asked, and quick mode takes 3 of the other 4 as queries.
    assert "| tiny | sqlite | keyword | 12 |" in output


def test_the_split_follows_the_set_size() -> None:
    assert split_for([130, 40, 150]) == Split(3, 10, 20)
    assert split_for([10, 10, 9]) == Split(1, 2, 7)
    assert split_for([6, 6]) == Split(1, 1, 4)
