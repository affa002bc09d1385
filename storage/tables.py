"""The database schema as SQLModel tables. Rows never leave storage/: repositories map them to bot.models.

Constraint and index names are spelled out so that the hand-written migration creates exactly these names on both
SQLite and PostgreSQL; foreign keys use PostgreSQL's own naming (`<table>_<column>_fkey`) for the same reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no timezone support: SQLAlchemy would store the wall-clock digits and hand back naive values, which
    the core could not compare with `datetime.now(UTC)`. So values are normalised to UTC on the way in and tagged as
    UTC on the way out. Naive input is refused rather than guessed at, because a naive local time would be stored
    hours off without anyone noticing.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use a timezone-aware value such as datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


SEARCH_TERMS_TYPE: Any = JSON().with_variant(JSONB(), "postgresql")


def _ref(target: str, name: str, *, ondelete: str = "CASCADE", nullable: bool = False) -> Any:
    """A foreign-key field with an explicit constraint name."""
    foreign_key = ForeignKey(target, name=name, ondelete=ondelete)
    if nullable:
        return Field(default=None, sa_column_args=[foreign_key], nullable=True)
    return Field(sa_column_args=[foreign_key], nullable=False)


def _workspace_ref(table: str) -> Any:
    return _ref("workspace.id", f"{table}_workspace_id_fkey")


class WorkspaceRow(SQLModel, table=True):
    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("key", name="uq_workspace_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    name: str = Field(default="")
    swarm_counter: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    article_counter: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    digest_channel: str | None = None
    digest_off: bool = Field(default=False)
    nudges_off: bool = Field(default=False)


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (
        # NULLs are distinct in a unique constraint on both backends, so people without an e-mail or chat id coexist.
        UniqueConstraint("workspace_id", "email", name="uq_person_workspace_id_email"),
        UniqueConstraint("workspace_id", "slack_id", name="uq_person_workspace_id_slack_id"),
        UniqueConstraint("workspace_id", "teams_id", name="uq_person_workspace_id_teams_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("person")
    name: str
    email: str | None = None
    slack_id: str | None = None
    teams_id: str | None = None
    department: str | None = None
    timezone: str = Field(default="UTC")
    working_hours: str | None = None
    learning: list[str] = Field(default_factory=list, sa_type=JSON)
    max_active_swarms: int = Field(default=3)
    away_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    hidden_skills: list[str] = Field(default_factory=list, sa_type=JSON)
    publisher: bool = Field(default=False)
    digest_off: bool = Field(default=False)
    nudges_off: bool = Field(default=False)
    role: str = Field(default="agent")


class PersonSkillRow(SQLModel, table=True):
    __tablename__ = "person_skill"
    __table_args__ = (
        UniqueConstraint("person_id", "skill", name="uq_person_skill_person_id_skill"),
        CheckConstraint("level BETWEEN 1 AND 5", name="ck_person_skill_level"),
        CheckConstraint("source IN ('declared', 'inferred')", name="ck_person_skill_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("person_skill")
    person_id: int = _ref("person.id", "person_skill_person_id_fkey")
    skill: str
    level: int
    source: str = Field(default="declared")
    evidence: int = Field(default=0)
    last_used: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SwarmRow(SQLModel, table=True):
    __tablename__ = "swarm"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_swarm_workspace_id_number"),
        Index("ix_swarm_workspace_id_room_id", "workspace_id", "room_id"),
        Index("ix_swarm_workspace_id_announcement_id", "workspace_id", "announcement_id"),
        Index("ix_swarm_workspace_id_status", "workspace_id", "status"),
        UniqueConstraint("workspace_id", "external_id", name="uq_swarm_workspace_id_external_id"),
        Index("ix_swarm_workspace_id_closing", "workspace_id", "closing"),
        Index("ix_swarm_workspace_id_ticket", "workspace_id", "ticket_system", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("swarm")
    number: int
    text: str = Field(sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    severity: int
    customer: str | None = None
    product: str | None = None
    version: str | None = None
    status: str
    owner_id: int = _ref("person.id", "swarm_owner_id_fkey", ondelete="RESTRICT")
    origin_channel: str
    announcement_id: str | None = None
    room_id: str | None = None
    room_name: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    first_expert_reply_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolution: str | None = Field(default=None, sa_type=Text)
    cancel_reason: str | None = Field(default=None, sa_type=Text)
    skills: list[str] = Field(default_factory=list, sa_type=JSON)
    external_id: str | None = None
    card_id: str | None = None
    snoozed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closing: bool = Field(default=False)
    closings: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    summary_id: str | None = None
    thread_summary_id: str | None = None
    description: str | None = Field(default=None, sa_type=Text)
    # The ticket the swarm belongs to (bot/tickets.py): its system (`zd`, `jsm`, `sf`), id, URL and last known status.
    ticket_system: str | None = None
    ticket_id: str | None = None
    ticket_url: str | None = None
    ticket_status: str | None = None
    ticket_created_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # What the ticket's system said since (bot.models.TicketLink): its last solve, reopens, satisfaction rating.
    ticket_solved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ticket_reopens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    ticket_rating: str | None = None
    ticket_rating_read_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SwarmMemberRow(SQLModel, table=True):
    __tablename__ = "swarm_member"
    __table_args__ = (
        UniqueConstraint("swarm_id", "person_id", name="uq_swarm_member_swarm_id_person_id"),
        Index("ix_swarm_member_person_id", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("swarm_member")
    swarm_id: int = _ref("swarm.id", "swarm_member_swarm_id_fkey")
    person_id: int = _ref("person.id", "swarm_member_person_id_fkey")
    role: str
    via: str
    invited_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    joined_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    declined_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


ROOM_MESSAGE = text("kind = 'message'")


class SwarmEventRow(SQLModel, table=True):
    __tablename__ = "swarm_event"
    __table_args__ = (
        Index("ix_swarm_event_swarm_id_at", "swarm_id", "at"),
        Index("ix_swarm_event_swarm_id_message_id", "swarm_id", "message_id"),
        # A room message once per swarm (record_messages inserts with ON CONFLICT DO NOTHING against it).
        Index(
            "uq_swarm_event_swarm_id_message_id",
            "swarm_id",
            "message_id",
            unique=True,
            sqlite_where=ROOM_MESSAGE,
            postgresql_where=ROOM_MESSAGE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("swarm_event")
    swarm_id: int = _ref("swarm.id", "swarm_event_swarm_id_fkey")
    kind: str
    # The transcript outlives a person leaving the roster.
    person_id: int | None = _ref("person.id", "swarm_event_person_id_fkey", ondelete="SET NULL", nullable=True)
    text: str = Field(default="", sa_type=Text)
    message_id: str | None = None
    at: datetime = Field(sa_type=UtcDateTime)


class ArticleRow(SQLModel, table=True):
    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_article_workspace_id_number"),
        Index("ix_article_swarm_id", "swarm_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("article")
    number: int
    title: str = Field(sa_type=Text)
    issue: str = Field(sa_type=Text)
    environment: str = Field(sa_type=Text)
    resolution: str = Field(sa_type=Text)
    cause: str = Field(default="", sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    contributors: list[str] = Field(default_factory=list, sa_type=JSON)
    state: str
    # Knowledge stays when the swarm that produced it is deleted.
    swarm_id: int | None = _ref("swarm.id", "article_swarm_id_fkey", ondelete="SET NULL", nullable=True)
    reuse_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    asked: list[str] = Field(default_factory=list, sa_type=JSON)
    # What search ranks by (storage.search.rank_columns, migration 0017): each word's stem with how often the article
    # says it (a title word counting FIELD_WEIGHTS' 3), and the article's length so counted. BM25 is computed from
    # them by the database; jsonb on PostgreSQL, whose `->>` finds a key without reading the whole text.
    search_terms: dict[str, float] | None = Field(default=None, sa_type=SEARCH_TERMS_TYPE)
    search_length: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})


class ArticleLinkRow(SQLModel, table=True):
    __tablename__ = "article_link"
    __table_args__ = (
        UniqueConstraint("swarm_id", "article_id", "kind", name="uq_article_link_swarm_id_article_id_kind"),
        CheckConstraint("kind IN ('created', 'reused')", name="ck_article_link_kind"),
        Index("ix_article_link_article_id", "article_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("article_link")
    swarm_id: int = _ref("swarm.id", "article_link_swarm_id_fkey")
    article_id: int = _ref("article.id", "article_link_article_id_fkey")
    kind: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ProcessedEventRow(SQLModel, table=True):
    __tablename__ = "processed_event"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key", name="uq_processed_event_workspace_id_key"),
        # Old keys are pruned by age; retries arrive within minutes.
        Index("ix_processed_event_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("processed_event")
    key: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # While the delivery's work runs, who holds its claim and until when (bot/deliveries.py); both empty once the
    # claim is settled, in the transaction of the work's first write.
    holder: str | None = None
    held_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PlatformRefRow(SQLModel, table=True):
    """What a chat adapter must remember that the core has no word for (a Teams ConversationReference, a card's
    message id): JSON under (platform, kind, key), per workspace."""

    __tablename__ = "platform_ref"
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "platform", "kind", "key", name="uq_platform_ref_workspace_id_platform_kind_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("platform_ref")
    platform: str
    kind: str
    key: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ArticleVersionRow(SQLModel, table=True):
    """Every change to an article, with who and when: what it said and in which state."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_version_article_id_version"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("article_version")
    article_id: int = _ref("article.id", "article_version_article_id_fkey")
    version: int
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    person_id: int | None = _ref("person.id", "article_version_person_id_fkey", ondelete="SET NULL", nullable=True)
    note: str = Field(default="", sa_type=Text)
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ThanksRow(SQLModel, table=True):
    __tablename__ = "thanks"
    __table_args__ = (Index("ix_thanks_workspace_id_at", "workspace_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("thanks")
    giver_id: int = _ref("person.id", "thanks_giver_id_fkey")
    receiver_id: int = _ref("person.id", "thanks_receiver_id_fkey")
    swarm_id: int | None = _ref("swarm.id", "thanks_swarm_id_fkey", ondelete="SET NULL", nullable=True)
    reason: str = Field(default="", sa_type=Text)
    at: datetime = Field(sa_type=UtcDateTime)


class CsatRow(SQLModel, table=True):
    """The requester's 1–5 answer to "How well was this handled?" after a resolve: one per swarm."""

    __tablename__ = "csat"
    __table_args__ = (
        UniqueConstraint("swarm_id", name="uq_csat_swarm_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_score"),
        Index("ix_csat_workspace_id_at", "workspace_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("csat")
    swarm_id: int = _ref("swarm.id", "csat_swarm_id_fkey")
    person_id: int = _ref("person.id", "csat_person_id_fkey")
    score: int
    at: datetime = Field(sa_type=UtcDateTime)


class SchedulerLeaseRow(SQLModel, table=True):
    """Which `swarm serve` process runs the scheduled jobs, until when. Process-wide, so not per workspace."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_type=UtcDateTime)


class ArticleEmbeddingRow(SQLModel, table=True):
    """An article's vector of meaning for hybrid search (bot/semantic.py, the `semantic` extra): float32 bytes made
    by `model` from the text whose hash is content_hash, when the article was last changed at article_updated_at."""

    __tablename__ = "article_embedding"
    __table_args__ = (Index("ix_article_embedding_workspace_id_model", "workspace_id", "model"),)

    article_id: int = Field(
        primary_key=True,
        sa_column_args=[ForeignKey("article.id", name="article_embedding_article_id_fkey", ondelete="CASCADE")],
    )
    workspace_id: int = _workspace_ref("article_embedding")
    model: str
    content_hash: str
    article_updated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    vector: bytes = Field(sa_type=LargeBinary)


class InboxRow(SQLModel, table=True):
    """A platform delivery that was acknowledged and waits for its work (adapters/inbox.py): written by the process
    that answered the platform, taken by a worker (`holder`) until `claimed_until`, deleted when the work is done.
    Process-wide: `team` is the platform's workspace key, not yet a workspace row."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_claimed_until_id", "claimed_until", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    kind: str
    team: str
    payload: str = Field(sa_type=Text)
    received_at: datetime = Field(sa_type=UtcDateTime)
    holder: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    attempts: int = 0


class TicketNoteRow(SQLModel, table=True):
    """The outbox of internal notes for tickets (bot/tickets.py): kept under a key of their own, once per workspace,
    sent by whoever holds them (`holder` until `held_until`), tried again at `next_at` until sent or given up."""

    __tablename__ = "ticket_note"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key", name="uq_ticket_note_workspace_id_key"),
        Index("ix_ticket_note_sent_at_next_at", "sent_at", "next_at"),
        Index("ix_ticket_note_swarm_id", "swarm_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("ticket_note")
    key: str
    system: str
    ticket_id: str
    body: str = Field(sa_type=Text)
    swarm_id: int | None = _ref("swarm.id", "ticket_note_swarm_id_fkey", ondelete="SET NULL", nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    attempts: int = Field(default=0)
    next_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    failed: str | None = None
    last_error: str | None = None
    holder: str | None = None
    held_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class TicketAccountRow(SQLModel, table=True):
    """A workspace's own account with a ticket system (bot.models.TicketAccount): the secrets are sealed by the
    adapters before they reach this table (adapters/tickets/accounts.py)."""

    __tablename__ = "ticket_account"
    __table_args__ = (UniqueConstraint("workspace_id", "system", name="uq_ticket_account_workspace_id_system"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("ticket_account")
    system: str
    url: str
    login: str
    secret: str = Field(sa_type=Text)
    webhook_secret: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class HistoryCursorRow(SQLModel, table=True):
    """Where `swarm history import --from SYSTEM` got to in a ticket system's export (bot/history.py): the export's
    cursor after the last page imported, per workspace and system, and the first day that import asked for."""

    __tablename__ = "history_cursor"
    __table_args__ = (UniqueConstraint("workspace_id", "system", name="uq_history_cursor_workspace_id_system"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_ref("history_cursor")
    system: str
    since: datetime = Field(sa_type=UtcDateTime)
    cursor: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
