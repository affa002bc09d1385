"""Tickets: the case's record in the support team's ticket system. The core never knows which system.

- The grammar of a ticket reference, declared once for every system: `zd:4521` or a Zendesk agent URL, `jsm:SUP-123`
  or a Jira Service Management URL, `sf:00001026` or a Salesforce Case URL (`find_ref`, pure).
- A case from a ticket: subject, first comment, the requester's organisation, priority as severity, tags as skills
  (`case_from`, pure).
- The outbox: every internal note for a ticket is kept first, under a key of its own (so it is written once), then
  sent by `send_due`, which never waits: a system that is down, or asks to wait (429 with Retry-After), gets the note
  again later, after a backoff or the wait it asked for. Nothing a swarm does waits for a ticket system.

A system is reached through a `TicketSystem` (bot/ports.py), built by the adapters from the settings.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import text
from bot.context import Clock, utcnow
from bot.errors import TicketNotFound, TicketSystemDown, UserError
from bot.models import DEFAULT_SEVERITY, MAX_CASE_CHARS, SEVERITIES, Case, Swarm, Ticket, TicketLink, TicketNote
from bot.ports import Store, TicketAccounts, TicketSystem

log = logging.getLogger(__name__)

ZENDESK, JSM, SALESFORCE = "zd", "jsm", "sf"
# What each system is called where people read it.
SYSTEM_NAMES = {ZENDESK: "Zendesk", JSM: "Jira Service Management", SALESFORCE: "Salesforce"}

_SF_ID = r"500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?"  # a Case record id: key prefix 500, 15 or 18 characters
_JIRA_KEY = r"[A-Za-z][A-Za-z0-9_]+-\d+"
# Each system's forms: a short reference and the URLs agents copy from their browser. A URL may come wrapped as Slack
# sends links (`<https://…>` or `<https://…|label>`). The first group is the id; `host`, when a URL, is named.
_FORMS: dict[str, tuple[str, ...]] = {
    ZENDESK: (
        r"zd:(\d{1,18})",
        r"https?://(?P<host>[A-Za-z0-9-]+\.zendesk\.com)/agent/tickets/(\d{1,18})",
        r"https?://(?P<host>[A-Za-z0-9-]+\.zendesk\.com)/(?:hc/[\w-]+/)?requests/(\d{1,18})",
    ),
    JSM: (
        rf"jsm:({_JIRA_KEY})",
        rf"https?://(?P<host>[A-Za-z0-9-]+\.atlassian\.net)/(?:browse/|servicedesk/customer/portal/\d+/"
        rf"|jira/servicedesk/projects/[A-Za-z0-9_]+/(?:queues/[\w/]+?/|issues/))({_JIRA_KEY})",
        rf"https?://(?P<host>[A-Za-z0-9-]+\.atlassian\.net)/[^\s?>|]*\?(?:[^\s>|]*&)?selectedIssue=({_JIRA_KEY})",
    ),
    SALESFORCE: (
        rf"sf:(\d{{8,10}}|{_SF_ID})",
        rf"https?://(?P<host>[A-Za-z0-9.-]+\.(?:force|salesforce)\.com)/lightning/r/Case/({_SF_ID})(?:/view)?",
        rf"https?://(?P<host>[A-Za-z0-9-]+\.my\.salesforce\.com)/({_SF_ID})",
    ),
}
_TAIL = r"""(?:[^\s<>|]*)"""  # the rest of a URL (`/view`, `?…`): part of the reference, not of the case


def _compile(system: str, form: str) -> re.Pattern[str]:
    url = form.startswith("https")
    body = rf"<?{form}{_TAIL}(?:\|[^>]*)?>?" if url else form
    return re.compile(rf"(?<![\w:/.-]){body}(?![\w-])", re.IGNORECASE)


_PATTERNS = [(system, _compile(system, form)) for system, forms in _FORMS.items() for form in forms]
_TRAILING = ",.;:!?)"
_EMPTY_BRACKETS = re.compile(r"[(\[]\s*\0\s*[)\]]")  # `(zd:12)` leaves no `()` behind


@dataclass(frozen=True)
class TicketRef:
    """A ticket named in what someone typed: its system, its id there, and the host of the URL it came as."""

    system: str
    id: str
    host: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}:{self.id}"


def find_ref(typed: str) -> tuple[TicketRef, str] | None:
    """The first ticket reference in `typed` and the words around it (the reference taken out), or None.

    `zd:4521 export fails` → (zd:4521, "export fails"); `https://acme.zendesk.com/agent/tickets/4521` → zd:4521 from
    host acme.zendesk.com; `jsm:sup-123` → jsm:SUP-123; `sf:00001026` → sf:00001026."""
    found: tuple[int, re.Match[str], str] | None = None
    for system, pattern in _PATTERNS:
        match = pattern.search(typed)
        if match is not None and (found is None or match.start() < found[0]):
            found = (match.start(), match, system)
    if found is None:
        return None
    _, match, system = found
    ticket_id = next(g for i, g in enumerate(match.groups(), 1) if g is not None and i != _host_index(match))
    if system == JSM:
        ticket_id = ticket_id.upper()
    host = match.groupdict().get("host")
    rest = _EMPTY_BRACKETS.sub(" ", f"{typed[: match.start()]}\0{typed[match.end() :]}").replace("\0", " ")
    return TicketRef(system, ticket_id, host.lower() if host else None), " ".join(rest.split()).strip(_TRAILING + " (")


def _host_index(match: re.Match[str]) -> int:
    return match.re.groupindex.get("host", 0)


def mentions_ticket(typed: str) -> bool:
    return find_ref(typed) is not None


# Priority names of the three systems, lowercase, and the severity each opens at; SWARM_TICKET_SEVERITY changes it.
DEFAULT_SEVERITIES: dict[str, int] = {
    "urgent": 1,
    "highest": 1,
    "critical": 1,
    "high": 2,
    "normal": 3,
    "medium": 3,
    "low": 4,
    "lowest": 4,
}


def parse_severities(spec: str) -> dict[str, int]:
    """`urgent=1, high=2, normal=3, low=4` → a mapping from priority (lowercase) to severity; ValueError if bad."""
    table: dict[str, int] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        name, equals, level = item.partition("=")
        level = level.strip().lower().removeprefix("sev")
        if not equals or not name.strip() or not level.isdecimal() or int(level) not in SEVERITIES:
            raise ValueError(f"{item.strip()!r} is not PRIORITY=SEVERITY (severity 1 to 4)")
        table[name.strip().lower()] = int(level)
    return table


DESCRIPTION_CHARS = 2000  # the first comment kept with the case; the ticket has the whole of it


def case_from(ticket: Ticket, typed: str, severities: Mapping[str, int]) -> Case:
    """The case a ticket opens: its subject (then any words typed beside the reference), its first comment, the
    requester's organisation as customer, its priority as severity, its tags as skills. What was typed wins: `sev1`,
    `customer:`, `#tags` (added to the ticket's)."""
    subject = " ".join(ticket.subject.split()) or f"Ticket {ticket.system}:{ticket.id}"
    words = _typed_case(typed)
    severity = severities.get((ticket.priority or "").strip().lower(), DEFAULT_SEVERITY)
    tags = list(words.tags if words else ())
    for tag in ticket.tags:
        skill = text.normalize_skill(tag)
        if skill and skill not in tags:
            tags.append(skill)
    typed_words = words.text if words else ""
    case_text = f"{subject} — {typed_words}" if typed_words else subject
    description = ticket.description.strip()[:DESCRIPTION_CHARS] or None
    return Case(
        text=case_text[:MAX_CASE_CHARS],
        tags=tuple(tags),
        severity=words.severity if words and _typed_severity(typed) else severity,
        customer=(words.customer if words and words.customer else None) or ticket.organization,
        product=words.product if words else None,
        version=words.version if words else None,
        description=description,
    )


def case_without(ref: TicketRef, typed: str) -> Case:
    """The case when the ticket could not be read (its system is down): what was typed, or the reference alone."""
    words = _typed_case(typed)
    return words or Case(text=f"Ticket {ref.key}")


def _typed_case(typed: str) -> Case | None:
    if not typed.strip():
        return None
    try:
        return text.parse_case(typed)
    except UserError as err:
        if err.reason != "empty_case":
            raise
        # Only #tags, sevN or fields beside the reference: they still count.
        tagged = text.parse_case(typed, tags_alone=True) if "#" in typed else None
        return replace(tagged, text="") if tagged else _fields_only(typed)


def _fields_only(typed: str) -> Case | None:
    try:
        found = text.parse_case(f"{typed} x")
    except UserError:
        return None
    return replace(found, text="")


def _typed_severity(typed: str) -> bool:
    return re.search(r"(?<!\S)sev(?:erity)?[:=-]?\d", typed, re.IGNORECASE) is not None


# -- reading a ticket ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A ticket named in a case: what it says (`ticket`), or None when its system could not be reached."""

    ref: TicketRef
    link: TicketLink
    case: Case
    ticket: Ticket | None = None

    @property
    def unread(self) -> bool:
        return self.ticket is None


# -- the outbox ------------------------------------------------------------------------------------------------------

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)  # the longest wait between two tries: a note is never given up for an outage
CLAIM = timedelta(minutes=2)  # how long a sender holds the notes it took (another process takes them after)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1 min, 2 min … at most an hour."""
    wait: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16)
    return min(wait, LAST_RETRY)


@dataclass(frozen=True)
class Sent:
    """What one round of the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


class Tickets:
    """The ticket systems configured (by short name: `zd`, …), and the outbox of notes for them."""

    def __init__(
        self,
        store: Store,
        systems: Mapping[str, TicketSystem] | None = None,
        severities: Mapping[str, int] | None = None,
        clock: Clock = utcnow,
        accounts: TicketAccounts | None = None,
    ) -> None:
        self.store = store
        self.systems = dict(systems or {})  # set up for every workspace (the environment's settings)
        self.accounts = accounts  # each workspace's own, kept in the database: they win over the shared ones
        self.severities = dict(DEFAULT_SEVERITIES if severities is None else severities)
        self.clock = clock
        # Systems that answered 429, and until when they asked to be left alone: neither a read nor a note goes to
        # them before then (in this process; another one learns it from its own first 429). By the system object:
        # two workspaces' own accounts with the same system rest apart.
        self.resting: dict[int, datetime] = {}

    def _rests(self, system: TicketSystem) -> bool:
        until = self.resting.get(id(system))
        return until is not None and until > self.clock()

    def _rest(self, system: TicketSystem, down: TicketSystemDown) -> timedelta | None:
        """Remembers a 429's Retry-After; returns the wait it asked for (None: it was no 429)."""
        if down.retry_after is None:
            return None
        wait = timedelta(seconds=max(down.retry_after, 1))
        self.resting[id(system)] = max(self.resting.get(id(system), self.clock()), self.clock() + wait)
        return wait

    async def systems_of(
        self, workspace: str | None = None, *, workspace_id: int | None = None
    ) -> dict[str, TicketSystem]:
        """The systems a workspace reaches (by key or id): its own accounts, else those set up for every one."""
        found = dict(self.systems)
        if self.accounts is None:
            return found
        if workspace_id is None and workspace is not None:
            async with self.store.unit() as uow:
                known = await uow.workspaces.get(workspace)
            workspace_id = known.id if known is not None else None
        if workspace_id is not None:
            found.update(await self.accounts.systems(workspace_id))
        return found

    async def read(self, typed: str, workspace: str | None = None) -> Reading | None:
        """The ticket a case names, read from its system, and the case it opens; None when the case names none.

        A ticket its system does not have, or a URL of another account, is the person's to fix (UserError); a system
        that does not answer is not: the case opens from what was typed (`unread`). A reference to a system not set
        up here is words of the case like any other (None)."""
        found = find_ref(typed)
        if found is None:
            return None
        ref, rest = found
        system = (await self.systems_of(workspace)).get(ref.system)
        if system is None:
            return None  # a system not set up here: the reference is words of the case like any other
        if not system.accepts(ref.host):
            raise UserError("ticket_elsewhere", ticket=ref.key, host=ref.host or "")
        unread = Reading(ref, TicketLink(ref.system, ref.id, system.url(ref.id)), case_without(ref, rest))
        if self._rests(system):
            return unread  # it asked to wait (429): it is not asked again before then
        try:
            ticket = await system.fetch(ref.id)
        except TicketNotFound:
            raise UserError("unknown_ticket", ticket=ref.key, system=SYSTEM_NAMES[ref.system]) from None
        except TicketSystemDown as down:
            self._rest(system, down)
            log.warning("%s did not answer for %s (%s): opening from what was typed", ref.system, ref.key, down.reason)
            return unread
        ticket = replace(ticket, url=ticket.url or system.url(ref.id))
        return Reading(ref, ticket.link(), case_from(ticket, rest, self.severities), ticket)

    async def note(self, swarm: Swarm, kind: str, body: str) -> bool:
        """Keeps an internal note for the swarm's ticket in the outbox, once per `kind` (`opened`, `resolved-2`, …);
        False if the swarm has no ticket or the note was kept before."""
        if swarm.ticket is None or swarm.id is None:
            return False
        note = TicketNote(
            workspace_id=swarm.workspace_id,
            key=f"{kind}:{swarm.id}",
            system=swarm.ticket.system,
            ticket_id=swarm.ticket.id,
            body=body,
            swarm_id=swarm.id,
            created_at=self.clock(),
            next_at=self.clock(),
        )
        async with self.store.unit() as uow:
            added = await uow.ticket_notes.add(note)
            await uow.commit()
        return added

    async def send_due(self, workspace: str | None = None, limit: int = 20, *, workspace_id: int | None = None) -> Sent:
        """Sends the notes that are due (of one workspace, by key or id, or of all), each once; never waits for a
        system. A note that fails waits its backoff, or what a 429 asked for; the rest of that system's notes wait
        for the next round."""
        if not self.systems and self.accounts is None:
            return Sent()
        now = self.clock()
        holder = uuid.uuid4().hex
        async with self.store.unit() as uow:
            if workspace is not None:
                found = await uow.workspaces.get(workspace)
                if found is None:
                    return Sent()
                workspace_id = found.id
            notes = await uow.ticket_notes.take(now, holder, now + CLAIM, limit, workspace_id)
            await uow.commit()
        sent = retrying = failed = 0
        done: list[TicketNote] = []
        reached: dict[int, dict[str, TicketSystem]] = {}  # each workspace's systems, looked up once a round
        for note in notes:
            if note.workspace_id not in reached:
                reached[note.workspace_id] = await self.systems_of(workspace_id=note.workspace_id)
            system = reached[note.workspace_id].get(note.system)
            if system is None or self._rests(system):
                # Not tried: its system asked to wait (429), or is not set up here any more (tried in an hour).
                note.next_at = self.resting[id(system)] if system is not None else now + LAST_RETRY
                done.append(note)
                retrying += 1
                continue
            try:
                await system.add_note(note.ticket_id, note.body)
            except TicketNotFound:
                note.failed, note.last_error = "the ticket is gone", "not found"
                failed += 1
            except TicketSystemDown as down:
                note.attempts += 1
                wait = self._rest(system, down) or backoff(note.attempts)
                note.next_at, note.last_error = self.clock() + wait, down.reason[:200]
                retrying += 1
            except Exception as error:  # a bug or an answer we cannot read: tried again, never lost
                log.exception("could not send note %s to %s", note.key, note.system)
                note.attempts += 1
                note.next_at, note.last_error = self.clock() + backoff(note.attempts), type(error).__name__
                retrying += 1
            else:
                note.sent_at = self.clock()
                note.attempts += 1
                sent += 1
            done.append(note)
        if done:
            async with self.store.unit() as uow:
                for note in done:
                    await uow.ticket_notes.settle(note, holder)
                await uow.commit()
        if retrying or failed:
            log.warning("ticket notes: %d sent, %d to retry, %d given up", sent, retrying, failed)
        return Sent(sent, retrying, failed)

    async def notes(self, swarm_id: int) -> list[TicketNote]:
        """The swarm's notes, sent or waiting, oldest first."""
        async with self.store.unit() as uow:
            return await uow.ticket_notes.for_swarm(swarm_id)
