"""`swarm history import`, in-process, against the test database; and the CSV reader behind it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from adapters.history_file import HistoryFileError, parse_history, read_history
from tests.adapters.conftest import Swarm
from tests.fakes.jira_api import FakeJira
from tests.fakes.salesforce_api import FakeSalesforce
from tests.fakes.zendesk_api import FakeZendesk

ROOT = Path(__file__).resolve().parents[2]
ROSTER = str(ROOT / "examples" / "roster.yaml")
EXAMPLE = ROOT / "examples" / "history.csv"

HEADER = "case_id,title,description,tags,resolver_email,participant_emails,opened_at,resolved_at,resolution\n"
CSV = HEADER + (
    "HD-1,ACME cannot export invoices to PDF,Export spins forever,billing;pdf,chloe@example.com,"
    "isabel@example.com;ana@example.com,2026-03-02T09:00:00Z,2026-03-02T15:30:00Z,Cleared the PDF template cache\n"
    "HD-2,SSO login loops,,sso,sofia@example.com,,2026-04-01,2026-03-01,Uploaded the new IdP certificate\n"
    'HD-3,Okta users not deprovisioned,"Removing a user in Okta\n'
    'leaves them active",sso;scim,grace@example.com,,2026-05-01T10:00,2026-05-02T10:00,Fixed the SCIM PATCH handler\n'
    "HD-4,Refund issued twice,,refunds,karin@example,,2026-06-01,2026-06-01,Reversed the duplicate refund\n"
    ",No id,,billing,bruno@example.com,,2026-06-01,2026-06-01,Something\n"
)


async def test_import_reports_rejected_rows_by_line_and_keeps_the_good_ones(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await swarm("roster", "import", ROSTER)
    path = tmp_path / "cases.csv"
    path.write_text(CSV, encoding="utf-8")

    code, out = await swarm("history", "import", str(path))

    assert code == 1
    assert out.splitlines() == [
        "2 added, 0 already imported, 3 rejected",
        "line 3: case HD-2 is resolved (2026-03-01) before it was opened (2026-04-01)",
        "line 6: karin@example in resolver_email is not an e-mail address",
        "line 7: a case_id is required",
    ]
    code, out = await swarm("kb", "search", "SCIM", "--json")
    assert [a["title"] for a in json.loads(out)] == ["Okta users not deprovisioned"]
    code, out = await swarm("stats", "--json", "--since", "2026-01-01")
    assert json.loads(out)["resolved"] == 2


async def test_importing_the_same_file_again_adds_nothing(swarm: Swarm, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CSV, encoding="utf-8")
    await swarm("history", "import", str(path))

    code, out = await swarm("history", "import", str(path))

    assert code == 1  # the bad rows are still bad
    assert out.splitlines()[0] == "0 added, 2 already imported, 3 rejected"
    code, out = await swarm("stats", "--json", "--since", "2026-01-01")
    assert json.loads(out)["opened"] == 2


async def test_the_example_history_imports_cleanly_and_teaches_the_matcher(swarm: Swarm) -> None:
    await swarm("roster", "import", ROSTER)

    code, out = await swarm("history", "import", str(EXAMPLE))
    assert (code, out) == (0, "41 added, 0 already imported, 0 rejected\n")
    code, out = await swarm("history", "import", str(EXAMPLE), "--workspace", "T0OTHER", "--create")
    assert (code, out) == (0, "41 added, 0 already imported, 0 rejected\n")  # another workspace has its own history

    # sev1: off-hours people may be asked, so the answer does not depend on the hour the test runs. The console's
    # by name: with another workspace that has data, that one is the default (adapters/workspaces.py).
    code, out = await swarm("experts", "Okta SAML login loop #sso sev1", "--json", "--workspace", "console")
    assert any("resolved similar cases" in " ".join(m["reasons"]) for m in json.loads(out))
    code, out = await swarm("kb", "search", "VAT", "--json", "--workspace", "console")
    assert len(json.loads(out)) >= 2
    code, out = await swarm("kb", "show", "1", "--workspace", "console")
    assert "Contributors: Elena Petrova, Chloe Martin, Olivia Brown" in out


async def test_a_file_that_is_not_a_case_export_is_refused(
    swarm: Swarm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,email\nAna,ana@example.com\n", encoding="utf-8")

    code, out = await swarm("history", "import", str(path))
    assert code == 1 and out == ""
    assert "needs a header row" in capsys.readouterr().err

    code, _ = await swarm("history", "import", str(tmp_path / "missing.csv"))
    assert code == 1
    assert "cannot read" in capsys.readouterr().err


# -- the reader ---------------------------------------------------------------------------------------------------


def test_rows_are_named_by_the_line_they_start_on() -> None:
    rows = parse_history(CSV)

    assert [line for line, _ in rows] == [2, 3, 4, 6, 7]
    assert rows[2][1]["description"] == "Removing a user in Okta\nleaves them active"


def test_headers_are_matched_loosely_extra_columns_kept_and_missing_cells_empty() -> None:
    text = (
        "\ufeffCase ID,Title,Resolver-Email,Opened At,Resolved At,Resolution,Priority\r\n"
        "\r\n"
        "HD-1,Export fails,chloe@example.com,2026-03-02,2026-03-03,Fixed,high\r\n"
        "HD-2,Short row,chloe@example.com\r\n"
    )
    rows = parse_history(text.removeprefix("\ufeff"))

    assert [line for line, _ in rows] == [3, 4]
    first, second = rows[0][1], rows[1][1]
    assert first["case_id"] == "HD-1" and first["resolver_email"] == "chloe@example.com"
    assert first["priority"] == "high" and first["description"] == "" and first["tags"] == ""
    assert second["resolution"] == ""


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode())

    assert read_history(path)[0][1]["case_id"] == "HD-1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "needs a header row"),
        ("name,email\n", "missing: case_id, resolver_email, opened_at, resolved_at, resolution, title"),
        ("case_id,description,resolver_email,opened_at,resolved_at\n", "missing: resolution"),
    ],
)
def test_a_header_without_the_columns_of_a_case_export_is_refused(text: str, message: str) -> None:
    with pytest.raises(HistoryFileError, match=message):
        parse_history(text)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(HEADER.encode() + "HD-1,Café\n".encode("latin-1"))

    with pytest.raises(HistoryFileError, match="not UTF-8"):
        read_history(path)


async def test_solved_zendesk_tickets_are_imported_and_a_rerun_reads_only_what_is_new(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeZendesk(per_page=2) as zendesk:
        monkeypatch.setenv("ZENDESK_URL", zendesk.url)
        monkeypatch.setenv("ZENDESK_EMAIL", zendesk.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", zendesk.token)
        for number, skill in ((4521, "pdf"), (4522, "scim"), (4523, "sso")):
            zendesk.add_ticket(number, f"Case {number}", "It fails.", tags=(skill,))
            zendesk.solve(number, f"Fixed the {skill} handler.", by="grace@example.com")
        zendesk.add_ticket(4524, "Still open", "Nobody has solved this yet.")
        zendesk.fail(times=1, status=429, retry_after=0)  # waited out: this is no chat, nobody is kept waiting

        code, out = await swarm("history", "import", "--from", "zendesk", "--since", "2026-01-01")

        assert (code, out) == (0, "3 added, 0 already imported, 0 rejected\n")
        code, out = await swarm("kb", "search", "SCIM", "--json")
        assert [a["title"] for a in json.loads(out)] == ["Case 4522"]

        zendesk.add_ticket(4525, "Refund issued twice", "Two refunds.", tags=("refunds",))
        zendesk.solve(4525, "Reversed the duplicate refund.", by="karin@example.com", at="2026-11-25T09:00:00Z")
        code, out = await swarm("history", "import", "--from", "zendesk", "--since", "2026-01-01")
        assert (code, out) == (0, "1 added, 0 already imported, 0 rejected\n")


async def test_solved_jira_requests_are_imported_and_a_rerun_reads_only_what_is_new(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeJira(per_page=2) as jira:
        monkeypatch.setenv("JIRA_URL", jira.url)
        monkeypatch.setenv("JIRA_EMAIL", jira.email)
        monkeypatch.setenv("JIRA_API_TOKEN", jira.token)
        for number, skill in ((1, "pdf"), (2, "scim"), (3, "sso")):
            jira.add_issue(f"SUP-{number}", f"Case SUP-{number}", "It fails.", labels=(skill,))
            jira.solve(f"SUP-{number}", f"Fixed the {skill} handler.", by="grace@example.com")
        jira.add_issue("SUP-4", "Still open", "Nobody has solved this yet.")
        jira.fail(times=1, status=429, retry_after=0)  # waited out: this is no chat, nobody is kept waiting

        code, out = await swarm("history", "import", "--from", "jira", "--since", "2026-01-01")

        assert (code, out) == (0, "3 added, 0 already imported, 0 rejected\n")
        code, out = await swarm("kb", "search", "SCIM", "--json")
        assert [a["title"] for a in json.loads(out)] == ["Case SUP-2"]

        jira.add_issue("SUP-5", "Refund issued twice", "Two refunds.", labels=("refunds",))
        jira.solve("SUP-5", "Reversed the duplicate refund.", by="karin@example.com", at="2026-11-25T09:00:00.000+0000")
        code, out = await swarm("history", "import", "--from", "jira", "--since", "2026-01-01")
        # From the last change imported (all three at the same moment): listed again, known, not read again.
        assert (code, out) == (0, "1 added, 3 already imported, 0 rejected\n")


async def test_closed_salesforce_cases_are_imported_and_a_rerun_reads_only_what_is_new(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeSalesforce(per_page=2) as salesforce:
        monkeypatch.setenv("SALESFORCE_URL", salesforce.url)
        monkeypatch.setenv("SALESFORCE_CLIENT_ID", salesforce.client_id)
        monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", salesforce.client_secret)
        for number, skill in ((1026, "PDF"), (1027, "SCIM"), (1028, "SSO")):
            case_id = salesforce.add_case(f"0000{number}", f"Case {number}", f"The {skill} handler fails.")
            salesforce.solve(case_id, f"Fixed the {skill} handler.", by="grace@example.com")
        salesforce.add_case("00001029", "Still open", "Nobody has solved this yet.")
        salesforce.fail(times=1, status=429, retry_after=0)  # from a proxy: waited out, nobody is kept waiting

        code, out = await swarm("history", "import", "--from", "salesforce", "--since", "2026-01-01")

        assert (code, out) == (0, "3 added, 0 already imported, 0 rejected\n")
        code, out = await swarm("kb", "search", "SCIM", "--json")
        assert [a["title"] for a in json.loads(out)] == ["Case 1027"]

        case_id = salesforce.add_case("00001030", "Refund issued twice", "Two refunds.")
        at = "2026-11-25T09:00:00.000+0000"
        salesforce.solve(case_id, "Reversed the duplicate refund.", by="karin@example.com", at=at)
        code, out = await swarm("history", "import", "--from", "salesforce", "--since", "2026-01-01")
        assert (code, out) == (0, "1 added, 0 already imported, 0 rejected\n")


async def test_an_import_that_spends_salesforces_allowance_stops_and_says_why(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeSalesforce() as salesforce:
        monkeypatch.setenv("SALESFORCE_URL", salesforce.url)
        monkeypatch.setenv("SALESFORCE_CLIENT_ID", salesforce.client_id)
        monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", salesforce.client_secret)
        case_id = salesforce.add_case("00001026", "Case 1026", "It fails.")
        salesforce.solve(case_id, "Fixed it.", by="grace@example.com")
        salesforce.fail(times=1, status=403)

        code, out = await swarm("history", "import", "--from", "salesforce", "--since", "2026-01-01")

    assert code == 1
    assert "REQUEST_LIMIT_EXCEEDED: the org's API requests of the last 24 hours are spent" in out
    assert "run the same import again to carry on from there" in out


async def test_an_import_from_a_ticket_system_not_set_up_says_so(
    swarm: Swarm, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await swarm("history", "import", "--from", "zendesk", "--since", "2026-01-01")

    assert (code, out) == (1, "")
    assert "Zendesk is not set up here" in capsys.readouterr().err


class Terminal(io.StringIO):
    """stderr as a terminal shows it."""

    def isatty(self) -> bool:
        return True


async def test_on_a_terminal_a_line_counts_the_tickets_as_they_are_read(
    swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    async with FakeZendesk(per_page=2) as zendesk:
        monkeypatch.setenv("ZENDESK_URL", zendesk.url)
        monkeypatch.setenv("ZENDESK_EMAIL", zendesk.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", zendesk.token)
        for number in (4521, 4522, 4523):
            zendesk.add_ticket(number, f"Case {number}", "It fails.")
            zendesk.solve(number, "Fixed it.", by="grace@example.com")

        code, out = await swarm("history", "import", "--from", "zendesk", "--since", "2026-01-01")

    assert (code, out) == (0, "3 added, 0 already imported, 0 rejected\n")
    assert terminal.getvalue().split("\r")[1:] == [
        "2 solved tickets read: 2 added, 0 already imported",
        "3 solved tickets read: 3 added, 0 already imported\n",
    ]
