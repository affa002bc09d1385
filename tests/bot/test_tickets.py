"""The ticket references people type, and the case a ticket opens (bot/tickets.py): pure functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.models import Ticket
from bot.tickets import DEFAULT_SEVERITIES, TicketRef, backoff, case_from, case_without, find_ref, parse_severities


@pytest.mark.parametrize(
    ("typed", "ref", "rest"),
    [
        ("zd:4521", TicketRef("zd", "4521"), ""),
        ("ZD:4521 export fails #pdf", TicketRef("zd", "4521"), "export fails #pdf"),
        (
            "https://acme.zendesk.com/agent/tickets/4521",
            TicketRef("zd", "4521", "acme.zendesk.com"),
            "",
        ),
        (
            "see <https://Acme.zendesk.com/agent/tickets/4521|#4521> sev1",
            TicketRef("zd", "4521", "acme.zendesk.com"),
            "see sev1",
        ),
        ("https://acme.zendesk.com/hc/en-us/requests/77", TicketRef("zd", "77", "acme.zendesk.com"), ""),
        ("jsm:sup-123", TicketRef("jsm", "SUP-123"), ""),
        (
            "https://acme.atlassian.net/browse/SUP-123 login loop",
            TicketRef("jsm", "SUP-123", "acme.atlassian.net"),
            "login loop",
        ),
        (
            "https://acme.atlassian.net/servicedesk/customer/portal/2/SUP-9",
            TicketRef("jsm", "SUP-9", "acme.atlassian.net"),
            "",
        ),
        (
            "https://acme.atlassian.net/jira/servicedesk/projects/SUP/queues/custom/1/SUP-42",
            TicketRef("jsm", "SUP-42", "acme.atlassian.net"),
            "",
        ),
        (
            "https://acme.atlassian.net/jira/servicedesk/projects/SUP/queues/custom/1?selectedIssue=SUP-7",
            TicketRef("jsm", "SUP-7", "acme.atlassian.net"),
            "",
        ),
        ("sf:00001026", TicketRef("sf", "00001026"), ""),
        ("sf:5003000000D8cuIAAR", TicketRef("sf", "5003000000D8cuIAAR"), ""),
        (
            "https://acme.lightning.force.com/lightning/r/Case/5003000000D8cuIAAR/view",
            TicketRef("sf", "5003000000D8cuIAAR", "acme.lightning.force.com"),
            "",
        ),
        (
            "https://acme.my.salesforce.com/5003000000D8cuI",
            TicketRef("sf", "5003000000D8cuI", "acme.my.salesforce.com"),
            "",
        ),
        ("(zd:12), then jsm:SUP-1", TicketRef("zd", "12"), "then jsm:SUP-1"),
    ],
)
def test_a_ticket_reference_is_found_in_every_form(typed: str, ref: TicketRef, rest: str) -> None:
    assert find_ref(typed) == (ref, rest)


@pytest.mark.parametrize(
    "typed",
    [
        "ACME cannot export invoices",
        "order #4521 is stuck",
        "zd:",
        "zd:abc",
        "xzd:4521",
        "https://example.com/agent/tickets/4521",
        "https://acme.zendesk.com/agent/users/4521",
        "jsm:123",
        "sf:12",
        "customer:zd",
    ],
)
def test_what_is_no_ticket_reference_is_left_alone(typed: str) -> None:
    assert find_ref(typed) is None


TICKET = Ticket(
    system="zd",
    id="4521",
    subject="ACME cannot export invoices to PDF",
    description="Since Monday every export fails with error 500.",
    organization="ACME Corp",
    priority="high",
    status="open",
    tags=("billing", "PDF Export"),
    assignee_email="ana@example.com",
    url="https://acme.zendesk.com/agent/tickets/4521",
)


def test_a_ticket_opens_its_case() -> None:
    case = case_from(TICKET, "", DEFAULT_SEVERITIES)

    assert case.text == "ACME cannot export invoices to PDF"
    assert case.description == "Since Monday every export fails with error 500."
    assert case.customer == "ACME Corp"
    assert case.severity == 2
    assert case.tags == ("billing", "pdf-export")


def test_what_is_typed_beside_the_reference_wins() -> None:
    case = case_from(TICKET, "looks like the renderer #pdf sev1 customer:Globex", DEFAULT_SEVERITIES)

    assert case.text == "ACME cannot export invoices to PDF — looks like the renderer"
    assert case.severity == 1
    assert case.customer == "Globex"
    assert case.tags == ("pdf", "billing", "pdf-export")


def test_only_tags_or_a_severity_beside_the_reference_still_count() -> None:
    assert case_from(TICKET, "#pdf", DEFAULT_SEVERITIES).tags == ("pdf", "billing", "pdf-export")
    assert case_from(TICKET, "sev4", DEFAULT_SEVERITIES).severity == 4
    assert case_from(TICKET, "sev4", DEFAULT_SEVERITIES).text == TICKET.subject


def test_the_priority_mapping_is_configurable() -> None:
    table = parse_severities("urgent=1, high=sev1, normal=2 ,low=4")
    assert table == {"urgent": 1, "high": 1, "normal": 2, "low": 4}
    assert case_from(TICKET, "", table).severity == 1
    assert case_from(TICKET, "", {}).severity == 3  # an unknown priority: the default
    for bad in ("high", "high=5", "=2", "high=two"):
        with pytest.raises(ValueError):
            parse_severities(bad)


def test_a_ticket_that_could_not_be_read_opens_what_was_typed() -> None:
    ref = TicketRef("zd", "4521")
    assert case_without(ref, "export fails #pdf").text == "export fails"
    assert case_without(ref, "").text == "Ticket zd:4521"
    with pytest.raises(UserError):
        case_without(ref, "sev9 export")


def test_retries_back_off_up_to_an_hour() -> None:
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert waits[-1] == timedelta(hours=1)
    assert waits == sorted(waits)


TICKETISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "zd:", "zd:4521", "ZD:0", "jsm:", "jsm:SUP-1", "sf:", "sf:00001026", "sev1", "#pdf", "customer:",
                "https://acme.zendesk.com/agent/tickets/", "https://acme.atlassian.net/browse/", "<", ">", "|", "(",
                ")", "\x00", "💥", "https://x.my.salesforce.com/500", "?selectedIssue=", "/", ":",
            ]
        ),
        st.text(max_size=12),
    ),
    max_size=10,
).map(lambda words: "".join(words) if len(words) % 2 else " ".join(words))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), TICKETISH))
def test_any_text_is_a_reference_or_not_and_never_an_error(typed: str) -> None:
    found = find_ref(typed)
    if found is None:
        return
    ref, rest = found
    assert ref.system in ("zd", "jsm", "sf") and ref.id and " " not in ref.id
    assert len(rest) <= len(typed)
    try:
        case = case_from(TICKET, rest, DEFAULT_SEVERITIES)
    except UserError:
        return  # what was typed beside the reference is refused as any case would be (sev9, too long)
    assert case.text.startswith(TICKET.subject)
