"""The knowledge-base benchmarks run end to end (quick mode, in their own processes) and report every target.

No timing or quality figure is asserted here: `bench/kb_search.py` and `bench/kb_recall.py` measure them. What is
asserted is what does not depend on the machine: the tables are complete and every target gets a verdict.
"""

from __future__ import annotations

import re
from pathlib import Path

from adapters import semantic as semantic_extra
from bench import kb_corpus
from tests.bench.quick import markdown_table, run_bench
from tests.semantic import REQUIRED


def _rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in output.splitlines()
        if line.startswith("|") and not line.startswith("| ---") and not line.startswith("| backend")
    ]


def test_the_search_bench_times_every_kind_of_query() -> None:
    output = run_bench("kb_search.py", timeout=600)
    [row] = _rows(output)
    assert row[:3] == ["sqlite", "1,000", "60"]
    assert all(float(cell) >= 0 for cell in row[3:10])
    targets = [line for line in output.splitlines() if line.startswith("target:")]
    assert targets == [line for line in targets if re.search(r": (MET|NOT MET|NOT MEASURED) \(", line)]
    assert len(targets) == 1 and "NOT MEASURED" in targets[0]  # quick mode stops at 1,000 articles


def test_the_recall_bench_reports_keyword_and_hybrid_recall() -> None:
    output = run_bench("kb_recall.py", timeout=600)
    asked, lookups = output.split("| backend | method | lookups |")
    keyword, hybrid = _rows(asked)
    assert keyword[:3] == ["sqlite", "keyword", "150"]
    assert 0 <= float(keyword[3]) <= float(keyword[4]) <= 1 and float(keyword[5]) > 0
    if REQUIRED or semantic_extra.installed():
        assert hybrid[:3] == ["sqlite", "hybrid", "150"]
        assert 0 <= float(hybrid[3]) <= float(hybrid[4]) <= 1 and float(hybrid[5]) > 0
        assert [row[1] for row in _rows(lookups)] == ["keyword", "hybrid"]
        assert "articles/s)" in output
    else:
        assert hybrid[1] == "hybrid (semantic extra not installed)"
        assert [row[1] for row in _rows(lookups)] == ["keyword"]
    assert all(0 <= float(cell) <= 1 for row in _rows(lookups) for cell in row[3:5])
    targets = [line for line in output.splitlines() if line.startswith("target:")]
    assert len(targets) == 2 and all(re.search(r": (MET|NOT MET|NOT MEASURED) \(", t) for t in targets)


def test_the_deflection_bench_simulates_a_week_and_the_report_agrees_with_it() -> None:
    output = run_bench("kb_deflection.py", timeout=600)
    rows = [row for row in _rows(output) if row[2] != "**month**"]
    methods = ["keyword", "hybrid"] if REQUIRED or semantic_extra.installed() else ["keyword"]
    assert [row[:3] for row in rows] == [["sqlite", method, "1"] for method in methods]
    for row in rows:
        cases, deflected = int(row[3]), int(row[4])
        assert cases == 40 and 0 <= deflected <= cases
        assert int(row[8]) + int(row[9]) == cases - deflected  # every swarm that ran wrote an article
    verdicts = [line for line in output.splitlines() if "the month's report" in line]
    assert len(verdicts) == len(methods) and all("— agrees with the simulation" in line for line in verdicts)


def test_the_corpus_is_the_same_for_a_seed_and_questions_reword_it() -> None:
    first, asked = kb_corpus.recall_set(50, seed=3)
    again, asked_again = kb_corpus.recall_set(50, seed=3)
    assert first == again and asked == asked_again
    assert len({(a.title) for a in first}) == 50  # different problems
    assert sum(q.text.lower() not in a.title.lower() for q, a in zip(asked, first, strict=True)) > 40


def test_the_suggestion_bench_measures_the_old_and_the_new_rule_on_both_kinds_of_case() -> None:
    output = run_bench("kb_suggest.py", "--keyword-only", timeout=600)
    rows = [row for row in _rows(output) if row[0] != "set"]
    assert [row[:3] for row in rows[:2]] == [
        ["support", "keyword", "old: first 3 hits"],
        ["support", "keyword", "new: likely answers"],
    ]
    for row in rows[:2]:
        assert row[3] == "60" and row[6] == "60"  # answerable and unanswerable cases
        assert all(0 <= int(cell.rstrip("%")) <= 100 for cell in row[4:6] + row[7:8])
    old, new = rows[0], rows[1]
    assert float(new[8]) <= float(old[8]) <= 3  # suggestions per case: never more than the old rule's 3
    targets = [line for line in output.splitlines() if line.startswith("target:")]
    assert len(targets) == 3 and all(re.search(r": (MET|NOT MET|NOT MEASURED) \(", t) for t in targets)


def test_the_suggestion_sweep_judges_the_dumped_evidence_as_the_bench_judged_the_cases(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.jsonl"
    measured = run_bench("kb_suggest.py", "--keyword-only", "--dump", str(evidence), timeout=600)
    assert len(evidence.read_text(encoding="utf-8").splitlines()) == 120  # 60 answerable and 60 unanswerable cases
    new = next(row for row in _rows(measured) if row[2] == "new: likely answers")
    swept = run_bench("kb_suggest.py", "--sweep", str(evidence), timeout=600)
    [chosen] = [row for row in markdown_table(swept, "| words in common") if "(chosen)" in row[2]]
    # Without searching again, the rule as chosen shows what it showed while the bench searched.
    assert chosen[5] == f"{new[4]} / {new[7]}"
