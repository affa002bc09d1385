"""The domain's nouns: plain dataclasses that every layer shares. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

MAX_CASE_CHARS = 3000
SEVERITIES = (1, 2, 3, 4)
DEFAULT_SEVERITY = 3


class SwarmStatus(StrEnum):
    OPENING = "opening"
    OPEN = "open"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in (SwarmStatus.OPENING, SwarmStatus.OPEN)


class Role(StrEnum):
    OWNER = "owner"
    EXPERT = "expert"
    HELPER = "helper"
    OBSERVER = "observer"
    LEARNER = "learner"


class RosterRole(StrEnum):
    """What a person may do beyond their own swarms (docs/permissions.md): an agent acts on the swarms they own or
    are in; a lead or an admin also changes workspace-wide settings and may act on any swarm."""

    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def above_agent(self) -> bool:
        return self is not RosterRole.AGENT


class Via(StrEnum):
    """How a member came to the swarm."""

    COMMAND = "command"
    REACTION = "reaction"
    BUTTON = "button"
    MENTION = "mention"
    MATCH = "match"
    INVITE = "invite"
    MESSAGE = "message"  # spoke in the room: in Slack anyone in the channel can, in Teams anyone in the thread


class ArticleState(StrEnum):
    WIP = "wip"
    DRAFT = "draft"
    VALIDATED = "validated"
    ARCHIVED = "archived"


class EventKind(StrEnum):
    """What a swarm timeline entry records."""

    OPENED = "opened"
    INVITED = "invited"
    JOINED = "joined"
    LEFT = "left"
    MESSAGE = "message"
    SOLUTION = "solution"
    SOLUTION_REMOVED = "solution_removed"
    OWNER_CHANGED = "owner_changed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    ACCEPTED = "accepted"  # an invited expert said "I can help"
    DECLINED = "declined"  # an invited expert said "Can't now", or did not answer in time
    FEEDBACK = "feedback"  # the owner's 👍 ("good") or 👎 ("bad") on a match, at resolve
    LINKED = "linked"  # an existing article was linked to the swarm (reuse); the text is the article number
    THANKED = "thanked"  # `/swarm thanks` in the room; the text names who was thanked and for what
    SNOOZED = "snoozed"  # the owner asked the quiet-room nudge to wait


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        # Night shifts such as 22:00-06:00 wrap around midnight.
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Workspace:
    id: int
    key: str
    name: str = ""
    digest_channel: str | None = None  # where the digests and recurring-issue alerts go; None: the configured one
    digest_off: bool = False  # no daily or weekly digest, no recurring-issue alerts
    nudges_off: bool = False  # nobody in the workspace is nudged


@dataclass
class Person:
    workspace_id: int
    name: str
    email: str | None = None
    slack_id: str | None = None
    teams_id: str | None = None
    department: str | None = None
    timezone: str = "UTC"
    working_hours: WorkingHours | None = None
    skills: dict[str, int] = field(default_factory=dict)
    learning: list[str] = field(default_factory=list)
    max_active_swarms: int = 3
    away_until: datetime | None = None
    hidden_skills: list[str] = field(default_factory=list)  # inferred skills the person asked not to be asked for
    publisher: bool = False  # may validate and archive knowledge articles
    role: RosterRole = RosterRole.AGENT  # a lead or admin acts on any swarm and on workspace-wide settings
    digest_off: bool = False  # named in digests without a mention, so they are not notified
    nudges_off: bool = False  # never nudged (quiet rooms, missing articles)
    id: int | None = None

    def chat_id(self, platform: str) -> str | None:
        """The person's user id on a chat platform; the console knows people by e-mail."""
        if platform == "slack":
            return self.slack_id
        if platform == "teams":
            return self.teams_id
        return self.email or self.name


@dataclass(frozen=True)
class Case:
    text: str
    tags: tuple[str, ...] = ()
    severity: int = DEFAULT_SEVERITY
    customer: str | None = None
    product: str | None = None
    version: str | None = None
    description: str | None = None  # the longer account, when the case came from a ticket (its first comment)


@dataclass(frozen=True)
class TicketLink:
    """The ticket a swarm belongs to: which system (`zd`, `jsm`, `sf`: bot/tickets.py), its id there, where an agent
    opens it, and its status as Swarm last heard it."""

    system: str
    id: str
    url: str | None = None
    status: str | None = None
    created_at: datetime | None = None  # when the ticket was filed: the customer's clock starts there, not the swarm's
    # What the ticket's system told Swarm since (bot/analytics.py's ticket figures): when the ticket was last solved
    # (None while it is not solved: a reopen clears it), how many times a solved ticket was reopened, and the
    # customer's satisfaction rating there (`good`, `bad`, `offered`: asked and not answered, `unoffered`), with when
    # it was last read.
    solved_at: datetime | None = None
    reopens: int = 0
    rating: str | None = None
    rating_read_at: datetime | None = None

    @property
    def key(self) -> str:
        """`zd:4521`: how people type it."""
        return f"{self.system}:{self.id}"


@dataclass(frozen=True)
class Ticket:
    """A ticket as its system tells it, in the core's words; any field the system leaves empty is None or empty."""

    system: str
    id: str
    subject: str
    description: str = ""  # the first comment
    organization: str | None = None  # the requester's organisation: the case's customer
    priority: str | None = None  # as the system names it (`urgent`, `High`, …); bot/tickets.py maps it to severity
    status: str | None = None
    tags: tuple[str, ...] = ()
    assignee_email: str | None = None
    created_at: datetime | None = None
    url: str | None = None

    def link(self) -> TicketLink:
        return TicketLink(self.system, self.id, self.url, self.status, self.created_at)


@dataclass
class TicketNote:
    """An internal note waiting in the outbox for its ticket, or sent: one per `key` in a workspace, so the same
    note is never written twice."""

    workspace_id: int
    key: str
    system: str
    ticket_id: str
    body: str
    swarm_id: int | None = None
    created_at: datetime | None = None
    attempts: int = 0
    next_at: datetime | None = None  # not tried before then (backoff, or the system's Retry-After)
    sent_at: datetime | None = None
    failed: str | None = None  # why it was given up (the ticket is gone); None while it may still be sent
    last_error: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class TicketAccount:
    """How one workspace reaches one ticket system, when it has its own (several workspaces served, each with its own
    Zendesk, …): the system (`zd`, `jsm`, `sf`), its base address, who Swarm acts as there (an e-mail, a client id),
    and the secrets, sealed by the adapters before they are kept (never readable in the database)."""

    workspace_id: int
    system: str
    url: str
    login: str
    secret: str  # sealed: an API token, a client secret
    webhook_secret: str | None = None  # sealed
    updated_at: datetime | None = None


@dataclass
class Swarm:
    workspace_id: int
    number: int
    case: Case
    owner_id: int
    origin_channel: str
    status: SwarmStatus = SwarmStatus.OPENING
    created_at: datetime | None = None
    announcement_id: str | None = None
    room_id: str | None = None
    room_name: str | None = None
    first_expert_reply_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    cancel_reason: str | None = None
    skills: tuple[str, ...] = ()  # what the case needed when it opened: its tags and the skills its text names
    external_id: str | None = None  # the help desk's case id, for history imported from one
    card_id: str | None = None  # the case card in the room, which the bot keeps up to date as the rolling summary
    snoozed_until: datetime | None = None  # the owner said "still working": no quiet-room nudge before then
    # Closed (resolved, cancelled) in the database while its posts — the summary in the room and under the
    # announcement, the announcement marked, the room archived — are not all made yet; each post made is recorded.
    closing: bool = False
    closings: int = 0  # how many times it was closed: a swarm can be resolved, reopened and resolved again
    summary_id: str | None = None  # the closing summary in the room
    thread_summary_id: str | None = None  # the closing summary under the announcement
    ticket: TicketLink | None = None  # the ticket the swarm belongs to, if it was opened from one
    id: int | None = None


@dataclass
class Member:
    swarm_id: int
    person_id: int
    role: Role
    via: Via
    invited_at: datetime | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None
    declined_at: datetime | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.joined_at is not None and self.left_at is None

    @property
    def pending(self) -> bool:
        """Invited, not yet answered."""
        return self.invited_at is not None and self.joined_at is None and self.declined_at is None


@dataclass
class TimelineEntry:
    swarm_id: int
    kind: EventKind
    at: datetime
    person_id: int | None = None
    text: str = ""
    message_id: str | None = None
    id: int | None = None


@dataclass
class Article:
    workspace_id: int
    title: str
    issue: str
    environment: str
    resolution: str
    cause: str = ""
    tags: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    state: ArticleState = ArticleState.DRAFT
    swarm_id: int | None = None
    reuse_count: int = 0
    number: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None
    # The words of the cases it answered (linked to their swarms), newest first: search finds it by them too.
    asked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ArticleVersion:
    """An article as it was after one change."""

    article_id: int
    version: int
    at: datetime
    person_id: int | None
    note: str
    title: str
    issue: str
    environment: str
    resolution: str
    cause: str
    state: ArticleState


@dataclass(frozen=True)
class ArticleLink:
    """A swarm that wrote an article (kind "created") or used it (kind "reused")."""

    swarm_id: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    snippet: str
    rank: float
    swarm_number: int | None = None  # for a wip article: the open swarm working on it, to join instead of duplicating
    # A keyword hit: the share of the query's words it has, each weighing its rarity (1.0: all of them).
    matched: float = 0.0
    # The same share of the words some article has: a word no article has is no evidence against this one.
    matched_known: float = 0.0


@dataclass(frozen=True)
class Match:
    """One ranked candidate for a case, with the reasons a human can read."""

    person: Person
    score: float
    reasons: tuple[str, ...]
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thanks:
    """`/swarm thanks @person [for what]`: recognition of help, counted by the weekly digest and analytics."""

    workspace_id: int
    giver_id: int
    receiver_id: int
    at: datetime
    reason: str = ""
    swarm_id: int | None = None
    id: int | None = None


CSAT_SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class CsatAnswer:
    """The requester's answer to "How well was this handled?" (1–5) after a swarm was resolved; one per swarm."""

    workspace_id: int
    swarm_id: int
    person_id: int
    score: int
    at: datetime
    id: int | None = None


@dataclass(frozen=True)
class ArticleEmbedding:
    """An article's vector of meaning, for hybrid search (bot/semantic.py): made by `model` from the article's text
    whose hash is `content_hash`, as the article was when last changed at `article_updated_at`."""

    article_id: int
    workspace_id: int
    model: str
    content_hash: str
    vector: bytes  # float32, little-endian, unit length
    article_updated_at: datetime | None = None


@dataclass(frozen=True)
class SolvedTicket:
    """A solved ticket as a ticket system's history export gives it, for `swarm history import --from SYSTEM`: the
    fields of a help-desk row (bot/history.py), with who solved it and the comment that solved it."""

    system: str
    id: str
    subject: str
    description: str
    tags: tuple[str, ...]
    assignee_email: str | None  # who solved it: the resolver
    participant_emails: tuple[str, ...]  # the other agents who commented
    created_at: datetime | None
    solved_at: datetime | None  # when the solving comment was written
    solution: str  # the solving comment: the assignee's last comment


@dataclass(frozen=True)
class SolvedPage:
    """One page of a history export: its solved tickets, and the cursor after it (where a re-run carries on once the
    page is imported). `last`: the export has no more pages for now."""

    tickets: tuple[SolvedTicket, ...]
    cursor: str | None
    last: bool = False
    known: tuple[str, ...] = ()  # ids of solved tickets the caller knew already: nothing more was read of them


@dataclass
class HistoryCursor:
    """Where an import from a ticket system got to, per workspace and system; `since` is the first day it asked for."""

    workspace_id: int
    system: str
    since: datetime
    cursor: str | None = None
