"""What the core needs from storage, as Protocols. storage/ implements them; the core never sees SQL.

A use case opens one unit of work, reads and writes through its repositories and commits once, so a request that
fails half way (a UserError, a crash) leaves the database as it was.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from bot.models import (
    Article,
    ArticleEmbedding,
    ArticleHit,
    ArticleLink,
    ArticleState,
    ArticleVersion,
    CsatAnswer,
    EventKind,
    Member,
    Person,
    Swarm,
    SwarmStatus,
    Thanks,
    Ticket,
    TicketAccount,
    TicketNote,
    TimelineEntry,
    Workspace,
)


class WorkspaceRepository(Protocol):
    async def ensure(self, key: str, name: str = "") -> Workspace:
        """The workspace with this external key (Slack team id, Teams tenant, "console"), created if new."""
        ...

    async def next_swarm_number(self, workspace_id: int) -> int:
        """1, 2, 3 … per workspace; atomic, so two openers never get the same number."""
        ...

    async def next_article_number(self, workspace_id: int) -> int: ...

    async def keys(self) -> builtins.list[str]:
        """Every workspace's key."""
        ...

    async def get(self, key: str) -> Workspace | None: ...

    async def by_id(self, workspace_id: int) -> Workspace | None: ...

    async def save(self, workspace: Workspace) -> None:
        """Writes the workspace's own settings (digest channel, switches)."""
        ...


class PersonRepository(Protocol):
    async def get(self, person_id: int) -> Person | None: ...

    async def many(self, person_ids: Iterable[int]) -> dict[int, Person]:
        """Several people at once, by id (one query, not one per person)."""
        ...

    async def by_chat_id(self, workspace_id: int, platform: str, user_id: str) -> Person | None:
        """slack → slack_id, teams → teams_id, any other platform → e-mail (case-insensitive)."""
        ...

    async def by_chat_ids(self, workspace_id: int, platform: str, user_ids: Iterable[str]) -> dict[str, Person]:
        """`by_chat_id` for many at once, by the id asked for; those nobody has are left out."""
        ...

    async def find(self, workspace_id: int, who: str) -> Person | None:
        """By e-mail, Slack id, Teams id or full name, case-insensitive; a leading @ is ignored."""
        ...

    async def by_email(self, workspace_id: int, email: str) -> Person | None: ...

    async def list(self, workspace_id: int) -> list[Person]: ...

    async def add(self, person: Person) -> Person:
        """Inserts the person and their skills; returns it with its id set."""
        ...

    async def save(self, person: Person) -> None:
        """Writes every field and replaces the declared skills and learning interests."""
        ...

    async def active_swarm_counts(self, workspace_id: int) -> dict[int, int]:
        """person id → number of opening/open swarms they are an active member of."""
        ...


class SwarmRepository(Protocol):
    async def add(self, swarm: Swarm) -> Swarm: ...

    async def save(self, swarm: Swarm) -> None: ...

    async def get(self, workspace_id: int, number: int) -> Swarm | None: ...

    async def by_id(self, swarm_id: int) -> Swarm | None: ...

    async def by_room(self, workspace_id: int, room_id: str) -> Swarm | None: ...

    async def by_announcement(self, workspace_id: int, message_id: str) -> Swarm | None: ...

    async def by_announcements(self, workspace_id: int, message_ids: Iterable[str]) -> dict[str, Swarm]:
        """`by_announcement` for many in one query; announcements of no swarm are left out."""
        ...

    async def list(
        self,
        workspace_id: int,
        statuses: Iterable[SwarmStatus] | None = None,
        member_id: int | None = None,
        closing: bool | None = None,
        resolved_between: tuple[datetime, datetime] | None = None,
        limit: int | None = None,
        owner_id: int | None = None,
        created_since: datetime | None = None,
    ) -> list[Swarm]:
        """Newest first; member_id keeps the swarms where that person is an active member, closing those whose
        closing posts are (True) or are not (False) still to be made."""
        ...

    async def count(self, workspace_id: int, statuses: Iterable[SwarmStatus]) -> int: ...

    async def members(self, swarm_id: int) -> builtins.list[Member]: ...

    async def members_of(self, swarm_ids: Iterable[int]) -> dict[int, builtins.list[Member]]:
        """`members` of many swarms in one query, each swarm asked for present (an empty list if it has none)."""
        ...

    async def save_member(self, member: Member) -> Member:
        """Insert or update (one row per swarm and person); returns it with its id set."""
        ...

    async def save_members(self, members: Iterable[Member]) -> None:
        """`save_member` for many in one statement (their ids are not read back)."""
        ...

    async def add_entry(self, entry: TimelineEntry) -> TimelineEntry: ...

    async def add_entries(self, entries: Iterable[TimelineEntry]) -> None:
        """Many entries in one statement (their ids are not read back)."""
        ...

    async def timeline(self, swarm_id: int) -> builtins.list[TimelineEntry]:
        """Oldest first."""
        ...

    async def timelines(self, swarm_ids: Iterable[int]) -> dict[int, builtins.list[TimelineEntry]]:
        """`timeline` of many swarms in one query, each swarm asked for present."""
        ...

    async def entry_by_message(self, swarm_id: int, message_id: str) -> TimelineEntry | None: ...

    async def rewrite_message(self, swarm_id: int, message_id: str, text: str) -> None:
        """Gives a room message, and the ✅ marks that copied its words, the words it has now (an edit)."""
        ...

    async def remove_message(self, swarm_id: int, message_id: str) -> None:
        """Removes a room message, and the ✅ marks that copied its words, from the timeline (a deletion)."""
        ...

    async def rewrite_entries(self, swarm_id: int, change: Callable[[str], str]) -> None:
        """Passes the text of the swarm's other timeline entries that may have copied a room message's words (its
        resolution, say: all but the room's messages, their ✅ marks and the opening case) through `change`."""
        ...

    async def add_messages(self, messages: Iterable[TimelineEntry]) -> set[str]:
        """Adds room messages (`message` entries with their message ids) that their swarm's timeline does not have
        yet; returns the message ids it added. A message already there, or twice in `messages`, is added once."""
        ...

    async def by_external_id(self, workspace_id: int, external_id: str) -> Swarm | None: ...

    async def by_ticket(self, workspace_id: int, system: str, ticket_id: str) -> builtins.list[Swarm]:
        """The swarms linked to that ticket, newest first."""
        ...

    async def resolved_history(
        self, workspace_id: int, since: datetime | None = None
    ) -> builtins.list[tuple[Swarm, builtins.list[TimelineEntry]]]:
        """Every resolved swarm (resolved since `since`) with its timeline, oldest first: the evidence of expertise."""
        ...

    async def swarms_joined(self, person_ids: Iterable[int]) -> dict[int, int]:
        """How many swarms each person has ever joined, in any role, whatever became of them (none: left out)."""
        ...

    async def invitations(self, workspace_id: int, since: datetime) -> builtins.list[tuple[int, int, datetime]]:
        """(member id, person id, when) of every invitation the matcher sent since then: the load it spreads."""
        ...

    async def unanswered(self, workspace_id: int, invited_before: datetime) -> builtins.list[Member]:
        """Invitations to open swarms sent before then and neither accepted nor declined, oldest first."""
        ...

    async def last_activities(self, workspace_id: int, kinds: Iterable[EventKind]) -> dict[int, tuple[int, datetime]]:
        """For each open swarm with an entry of those kinds: (the newest such entry's id, its time)."""
        ...

    async def in_period(
        self, workspace_id: int, since: datetime, until: datetime
    ) -> builtins.list[tuple[Swarm, builtins.list[Member], builtins.list[TimelineEntry]]]:
        """Every swarm that was alive in [since, until), with its members and its whole timeline (oldest first), by
        number: created before `until`, and open now, or created, resolved or active (a timeline entry) at or after
        `since`. What analytics reads, in three queries however many swarms there are."""
        ...


class ArticleRepository(Protocol):
    async def add(self, article: Article) -> Article: ...

    async def save(self, article: Article) -> None: ...

    async def get(self, workspace_id: int, number: int) -> Article | None: ...

    async def by_swarm(self, swarm_id: int) -> Article | None: ...

    async def list(self, workspace_id: int) -> builtins.list[Article]:
        """Every article of the workspace, in any state, by number."""
        ...

    async def related(
        self,
        workspace_id: int,
        swarm_ids: Iterable[int],
        numbers: Iterable[int],
        created_between: tuple[datetime, datetime],
    ) -> builtins.list[Article]:
        """The articles of those swarms, those numbers, and those of no swarm created in the half-open interval: what
        a report over a period reads, instead of every article. By number."""
        ...

    async def search(
        self,
        workspace_id: int,
        query: str,
        limit: int = 5,
        states: Sequence[ArticleState] = (ArticleState.DRAFT, ArticleState.VALIDATED),
        *,
        tags: Sequence[str] = (),
        phrases: Sequence[str] = (),
    ) -> builtins.list[ArticleHit]:
        """Full-text search, best first. Any text a user types is a valid query: it never raises.

        query is read as plain words (OR-ed, ranked by BM25; the last one also as a prefix). Each phrase must occur,
        its words next to each other in order; each tag must be one of the article's tags (exact, as stored). With
        tags but no words or phrases, the tagged articles come back most reused first; with nothing, nothing.
        """
        ...

    async def pick(
        self,
        workspace_id: int,
        ids: Sequence[int],
        states: Sequence[ArticleState],
        *,
        tags: Sequence[str] = (),
        phrases: Sequence[str] = (),
    ) -> builtins.list[ArticleHit]:
        """The articles with these ids that are the workspace's and pass search's filters (states, every tag, every
        phrase), in the order of ids, each with the opening of its text as snippet and rank 0. Hybrid search asks it
        about the nearest neighbours of a query, which no word search found."""
        ...

    async def link(self, swarm_id: int, article_id: int, kind: str) -> None:
        """Records that a swarm created (kind "created") or reused ("reused") an article."""
        ...

    async def links(self, article_id: int) -> builtins.list[ArticleLink]:
        """The swarms that created or reused the article, oldest first."""
        ...

    async def count_by_state(self, workspace_id: int) -> dict[ArticleState, int]:
        """How many articles the workspace has in each state (states it has none in are left out)."""
        ...


class EmbeddingRepository(Protocol):
    """The articles' vectors of meaning (the `semantic` extra), kept so that a start does not embed them again."""

    async def pending(
        self, workspace_id: int, model: str, limit: int
    ) -> builtins.list[tuple[Article, ArticleEmbedding | None]]:
        """Up to `limit` articles of the workspace, in any state, whose vector is missing, of another model, or older
        than the article's last change; each with the vector it has (None: none), by id."""
        ...

    async def save(self, embeddings: Sequence[ArticleEmbedding]) -> None:
        """Inserts or replaces each article's vector."""
        ...

    async def vectors(self, workspace_id: int, model: str) -> builtins.list[tuple[int, bytes]]:
        """(article id, vector) of every article of the workspace that has a vector of this model."""
        ...


class ArticleVersionRepository(Protocol):
    async def add(self, article: Article, person_id: int | None, note: str) -> ArticleVersion:
        """Keeps the article as it is now as its next version."""
        ...

    async def rewrite(self, article_id: int, change: Callable[[str], str]) -> None:
        """Passes the text fields of every kept version of the article through `change` (words that must not be kept,
        such as a deleted message's)."""
        ...

    async def list(self, article_id: int) -> builtins.list[ArticleVersion]:
        """Oldest first."""
        ...


class ProcessedEventRepository(Protocol):
    async def claim(self, workspace_id: int, key: str) -> bool:
        """True the first time a delivery key is seen, False for every retry of it."""
        ...

    async def hold(self, workspace_id: int, key: str, holder: str, now: datetime, until: datetime) -> bool:
        """Claims a key for `holder` until `until` (bot/deliveries.py): True if the key is new, or held by someone
        whose hold ended before `now` (taken over); False if it is settled or held still."""
        ...

    async def settle(self, workspace_id: int, key: str, holder: str) -> bool:
        """Makes `holder`'s hold a claim for good; False if it is not theirs any more (taken over)."""
        ...

    async def claim_many(self, workspace_id: int, keys: Iterable[str], now: datetime | None = None) -> set[str]:
        """Claims the keys in one go; returns those claimed now (the others were seen before). With `now`, a key
        held by someone whose hold ended before it is claimed too (its work died before its first write)."""
        ...

    async def release(self, workspace_id: int, key: str, holder: str | None = None) -> None:
        """Forgets a claimed key, so the work it stood for can be tried again (its post failed); with `holder`, only
        while that holder holds it."""
        ...

    async def claimed(self, workspace_id: int, keys: Iterable[str]) -> set[str]:
        """Those of the keys already claimed (without claiming any)."""
        ...


class ThanksRepository(Protocol):
    async def add(self, thanks: Thanks) -> Thanks: ...

    async def between(self, workspace_id: int, since: datetime, until: datetime) -> builtins.list[Thanks]:
        """Given at or after `since` and before `until`, oldest first."""
        ...


class CsatRepository(Protocol):
    async def add(self, answer: CsatAnswer) -> bool:
        """Saves the answer unless the swarm already has one (one answer per swarm): False then, and nothing changes."""
        ...

    async def get(self, swarm_id: int) -> CsatAnswer | None: ...

    async def for_swarms(self, swarm_ids: Iterable[int]) -> builtins.list[CsatAnswer]:
        """The answers given for these swarms, in the order they were given."""
        ...


class ForgettingRepository(Protocol):
    """Erasure for good (bot/forgetting.py). Each returns what it deleted or changed: a count per kind of data."""

    async def forget_workspace(self, workspace_id: int, key: str) -> dict[str, int]:
        """Every row of the workspace, the workspace too, and its deliveries waiting in the inbox."""
        ...

    async def forget_person(self, person_id: int) -> dict[str, int]:
        """The person, their skills, memberships, thanks and CSAT answers; their timeline entries stay with no
        author and no words; the swarms they own pass to a stand-in nobody ("someone")."""
        ...


class TicketNoteRepository(Protocol):
    """The outbox of internal notes for tickets (bot/tickets.py)."""

    async def add(self, note: TicketNote) -> bool:
        """Keeps a note unless one with its key is kept already in the workspace (False then: nothing changes)."""
        ...

    async def take(
        self, now: datetime, holder: str, until: datetime, limit: int, workspace_id: int | None = None
    ) -> builtins.list[TicketNote]:
        """Up to `limit` notes due by `now` (not sent, not given up, not held by another sender whose hold runs
        after `now`), oldest first, held for `holder` until `until`."""
        ...

    async def settle(self, note: TicketNote, holder: str) -> None:
        """Writes what a try did (sent, given up, or when to try again) and lets go of the hold, if still `holder`'s."""
        ...

    async def for_swarm(self, swarm_id: int) -> builtins.list[TicketNote]: ...


class TicketAccountRepository(Protocol):
    """Each workspace's own ticket-system accounts (bot.models.TicketAccount), one per system."""

    async def put(self, account: TicketAccount) -> None:
        """Keeps the account, in place of the workspace's account for that system if it had one."""
        ...

    async def for_workspace(self, workspace_id: int) -> builtins.list[TicketAccount]: ...

    async def remove(self, workspace_id: int, system: str) -> bool:
        """Forgets the workspace's account for the system; False if it had none."""
        ...


class TicketAccounts(Protocol):
    """The ticket systems a workspace reaches with its own account (adapters/tickets/accounts.py builds them from
    the kept accounts), by short name; they take the place of the ones set up for every workspace."""

    async def systems(self, workspace_id: int) -> Mapping[str, TicketSystem]: ...


class UnitOfWork(Protocol):
    workspaces: WorkspaceRepository
    people: PersonRepository
    swarms: SwarmRepository
    articles: ArticleRepository
    versions: ArticleVersionRepository
    processed: ProcessedEventRepository
    thanks: ThanksRepository
    embeddings: EmbeddingRepository
    csat: CsatRepository
    forgetting: ForgettingRepository
    ticket_notes: TicketNoteRepository
    ticket_accounts: TicketAccountRepository

    async def commit(self) -> None: ...


class Embedder(Protocol):
    """A sentence-embedding model: texts in, vectors of meaning out (adapters/semantic.py). The core knows no model."""

    name: str  # the model's name: vectors of different models are never compared
    dimensions: int

    def embed(self, texts: Sequence[str]) -> builtins.list[builtins.list[float]]:
        """One unit-length vector of `dimensions` floats per text, in order. Slow and blocking (a model runs on the
        CPU): the core calls it in a worker thread, never inside a unit of work."""
        ...


class TicketSystem(Protocol):
    """One ticket system (Zendesk, Jira Service Management, Salesforce), as the core needs it: an adapter implements
    it (adapters/tickets/). Its calls raise bot.errors.TicketNotFound for a ticket it does not have, and
    TicketSystemDown when it failed, timed out or asked to wait (with the wait it asked for)."""

    name: str  # what people call it: "Zendesk"

    def url(self, ticket_id: str) -> str:
        """Where an agent opens the ticket."""
        ...

    def accepts(self, host: str | None) -> bool:
        """Whether a ticket URL on `host` is of the account this adapter reaches (None: a short reference, always)."""
        ...

    async def fetch(self, ticket_id: str) -> Ticket:
        """The ticket, with its first comment, its requester's organisation and its assignee's e-mail."""
        ...

    async def add_note(self, ticket_id: str, body: str) -> None:
        """Adds `body` to the ticket as an internal note: never a reply the customer sees."""
        ...


class Store(Protocol):
    def unit(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A transaction: leaving it without commit() rolls back."""
        ...
