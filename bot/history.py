"""Cold start: past resolved cases from a help desk, imported as resolved swarms with their articles.

Each case becomes what a swarm resolved in Swarm would have left behind: the resolver as owner and author of the fix,
the participants as helpers who spoke in the room, a ✅ on the fix and an article. So learned expertise
(bot.expertise.evidence_from) and the knowledge base are useful on the first day.

A row is validated whole before anything of it is written, and every imported case is committed on its own, so a
bad row is reported and skipped, a case is never half-written, and importing the same file again adds nothing:
a case whose help-desk id is known is left as it is.

The same rows come from a ticket system's export (`import_tickets`, a TicketHistory): each solved ticket is a row
(case id `zd:4521`), so the same checks and the same dedupe apply; a ticket a swarm was opened from is skipped (that
swarm left its own article). The export's cursor is kept after each page, per workspace and system, so an import
that stops (Ctrl-C, the system down) carries on from there when run again with the same first day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot import knowledge
from bot.context import Clock, utcnow
from bot.errors import TicketSystemDown, UserError
from bot.indexes import IndexCache
from bot.models import (
    MAX_CASE_CHARS,
    Case,
    EventKind,
    HistoryCursor,
    Member,
    Person,
    Role,
    SolvedTicket,
    Swarm,
    SwarmStatus,
    TimelineEntry,
    Via,
)
from bot.people import RejectedRow
from bot.ports import Store, TicketHistory, UnitOfWork
from bot.text import normalize_skill

# The CSV columns, in order (a help desk export); other columns are ignored.
HISTORY_COLUMNS = (
    "case_id",
    "title",
    "description",
    "tags",
    "resolver_email",
    "participant_emails",
    "opened_at",
    "resolved_at",
    "resolution",
)
# A swarm's origin channel says where it came from; imported ones were never in a chat channel.
ORIGIN = "history"
# Title and description are joined by this into the case text.
TEXT_SEPARATOR = " — "

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_TAG_SEPARATORS = re.compile(r"[;,\s]+")
_EMAIL_SEPARATORS = re.compile(r"[;,]")
_NAME_SEPARATORS = re.compile(r"[._\-]+")


@dataclass(frozen=True)
class PastCase:
    """One valid row: everything needed to write the case, checked before anything is written."""

    case_id: str
    title: str
    case: Case
    resolver_email: str
    participant_emails: tuple[str, ...]
    opened_at: datetime
    resolved_at: datetime
    resolution: str


@dataclass
class HistoryReport:
    added: list[str] = field(default_factory=list)  # case ids
    skipped_existing: list[str] = field(default_factory=list)  # case ids imported before
    rejected: list[RejectedRow] = field(default_factory=list)


class HistoryInterrupted(Exception):
    """Saving the case on `line` failed (the database, not the row): the cases before it are imported, it is not.

    Importing the same file again carries on from there, since the cases already imported are skipped.
    """

    def __init__(self, line: int, report: HistoryReport) -> None:
        super().__init__(f"importing the case on line {line} failed")
        self.line = line
        self.report = report


class History:
    def __init__(self, store: Store, clock: Clock = utcnow, indexes: IndexCache | None = None) -> None:
        self.store = store
        self.clock = clock
        self.indexes = indexes or IndexCache()

    async def import_cases(self, workspace: str, rows: Sequence[tuple[int, Mapping[str, str]]]) -> HistoryReport:
        """Adds each valid row as a resolved swarm with its article; known case ids are skipped, bad rows reported."""
        report = HistoryReport()
        now = self.clock()
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            await uow.commit()
            try:
                await self._import(uow, ws.id, rows, now, report)
            finally:
                if report.added:
                    # New evidence of who knows what: the matcher's next ranking must see it.
                    self.indexes.invalidate(ws.id)
        return report

    async def import_tickets(
        self,
        workspace: str,
        system: str,
        source: TicketHistory,
        since: datetime,
        progress: Callable[[HistoryReport], None] | None = None,
    ) -> HistoryReport:
        """Adds the tickets solved since `since` in `system` (`zd`, …) as resolved swarms with their articles, page by
        page; after each page, its cursor is kept, and `progress` hears the report so far. A re-run with the same
        `since` starts from the cursor kept; another `since` starts afresh. HistoryInterrupted when the system
        fails or a case cannot be saved: the pages before are imported, and a re-run carries on."""
        report = HistoryReport()
        now = self.clock()
        read = 0
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            kept = await uow.history_cursors.get(ws.id, system)
            await uow.commit()
            cursor = kept.cursor if kept is not None and kept.since == since else None

            async def known(ticket_id: str) -> bool:
                """Imported before, or the ticket of a swarm (which left its own article)."""
                imported = await uow.swarms.by_external_id(ws.id, f"{system}:{ticket_id}")
                return imported is not None or bool(await uow.swarms.by_ticket(ws.id, system, ticket_id))

            try:
                async for page in source.solved(since, cursor, known):
                    read += len(page.known)
                    report.skipped_existing += [f"{system}:{ticket_id}" for ticket_id in page.known]
                    rows: list[tuple[int, Mapping[str, str]]] = []
                    for ticket in page.tickets:
                        read += 1
                        rows.append((read, row_from_ticket(ticket)))
                    await self._import(uow, ws.id, rows, now, report)
                    await uow.history_cursors.keep(HistoryCursor(ws.id, system, since, page.cursor), self.clock())
                    await uow.commit()
                    if progress is not None:
                        progress(report)
            except TicketSystemDown as down:
                raise HistoryInterrupted(read, report) from down
            finally:
                if report.added:
                    self.indexes.invalidate(ws.id)
        return report

    async def _import(
        self,
        uow: UnitOfWork,
        workspace_id: int,
        rows: Sequence[tuple[int, Mapping[str, str]]],
        now: datetime,
        report: HistoryReport,
    ) -> None:
        for line, row in rows:
            try:
                past = case_from_row(row, now)
            except UserError as error:
                report.rejected.append(RejectedRow(line, error))
                continue
            try:
                if await uow.swarms.by_external_id(workspace_id, past.case_id) is not None:
                    report.skipped_existing.append(past.case_id)
                    continue
                await _write(uow, workspace_id, past)
                # One transaction per case: a long import never holds the workspace's counters for long.
                await uow.commit()
            except Exception as error:
                raise HistoryInterrupted(line, report) from error
            report.added.append(past.case_id)


def case_from_row(row: Mapping[str, str], now: datetime | None = None) -> PastCase:
    """One help-desk row as a PastCase, or a UserError naming what is wrong with it. Writes nothing.

    Dates are ISO 8601 (`2025-03-14`, `2025-03-14T09:30`, `2025-03-14T09:30:00+01:00`); without a timezone they are
    UTC. Dates after `now` are refused: this is history.
    """
    fields = {"_".join(str(k).strip().lower().split()): _clean(v) for k, v in row.items() if k is not None}

    case_id = fields.get("case_id", "")
    if not case_id:
        raise UserError("history_missing_case_id", field="case_id", value="")

    title = " ".join(fields.get("title", "").split())
    description = fields.get("description", "")
    if not title and not description:
        raise UserError("history_missing_text", field="title", value="", case_id=case_id)

    resolver = fields.get("resolver_email", "")
    if not resolver:
        raise UserError("history_missing_resolver", field="resolver_email", value="", case_id=case_id)
    if not _EMAIL.fullmatch(resolver):
        raise UserError("history_bad_email", field="resolver_email", value=resolver, case_id=case_id)

    participants: list[str] = []
    seen = {resolver.lower()}
    for email in (e.strip() for e in _EMAIL_SEPARATORS.split(fields.get("participant_emails", ""))):
        if not email:
            continue
        if not _EMAIL.fullmatch(email):
            raise UserError("history_bad_email", field="participant_emails", value=email, case_id=case_id)
        if email.lower() not in seen:
            seen.add(email.lower())
            participants.append(email)

    opened_at = _date(fields, "opened_at", case_id)
    resolved_at = _date(fields, "resolved_at", case_id)
    if resolved_at < opened_at:
        raise UserError(
            "history_dates_reversed",
            field="resolved_at",
            value=fields["resolved_at"],
            opened_at=fields["opened_at"],
            case_id=case_id,
        )
    if now is not None and resolved_at > now:
        raise UserError("history_future_date", field="resolved_at", value=fields["resolved_at"], case_id=case_id)

    resolution = fields.get("resolution", "")
    if not resolution:
        raise UserError("history_missing_resolution", field="resolution", value="", case_id=case_id)

    tags = tuple(dict.fromkeys(t for t in map(normalize_skill, _TAG_SEPARATORS.split(fields.get("tags", ""))) if t))
    return PastCase(
        case_id=case_id,
        title=title,
        case=Case(text=_case_text(title, description), tags=tags),
        resolver_email=resolver,
        participant_emails=tuple(participants),
        opened_at=opened_at,
        resolved_at=resolved_at,
        resolution=resolution,
    )


def row_from_ticket(ticket: SolvedTicket) -> dict[str, str]:
    """A solved ticket as a help-desk row: its subject and first comment, tags, who solved it with the comment that
    solved it, the other agents who commented."""

    def moment(value: datetime | None) -> str:
        return value.isoformat() if value is not None else ""

    return {
        "case_id": f"{ticket.system}:{ticket.id}",
        "title": ticket.subject,
        "description": ticket.description,
        "tags": " ".join(ticket.tags),
        "resolver_email": ticket.assignee_email or "",
        "participant_emails": ";".join(ticket.participant_emails),
        "opened_at": moment(ticket.created_at),
        "resolved_at": moment(ticket.solved_at),
        "resolution": ticket.solution,
    }


def name_from_email(email: str) -> str:
    """A readable name for someone the roster does not know: "jane.doe+zd@example.com" → "Jane Doe"."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [w for w in _NAME_SEPARATORS.split(local) if w]
    return " ".join(w.capitalize() for w in words) or local or email


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def _date(fields: Mapping[str, str], name: str, case_id: str) -> datetime:
    raw = fields.get(name, "")
    if not raw:
        raise UserError("history_missing_date", field=name, value="", case_id=case_id)
    try:
        # Python 3.11 reads every ISO 8601 form a spreadsheet writes, `Z` included.
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UserError("history_bad_date", field=name, value=raw, case_id=case_id) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _case_text(title: str, description: str) -> str:
    text = TEXT_SEPARATOR.join(part for part in (title, description) if part)
    if len(text) <= MAX_CASE_CHARS:
        return text
    return knowledge.title_for(text, MAX_CASE_CHARS)


async def _person(uow: UnitOfWork, workspace_id: int, email: str) -> Person:
    person = await uow.people.by_email(workspace_id, email)
    if person is None:
        person = await uow.people.add(Person(workspace_id=workspace_id, name=name_from_email(email), email=email))
    return person


async def _write(uow: UnitOfWork, workspace_id: int, past: PastCase) -> None:
    """The case as a resolved swarm: members, a timeline that credits the resolver's fix, and its article."""
    resolver = await _person(uow, workspace_id, past.resolver_email)
    helpers: list[Person] = []
    for email in past.participant_emails:
        person = await _person(uow, workspace_id, email)
        if person.id != resolver.id and all(person.id != h.id for h in helpers):
            helpers.append(person)
    assert resolver.id is not None
    swarm = await uow.swarms.add(
        Swarm(
            workspace_id=workspace_id,
            number=await uow.workspaces.next_swarm_number(workspace_id),
            case=past.case,
            owner_id=resolver.id,
            origin_channel=ORIGIN,
            status=SwarmStatus.RESOLVED,
            created_at=past.opened_at,
            resolved_at=past.resolved_at,
            resolution=past.resolution,
            skills=past.case.tags,
            external_id=past.case_id,
        )
    )
    assert swarm.id is not None
    opened, resolved, fix = past.opened_at, past.resolved_at, f"history:{past.case_id}:fix"
    await uow.swarms.save_member(
        Member(swarm.id, resolver.id, Role.OWNER, Via.COMMAND, invited_at=opened, joined_at=opened)
    )
    for helper in helpers:
        assert helper.id is not None
        await uow.swarms.save_member(
            Member(swarm.id, helper.id, Role.HELPER, Via.INVITE, invited_at=opened, joined_at=opened)
        )
    entries = [TimelineEntry(swarm.id, EventKind.OPENED, opened, resolver.id, past.case.text)]
    entries += [
        TimelineEntry(swarm.id, EventKind.MESSAGE, opened, helper.id, "", f"history:{past.case_id}:helper:{n}")
        for n, helper in enumerate(helpers, 1)
    ]
    entries += [
        TimelineEntry(swarm.id, EventKind.MESSAGE, resolved, resolver.id, past.resolution, fix),
        # As Swarms.mark_solution writes a ✅: the mark's id is the message's with a suffix.
        TimelineEntry(swarm.id, EventKind.SOLUTION, resolved, resolver.id, past.resolution, f"{fix}:mark"),
        TimelineEntry(swarm.id, EventKind.RESOLVED, resolved, resolver.id, past.resolution),
    ]
    for entry in entries:
        await uow.swarms.add_entry(entry)

    article = knowledge.draft_article(
        swarm,
        resolution=past.resolution,
        cause="",
        solutions=[],
        contributors=[resolver.name, *(h.name for h in helpers)],
    )
    if past.title:
        # The help desk's title names the case better than its title and description cut to a title's length.
        article.title = knowledge.title_for(past.title)
    article.number = await uow.workspaces.next_article_number(workspace_id)
    article.created_at = article.updated_at = past.resolved_at
    article = await uow.articles.add(article)
    assert article.id is not None
    await uow.articles.link(swarm.id, article.id, "created")
