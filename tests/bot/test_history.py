"""Cold start: `History.import_cases` on the real store, and the pure row validation behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core import Core
from bot.errors import UserError
from bot.expertise import WEIGHTS, evidence_from
from bot.history import History, HistoryInterrupted, case_from_row, name_from_email
from bot.models import MAX_CASE_CHARS, EventKind, Person, Role, SwarmStatus
from bot.ports import UnitOfWork
from storage.database import SqlStore

WS = "console"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def row(case_id: str = "HD-1", **fields: str) -> dict[str, str]:
    values = {
        "case_id": case_id,
        "title": "ACME cannot export invoices to PDF",
        "description": "Since 4.2 the export button spins forever.",
        "tags": "billing;pdf",
        "resolver_email": "chloe@example.com",
        "participant_emails": "isabel@example.com;new.person@example.com",
        "opened_at": "2026-03-02T09:00:00Z",
        "resolved_at": "2026-03-02T15:30:00Z",
        "resolution": "Cleared the stale PDF template cache after the 4.2 upgrade.",
    }
    values.update(fields)
    return values


@pytest.fixture
async def core(store: SqlStore) -> Core:
    core = Core.build(store, clock=clock)
    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        await uow.people.add(Person(ws.id, "Chloe Martin", email="chloe@example.com", skills={"pdf": 5}))
        await uow.people.add(Person(ws.id, "Isabel García", email="isabel@example.com"))
        await uow.commit()
    return core


async def counts(store: SqlStore) -> dict[str, int]:
    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        swarms = await uow.swarms.list(ws.id)
        articles = [await uow.articles.by_swarm(s.id) for s in swarms if s.id is not None]
        return {
            "swarms": len(swarms),
            "articles": sum(a is not None for a in articles),
            "people": len(await uow.people.list(ws.id)),
            "entries": sum([len(await uow.swarms.timeline(s.id)) for s in swarms if s.id is not None]),
        }


# -- importing ----------------------------------------------------------------------------------------------------


async def test_a_case_becomes_a_resolved_swarm_with_members_timeline_and_article(core: Core, store: SqlStore) -> None:
    report = await core.history.import_cases(WS, [(2, row())])

    assert report.added == ["HD-1"] and report.skipped_existing == [] and report.rejected == []
    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        swarm = await uow.swarms.by_external_id(ws.id, "HD-1")
        assert swarm is not None and swarm.id is not None
        chloe = await uow.people.by_email(ws.id, "chloe@example.com")
        isabel = await uow.people.by_email(ws.id, "isabel@example.com")
        new = await uow.people.by_email(ws.id, "new.person@example.com")
        assert chloe is not None and isabel is not None and new is not None
        assert swarm.status is SwarmStatus.RESOLVED and swarm.number == 1
        assert swarm.case.text == "ACME cannot export invoices to PDF — Since 4.2 the export button spins forever."
        assert swarm.case.tags == swarm.skills == ("billing", "pdf")
        assert swarm.owner_id == chloe.id and swarm.origin_channel == "history"
        assert swarm.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert swarm.resolved_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
        assert swarm.resolution == "Cleared the stale PDF template cache after the 4.2 upgrade."

        # Someone the roster did not know is added by e-mail, named after it, with no skills of their own.
        assert new.name == "New Person" and new.skills == {}
        assert chloe.skills == {"pdf": 5}  # known people are found, not changed

        assert chloe.id is not None and isabel.id is not None and new.id is not None
        members = {m.person_id: m for m in await uow.swarms.members(swarm.id)}
        assert members[chloe.id].role is Role.OWNER
        assert members[isabel.id].role is Role.HELPER and members[new.id].role is Role.HELPER
        assert all(m.joined_at == swarm.created_at for m in members.values())

        timeline = await uow.swarms.timeline(swarm.id)
        kinds = [e.kind for e in timeline]
        assert kinds[0] is EventKind.OPENED and kinds[-1] is EventKind.RESOLVED
        assert kinds.count(EventKind.MESSAGE) == 3 and kinds.count(EventKind.SOLUTION) == 1
        fix = await uow.swarms.entry_by_message(swarm.id, "history:HD-1:fix")
        assert fix is not None and fix.person_id == chloe.id and fix.text == swarm.resolution
        message_ids = [e.message_id for e in timeline if e.message_id]
        assert len(message_ids) == len(set(message_ids))

        article = await uow.articles.by_swarm(swarm.id)
        assert article is not None
        assert article.title == "ACME cannot export invoices to PDF"
        assert article.resolution == swarm.resolution and article.cause == ""
        assert article.tags == ["billing", "pdf"]
        assert article.contributors == ["Chloe Martin", "Isabel García", "New Person"]
        assert article.number == 1
        assert article.created_at == article.updated_at == swarm.resolved_at


async def test_importing_the_same_file_again_changes_nothing(core: Core, store: SqlStore) -> None:
    rows = [(2, row("HD-1")), (3, row("HD-2", resolver_email="zed@example.com")), (4, row("HD-3"))]
    first = await core.history.import_cases(WS, rows)
    before = await counts(store)

    again = await core.history.import_cases(WS, rows)

    assert first.added == ["HD-1", "HD-2", "HD-3"]
    assert again.added == [] and again.skipped_existing == ["HD-1", "HD-2", "HD-3"] and again.rejected == []
    assert await counts(store) == before == {"swarms": 3, "articles": 3, "people": 4, "entries": 18}
    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        # The counters did not move either: the next swarm and article are number 4.
        assert await uow.workspaces.next_swarm_number(ws.id) == 4
        assert await uow.workspaces.next_article_number(ws.id) == 4


async def test_a_case_id_twice_in_one_file_is_imported_once(core: Core) -> None:
    report = await core.history.import_cases(WS, [(2, row("HD-1")), (3, row("HD-1", title="Another title"))])

    assert report.added == ["HD-1"] and report.skipped_existing == ["HD-1"]


async def test_bad_rows_are_reported_by_line_and_leave_nothing_behind(core: Core, store: SqlStore) -> None:
    # Each bad row names someone new, so a half-written row would show up as an extra person.
    bad = {
        3: row("", participant_emails="a@example.com"),
        4: row("HD-B1", title="", description="", participant_emails="b@example.com"),
        5: row("HD-B2", resolver_email="not-an-email", participant_emails="c@example.com"),
        6: row("HD-B3", participant_emails="d@example.com;oops"),
        7: row("HD-B4", opened_at="yesterday", participant_emails="e@example.com"),
        8: row("HD-B5", resolved_at="2026-03-01T09:00:00Z", participant_emails="f@example.com"),
        9: row("HD-B6", resolution="  ", participant_emails="g@example.com"),
        10: row("HD-B7", resolved_at="2027-01-01", participant_emails="h@example.com"),
        11: row("HD-B8", resolver_email="", participant_emails="i@example.com"),
        12: row("HD-B9", resolved_at="", participant_emails="j@example.com"),
    }
    rows = [(2, row("HD-1", participant_emails="")), *bad.items(), (13, row("HD-2", participant_emails=""))]

    report = await core.history.import_cases(WS, rows)

    assert report.added == ["HD-1", "HD-2"]
    assert [(r.line, r.error.reason) for r in report.rejected] == [
        (3, "history_missing_case_id"),
        (4, "history_missing_text"),
        (5, "history_bad_email"),
        (6, "history_bad_email"),
        (7, "history_bad_date"),
        (8, "history_dates_reversed"),
        (9, "history_missing_resolution"),
        (10, "history_future_date"),
        (11, "history_missing_resolver"),
        (12, "history_missing_date"),
    ]
    assert report.rejected[2].error.details["value"] == "not-an-email"
    assert report.rejected[3].error.details == {"field": "participant_emails", "value": "oops", "case_id": "HD-B3"}
    assert report.rejected[4].error.details["field"] == "opened_at"
    assert await counts(store) == {"swarms": 2, "articles": 2, "people": 2, "entries": 8}


class _FailingArticles:
    """The real article repository, except that linking the nth article fails as a database error would."""

    def __init__(self, real: Any, fail_on: int) -> None:
        self._real, self._fail_on, self._calls = real, fail_on, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def link(self, swarm_id: int, article_id: int, kind: str) -> None:
        self._calls += 1
        if self._calls == self._fail_on:
            raise RuntimeError("connection reset by peer")
        await self._real.link(swarm_id, article_id, kind)


class _FailingStore:
    def __init__(self, store: SqlStore, fail_on: int) -> None:
        self._store, self._fail_on = store, fail_on

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        async with self._store.unit() as uow:
            uow.articles = _FailingArticles(uow.articles, self._fail_on)
            yield uow


async def test_a_failure_while_saving_keeps_the_cases_before_it_whole(core: Core, store: SqlStore) -> None:
    rows = [(2, row("HD-1")), (3, row("HD-2", resolver_email="zed@example.com")), (4, row("HD-3"))]

    with pytest.raises(HistoryInterrupted) as failed:
        await History(_FailingStore(store, fail_on=2), clock).import_cases(WS, rows)

    assert failed.value.line == 3 and failed.value.report.added == ["HD-1"]
    assert isinstance(failed.value.__cause__, RuntimeError)
    # HD-2 was written up to its article link, then rolled back whole: no swarm, no article, no Zed.
    assert await counts(store) == {"swarms": 1, "articles": 1, "people": 3, "entries": 6}

    # Running the same import again carries on where it stopped.
    report = await core.history.import_cases(WS, rows)
    assert report.added == ["HD-2", "HD-3"] and report.skipped_existing == ["HD-1"]


async def test_imported_history_is_evidence_of_expertise(core: Core, store: SqlStore) -> None:
    await core.history.import_cases(WS, [(2, row())])

    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        history = await uow.swarms.resolved_history(ws.id)
        chloe = await uow.people.by_email(ws.id, "chloe@example.com")
        isabel = await uow.people.by_email(ws.id, "isabel@example.com")
    assert chloe is not None and chloe.id is not None and isabel is not None and isabel.id is not None
    [(swarm, timeline)] = history
    evidence = {e.person_id: e for e in evidence_from(swarm, timeline)}

    resolver = evidence[chloe.id]
    assert resolver.skills == ("billing", "pdf")
    # The resolver also opened it (the requester): credited for the fix they wrote, not for asking or resolving.
    assert resolver.weight == WEIGHTS["solution"]
    assert resolver.at == swarm.resolved_at
    assert evidence[isabel.id].weight == WEIGHTS["speaker"]


async def test_the_matcher_sees_imported_expertise_at_once(core: Core) -> None:
    before = await core.swarms.experts(WS, "SAML login loops back to the sign-in page #sso")
    assert "Nina Olsen" not in [m.person.name for m in before.matches]

    rows = [
        (n + 2, row(f"HD-{n}", tags="sso;saml", resolver_email="nina.olsen@example.com", participant_emails=""))
        for n in range(3)
    ]
    await core.history.import_cases(WS, rows)

    after = await core.swarms.experts(WS, "SAML login loops back to the sign-in page #sso")
    assert "Nina Olsen" in [m.person.name for m in after.matches]


async def test_imported_articles_are_found_by_search(core: Core, store: SqlStore) -> None:
    await core.history.import_cases(
        WS,
        [
            (2, row("HD-1")),
            (3, row("HD-2", title="Okta users cannot be deprovisioned", description="", tags="sso", resolution="x")),
        ],
    )

    async with store.unit() as uow:
        ws = await uow.workspaces.ensure(WS)
        hits = await uow.articles.search(ws.id, "template cache")
        okta = await uow.articles.search(ws.id, "okta deprovisioned")
    assert [h.article.title for h in hits] == ["ACME cannot export invoices to PDF"]
    assert [h.article.title for h in okta] == ["Okta users cannot be deprovisioned"]


# -- one row ------------------------------------------------------------------------------------------------------


def test_dates_without_a_timezone_are_utc_and_offsets_are_converted() -> None:
    past = case_from_row(row(opened_at="2026-03-02", resolved_at="2026-03-02T10:30:00+01:00"))

    assert past.opened_at == datetime(2026, 3, 2, tzinfo=UTC)
    assert past.resolved_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_case_resolved_when_it_opened_is_fine() -> None:
    past = case_from_row(row(opened_at="2026-03-02T09:00", resolved_at="2026-03-02T09:00"), NOW)

    assert past.resolved_at - past.opened_at == timedelta(0)


def test_tags_split_on_semicolons_commas_and_spaces_and_are_normalised() -> None:
    past = case_from_row(row(tags="#Billing, PDF;single_sign_on  billing ;"))

    assert past.case.tags == ("billing", "pdf", "single-sign-on")


def test_participants_are_deduplicated_and_never_the_resolver() -> None:
    past = case_from_row(row(participant_emails="Chloe@Example.com; isabel@example.com,isabel@example.com;;"))

    assert past.participant_emails == ("isabel@example.com",)


def test_title_or_description_alone_is_enough_and_a_long_case_is_trimmed() -> None:
    assert case_from_row(row(title="", description="Only a description")).case.text == "Only a description"
    assert case_from_row(row(description="")).case.text == "ACME cannot export invoices to PDF"

    long = case_from_row(row(description="word " * 1000)).case.text
    assert len(long) <= MAX_CASE_CHARS and long.endswith("…")


def test_headers_as_a_spreadsheet_writes_them_are_understood() -> None:
    fields = {" Case ID ": "HD-9", "Resolver Email": "chloe@example.com"}
    past = case_from_row({**{k: v for k, v in row().items() if k not in ("case_id", "resolver_email")}, **fields})

    assert past.case_id == "HD-9" and past.resolver_email == "chloe@example.com"


def test_a_bad_row_says_which_field_is_wrong() -> None:
    with pytest.raises(UserError) as bad:
        case_from_row(row(resolved_at="14/03/2026"))

    assert bad.value.reason == "history_bad_date"
    assert bad.value.details == {"field": "resolved_at", "value": "14/03/2026", "case_id": "HD-1"}


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("jane.doe@example.com", "Jane Doe"),
        ("jane_doe+zendesk@example.com", "Jane Doe"),
        ("o-brien@example.com", "O Brien"),
        ("ana@example.com", "Ana"),
    ],
)
def test_names_of_people_the_roster_does_not_know_come_from_their_email(email: str, name: str) -> None:
    assert name_from_email(email) == name
