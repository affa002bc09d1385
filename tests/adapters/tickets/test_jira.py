"""The Jira Service Management adapter against a loopback fake of Jira's APIs: what it reads, what it writes, how it
fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.settings import Settings
from adapters.tickets import systems
from adapters.tickets.adf import plain_text
from adapters.tickets.jira import Jira
from bot.errors import TicketNotFound, TicketSystemDown
from tests.fakes.jira_api import ORGANIZATIONS, FakeJira


@pytest.fixture
async def fake() -> AsyncIterator[FakeJira]:
    async with FakeJira() as jira:
        yield jira


@pytest.fixture
async def jira(fake: FakeJira) -> AsyncIterator[Jira]:
    client = Jira(fake.url, fake.email, fake.token, timeout=5)
    yield client
    await client.close()


def _every_write_is_internal(fake: FakeJira) -> None:
    for call in fake.writes():
        assert call.method == "POST" and call.path.startswith("/rest/servicedeskapi/request/"), call.path
        assert call.path.endswith("/comment") and call.body["public"] is False, call.body
    assert all(note["public"] is False for notes in fake.request_comments.values() for note in notes)


async def test_a_request_is_read_with_its_organisation_and_assignee(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue(
        "SUP-123",
        "ACME cannot export invoices to PDF",
        "Since Monday every export fails.\nError 500 each time.",
        priority="Highest",
        labels=("billing", "pdf"),
        organization="ACME Corp",
        assignee_email="ana@example.com",
    )

    ticket = await jira.fetch("SUP-123")

    assert ticket.system == "jsm" and ticket.id == "SUP-123"
    assert ticket.subject == "ACME cannot export invoices to PDF"
    assert ticket.description == "Since Monday every export fails.\nError 500 each time."
    assert ticket.organization == "ACME Corp"
    assert (ticket.priority, ticket.status, ticket.tags) == ("Highest", "Waiting for support", ("billing", "pdf"))
    assert ticket.assignee_email == "ana@example.com"
    assert ticket.created_at == datetime(2026, 11, 23, 8, 12, 5, tzinfo=UTC)
    assert ticket.url == f"{fake.url}/browse/SUP-123"
    # The site's organisations field is looked up once; then one call a request.
    [fields, issue] = fake.calls
    assert (fields.path, issue.path) == ("/rest/api/3/field", "/rest/api/3/issue/SUP-123")
    assert ORGANIZATIONS in issue.query["fields"].split(",")
    await jira.fetch("SUP-123")
    assert [c.path for c in fake.calls[2:]] == ["/rest/api/3/issue/SUP-123"]


async def test_the_reporters_organisation_and_first_comment_fill_what_the_request_leaves_empty(
    fake: FakeJira, jira: Jira
) -> None:
    fake.add_issue("SUP-7", "Login loop", "", organization="Globex", organization_on_request=False, priority=None)
    fake.comments["SUP-7"].append(
        {"id": "1", "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "The login page loops"}, {"type": "hardBreak"}, {"type": "text", "text": "again"}
        ]}]}, "jsdPublic": True}
    )  # fmt: skip

    ticket = await jira.fetch("SUP-7")

    assert ticket.organization == "Globex"
    assert ticket.description == "The login page loops\nagain"
    assert ticket.assignee_email is None and ticket.priority is None
    reporter = fake.issues["SUP-7"]["fields"]["reporter"]["accountId"]
    asked = {c.path: c.query for c in fake.calls}
    assert asked["/rest/servicedeskapi/organization"] == {"accountId": reporter}
    assert asked["/rest/api/3/issue/SUP-7/comment"] == {"orderBy": "created", "maxResults": "1"}


async def test_a_note_is_an_internal_comment(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue("SUP-123", "Export fails")

    await jira.add_note("SUP-123", "Swarm 3 is on it.")

    [call] = fake.writes()
    assert (call.method, call.path) == ("POST", "/rest/servicedeskapi/request/SUP-123/comment")
    assert call.body == {"body": "Swarm 3 is on it.", "public": False}
    assert [(n["body"], n["public"]) for n in fake.notes("SUP-123")] == [("Swarm 3 is on it.", False)]
    _every_write_is_internal(fake)


async def test_what_jira_will_never_do_is_not_found(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue("DEV-9", "A bug, not a request", service_desk=False)
    with pytest.raises(TicketNotFound):
        await jira.fetch("SUP-404")
    with pytest.raises(TicketNotFound):
        await jira.add_note("DEV-9", "no customer request to comment on")
    for typed in ("../field", "SUP-1/comment", "sup-1", "SUP-1?x=1", ""):
        with pytest.raises(TicketNotFound):
            await jira.fetch(typed)
    assert all(c.path.startswith(("/rest/api/3/", "/rest/servicedeskapi/request/DEV-9")) for c in fake.calls)


async def test_a_rate_limit_says_how_long_to_wait(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue("SUP-123", "Export fails")
    fake.fail(times=1, status=429, retry_after=17)
    with pytest.raises(TicketSystemDown) as limited:
        await jira.add_note("SUP-123", "note")
    assert limited.value.retry_after == 17

    fake.fail(times=1, status=429)
    with pytest.raises(TicketSystemDown) as unsaid:
        await jira.fetch("SUP-123")
    assert unsaid.value.retry_after == 60
    assert fake.notes("SUP-123") == []


async def test_an_outage_or_refused_credentials_may_pass(fake: FakeJira, jira: Jira) -> None:
    fake.add_issue("SUP-123", "Export fails")
    fake.down = True
    with pytest.raises(TicketSystemDown) as outage:
        await jira.fetch("SUP-123")
    assert outage.value.retry_after is None
    fake.down = False

    wrong = Jira(fake.url, fake.email, "not-the-token", timeout=5)
    try:
        with pytest.raises(TicketSystemDown):
            await wrong.fetch("SUP-123")
    finally:
        await wrong.close()

    nobody = Jira("http://127.0.0.1:9", fake.email, fake.token, timeout=2)
    try:
        with pytest.raises(TicketSystemDown):
            await nobody.add_note("SUP-123", "note")
    finally:
        await nobody.close()


async def test_a_requests_satisfaction_rating_is_good_when_satisfied_and_bad_otherwise(
    fake: FakeJira, jira: Jira
) -> None:
    fake.add_issue("SUP-123", "ACME cannot export invoices")
    assert await jira.rating("SUP-123") is None  # no feedback yet: JSM answers 404

    # 4 and 5 are satisfied; 3 is not: the share good stays the usual CSAT % (satisfied of all answers).
    for stars, word in ((5, "good"), (4, "good"), (3, "bad"), (2, "bad"), (1, "bad")):
        fake.rate("SUP-123", stars, comment="Thanks!")
        assert await jira.rating("SUP-123") == word, stars
    fake.rate("SUP-123", 7)  # no rating the spec allows
    assert await jira.rating("SUP-123") is None
    assert {(c.method, c.path) for c in fake.calls} == {("GET", "/rest/servicedeskapi/request/SUP-123/feedback")}

    with pytest.raises(TicketNotFound):
        await jira.rating("../../rest/api/3/myself")  # no key: never reaches a URL
    fake.fail(times=1, status=429, retry_after=120)
    with pytest.raises(TicketSystemDown) as wait:
        await jira.rating("SUP-123")  # not waited out here: the tickets job asks again later
    assert wait.value.retry_after == 120


def test_only_urls_of_its_own_site_are_its_requests() -> None:
    real = Jira("https://acme.atlassian.net/", "a@b.c", "t")
    assert real.accepts(None) and real.accepts("acme.atlassian.net")
    assert not real.accepts("globex.atlassian.net")
    assert Jira("http://127.0.0.1:8080", "a@b.c", "t").accepts("acme.atlassian.net")
    assert real.url("SUP-123") == "https://acme.atlassian.net/browse/SUP-123"


def test_rich_text_becomes_its_words() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Export"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "5b10", "text": "@Ana Ruiz"}},
                    {"type": "text", "text": " it fails "},
                    {"type": "emoji", "attrs": {"shortName": ":cry:", "text": "😢"}},
                ],
            },
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "PDF"}]}]},
            ]},
            {"type": "codeBlock", "content": [{"type": "text", "text": "HTTP 500"}]},
            {"type": "mystery", "content": [{"type": "text", "text": "still read"}]},
        ],
    }  # fmt: skip

    assert plain_text(document) == "Export\n@Ana Ruiz it fails 😢\nPDF\nHTTP 500\nstill read"
    assert plain_text("wiki *text* as it is ") == "wiki *text* as it is"
    assert plain_text(None) == plain_text(42) == plain_text({"type": "doc"}) == ""
    deep: dict[str, object] = {"type": "text", "text": "deep"}
    for _ in range(500):
        deep = {"type": "paragraph", "content": [deep]}
    assert plain_text(deep) == ""  # no recursion error: what is that deep is no document Jira wrote


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.sampled_from(["text", "paragraph", "doc"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["type", "text", "content", "attrs"]), inner)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(document=_JSON)
def test_any_rich_text_is_read_and_never_an_error(document: object) -> None:
    assert isinstance(plain_text(document), str)


def test_jira_is_set_up_with_its_three_settings_or_not_at_all() -> None:
    def configured(**jira: str) -> Settings:
        return Settings(_env_file=None, SWARM_DATABASE_URL="sqlite://", **jira)  # type: ignore[call-arg]

    whole = {"JIRA_URL": "https://acme.atlassian.net", "JIRA_EMAIL": "bot@acme.example", "JIRA_API_TOKEN": "token"}
    [found] = systems(configured(**whole)).items()
    assert found[0] == "jsm" and isinstance(found[1], Jira) and found[1].base == "https://acme.atlassian.net"
    assert systems(configured()) == {}
    with pytest.raises(ValidationError, match="JIRA_URL, JIRA_EMAIL and JIRA_API_TOKEN go together"):
        configured(JIRA_URL="https://acme.atlassian.net", JIRA_EMAIL="bot@acme.example")
    with pytest.raises(ValidationError, match="is no address"):
        configured(**{**whole, "JIRA_URL": "acme.atlassian.net"})
