"""The swarm lifecycle: open, join, leave, invite, hand over, talk, mark the fix, resolve, cancel, reopen.

Each use case is one unit of work: it checks everything first and raises UserError before it writes, so bad input
changes nothing. Talking to the chat platform is the handlers' job; they call back with what the platform made
(set_room, set_announcement) so that an opening interrupted half way can be finished later, never duplicated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from bot import knowledge, retraction, text
from bot.context import Actor, Clock, Scope, find_people, find_person, find_swarm, identify, identify_all, utcnow
from bot.errors import UserError
from bot.expertise import canonical
from bot.indexes import IndexCache
from bot.matching import Ranking
from bot.metrics import SwarmStats, swarm_stats
from bot.models import (
    Article,
    ArticleHit,
    ArticleState,
    Case,
    EventKind,
    Match,
    Member,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    TicketLink,
    TimelineEntry,
    Via,
)
from bot.permissions import Action, Standing, ensure, may
from bot.ports import Store, UnitOfWork
from bot.semantic import SemanticSearch, hybrid_search
from bot.suggestions import CANDIDATES, likely_answers
from bot.tickets import Tickets

log = logging.getLogger(__name__)

SIMILAR_ARTICLES = 3


@dataclass(frozen=True)
class Policy:
    """The workspace's swarming rules that the core applies."""

    # None: as many as the severity allows (matching.TEAM_CAPS); a number caps every team at that size.
    experts_per_swarm: int | None = None
    # An invited expert who has not answered by then is taken as "can't now", and the next-best is asked.
    expert_timeout: timedelta = timedelta(minutes=15)
    # How far back invitations count against a person when spreading the load.
    fairness_window: timedelta = timedelta(days=30)
    # A room with no word for this long, counted in the owner's working hours, gets the owner a "still working?".
    quiet_after: timedelta = timedelta(hours=4)
    # Whoever joins after this many messages gets a private catch-up.
    catchup_after: int = 5
    # A swarm resolved with an empty article reminds its owner once, this long after.
    article_reminder_after: timedelta = timedelta(hours=1)
    # At most this many swarms opened by one person within `open_window` (None: no limit): a runaway script or a
    # stuck key cannot flood the channel with rooms.
    open_limit: int | None = 5
    open_window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Crew:
    """A swarm with its owner and the people in it: what replies and cards are built from."""

    swarm: Swarm
    owner: Person
    members: tuple[tuple[Member, Person], ...] = ()

    def active(self, *roles: Role) -> list[Person]:
        return [p for m, p in self.members if m.active and (not roles or m.role in roles)]

    def member(self, person_id: int | None) -> Member | None:
        return next((m for m, p in self.members if p.id == person_id), None)

    def asked(self) -> list[Person]:
        """Invited and not answered yet."""
        return [p for m, p in self.members if m.pending]

    def experts_asked(self) -> bool:
        """Whether anyone was ever asked (or came) as an expert: without one, "no expert has replied" says nothing."""
        return any(m.role is Role.EXPERT for m, _ in self.members)

    def in_room(self) -> list[Person]:
        """Everyone who belongs in the room: members and those asked to join."""
        return [p for m, p in self.members if (m.active or m.pending)]

    def people(self) -> People:
        """The one view of who is where that the card, the announcement and status all show."""
        active = self.swarm.status.is_active
        return People(
            owner=self.owner,
            members=tuple(
                (role, tuple(self.active(role)))
                for role in (Role.EXPERT, Role.HELPER, Role.LEARNER, Role.OBSERVER)
                if self.active(role)
            ),
            asked=tuple(p for m, p in self.members if m.pending and m.role is not Role.LEARNER) if active else (),
            learner_seat=tuple(p for m, p in self.members if m.pending and m.role is Role.LEARNER) if active else (),
            declined=tuple(p for m, p in self.members if m.declined_at is not None and not m.active) if active else (),
        )


@dataclass(frozen=True)
class People:
    """A swarm's people as every surface shows them. Once it is over nobody is waited for any more, so `asked`,
    `learner_seat` and `declined` are empty."""

    owner: Person
    members: tuple[tuple[Role, tuple[Person, ...]], ...]  # in the swarm now, by role (experts, helpers, learners,
    # observers), the owner aside
    asked: tuple[Person, ...]  # asked to help, no answer yet
    learner_seat: tuple[Person, ...]  # asked along to learn, no answer yet
    declined: tuple[Person, ...]  # said "Can't now" (or did not answer in time), and not in it since


@dataclass(frozen=True)
class RoomMessage:
    """What a person said in a room, with the platform's id of the message."""

    actor: Actor
    message_id: str
    text: str


@dataclass(frozen=True)
class Recorded:
    """Room messages kept: how many, and the crew as it is now when someone came into the swarm by speaking."""

    kept: int
    crew: Crew | None = None


@dataclass(frozen=True)
class Joining:
    """Someone asking to join a swarm through its announcement (a reaction or a button); `delivery` is the
    platform's key for the delivery that brought it, if any."""

    actor: Actor
    announcement: str
    role: Role
    via: Via
    delivery: str | None = None


@dataclass(frozen=True)
class Joins:
    """What a run of joins did: one change per join about an active swarm's announcement, in order (`changed` False
    for someone in already), and each join about a swarm that is over, with the reason to tell its person."""

    changes: tuple[Change, ...] = ()
    refused: tuple[tuple[Joining, UserError], ...] = ()


@dataclass(frozen=True)
class Opened:
    crew: Crew
    ranking: Ranking
    similar: list[ArticleHit] = field(default_factory=list)
    ticket_unread: bool = False  # opened from a ticket whose system did not answer: from what was typed

    @property
    def experts(self) -> list[Person]:
        return [m.person for m in self.ranking.matches]


@dataclass(frozen=True)
class Change:
    """The result of a membership change: `changed` is False when it was already so."""

    crew: Crew
    person: Person
    changed: bool = True


@dataclass(frozen=True)
class Invited:
    crew: Crew
    by: Person
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Acted:
    """A swarm after someone closed or reopened it."""

    crew: Crew
    by: Person


@dataclass(frozen=True)
class HandOver:
    crew: Crew
    previous: Person
    new: Person


@dataclass(frozen=True)
class Resolved:
    crew: Crew
    article: Article
    duration: timedelta
    speakers: tuple[Person, ...] = ()  # people who helped in the room without joining the swarm


@dataclass(frozen=True)
class Retracted:
    """A room message edited or deleted: its swarm as it is now and, when it was resolved, its resolve as its records
    say it now (for the summaries already posted to say the same)."""

    crew: Crew
    resolved: Resolved | None = None


@dataclass(frozen=True)
class Answered:
    """An invited expert's answer; on a decline, whoever was asked instead (None if nobody fits)."""

    crew: Crew
    person: Person
    accepted: bool
    replacement: Match | None = None
    changed: bool = True
    lapsed: bool = False  # no answer within the timeout, rather than a "Can't now"


@dataclass(frozen=True)
class Reused:
    """A known article linked to a swarm; `resolved` when it solved the case outright (deflection)."""

    crew: Crew
    article: Article
    resolved: bool
    changed: bool = True


@dataclass(frozen=True)
class Closing:
    """A swarm closed in the database whose closing posts were interrupted (a crash, a platform outage): what closed
    it (a resolve with its article, a resolve by a known article, a cancel) and who did."""

    outcome: Resolved | Reused | Acted
    by: Person
    at: datetime  # when it was closed: its summaries, if posted, are no older


@dataclass(frozen=True)
class Proposal:
    """A member's "this is fixed": the owner (or a lead) confirms it with one click, which resolves the swarm."""

    crew: Crew
    by: Person
    resolution: str


@dataclass(frozen=True)
class Draft:
    crew: Crew
    article: Article


@dataclass(frozen=True)
class Marked:
    crew: Crew
    entry: TimelineEntry
    marked: bool


class Swarms:
    def __init__(
        self,
        store: Store,
        policy: Policy | None = None,
        clock: Clock = utcnow,
        indexes: IndexCache | None = None,
        semantic: SemanticSearch | None = None,
        tickets: Tickets | None = None,
    ) -> None:
        self.store = store
        self.policy = policy or Policy()
        self.clock = clock
        self.indexes = indexes or IndexCache()
        self.semantic = semantic  # hybrid search for the similar articles, when the semantic extra is wired
        self.tickets = tickets or Tickets(store, clock=clock)

    # -- opening ------------------------------------------------------------------------------------------------

    async def open(self, actor: Actor, case_text: str, channel: str) -> Opened:
        """Opens a swarm for the case typed; a ticket named in it (bot/tickets.py) is read first and gives the case,
        unless its system does not answer: then the case is what was typed, and the swarm opens all the same."""
        # Read before the unit of work, as the case's meaning is: a transaction must not wait on another system.
        reading = await self.tickets.read(case_text, actor.workspace)
        case = reading.case if reading is not None else text.parse_case(case_text)
        now = self.clock()
        # The case's meaning is looked up before the unit of work: embedding it is slow, a transaction must not be.
        nearest = await self.semantic.nearest(actor.workspace, case.text) if self.semantic else None
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            if reading is not None:
                await _ensure_no_swarm_for(uow, scope.workspace_id, reading.link)
            await self._check_open_rate(uow, scope, now)
            ranking = await self._rank(uow, scope.workspace_id, case, scope.person_id)
            number = await uow.workspaces.next_swarm_number(scope.workspace_id)
            swarm = await uow.swarms.add(
                Swarm(
                    workspace_id=scope.workspace_id,
                    number=number,
                    case=case,
                    owner_id=scope.person_id,
                    origin_channel=channel,
                    status=SwarmStatus.OPENING,
                    created_at=now,
                    skills=ranking.skills,
                    ticket=reading.link if reading is not None else None,
                )
            )
            assert swarm.id is not None
            await uow.swarms.save_member(
                Member(swarm.id, scope.person_id, Role.OWNER, Via.COMMAND, invited_at=now, joined_at=now)
            )
            await self._log(uow, swarm, EventKind.OPENED, scope.person_id, case.text)
            seats = [(m, Role.EXPERT) for m in ranking.matches]
            if ranking.learner is not None:
                seats.append((ranking.learner, Role.LEARNER))
            for match, role in seats:
                assert match.person.id is not None
                # Asked, not yet in: they answer "I can help" or "Can't now", or speak in the room.
                await uow.swarms.save_member(Member(swarm.id, match.person.id, role, Via.MATCH, invited_at=now))
                await self._log(uow, swarm, EventKind.INVITED, match.person.id, " · ".join(match.reasons))
            similar = await maybe_known(uow, scope.workspace_id, case.text, nearest)
            # KCS: the article exists from the first minute, as work in progress, so search can point to this swarm.
            wip = knowledge.draft_article(
                swarm,
                resolution="",
                cause="",
                solutions=(),
                contributors=(scope.person.name,),
                require_resolution=False,
            )
            wip.state, wip.created_at, wip.updated_at = ArticleState.WIP, now, now
            wip.number = await uow.workspaces.next_article_number(scope.workspace_id)
            wip = await uow.articles.add(wip)
            assert wip.id is not None
            await uow.articles.link(swarm.id, wip.id, "created")
            await uow.versions.add(wip, scope.person_id, f"opened with swarm {swarm.number}")
            crew = await self._crew(uow, swarm)
            await uow.commit()
        return Opened(crew, ranking, similar, ticket_unread=reading is not None and reading.unread)

    async def _check_open_rate(self, uow: UnitOfWork, scope: Scope, now: datetime) -> None:
        """Refuses an opening past the person's limit, counted from the swarms they opened in the window."""
        limit, window = self.policy.open_limit, self.policy.open_window
        if limit is None:
            return
        since = now - window
        mine = await uow.swarms.list(scope.workspace_id, owner_id=scope.person_id, created_since=since)
        recent = sorted(s.created_at for s in mine if s.created_at)
        if len(recent) >= limit:
            retry_at = recent[len(recent) - limit] + window
            # In whole minutes, rounded up: "try in 0m" would be wrong.
            wait = timedelta(minutes=max(1, -(-(retry_at - now) // timedelta(minutes=1))))
            raise UserError("open_rate_limited", limit=limit, window=window, wait=wait)

    async def set_room(self, swarm_id: int, room_id: str, room_name: str) -> None:
        async with self.store.unit() as uow:
            swarm = await self._by_id(uow, swarm_id)
            swarm.room_id, swarm.room_name = room_id, room_name
            await uow.swarms.save(swarm)
            await uow.commit()

    async def set_announcement(self, swarm_id: int, message_id: str) -> None:
        """The announcement is the last step of opening: the swarm is open from here on."""
        async with self.store.unit() as uow:
            swarm = await self._by_id(uow, swarm_id)
            swarm.announcement_id = message_id
            if swarm.status is SwarmStatus.OPENING:
                swarm.status = SwarmStatus.OPEN
            await uow.swarms.save(swarm)
            await uow.commit()

    async def unfinished(self, workspace: str, settle: timedelta = timedelta(0)) -> list[Opened]:
        """Swarms whose opening was interrupted (a crash, a platform outage), to be finished now: those saved at least
        `settle` ago, so that an opening still under way (in another process) is not done a second time."""
        before = self.clock() - settle
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            result = []
            for swarm in await uow.swarms.list(ws.id, statuses=[SwarmStatus.OPENING]):
                if settle and swarm.created_at is not None and swarm.created_at > before:
                    continue
                crew = await self._crew(uow, swarm)
                # The reasons each expert was asked for were written to the timeline when the swarm was saved.
                reasons = {
                    e.person_id: tuple(e.text.split(" · "))
                    for e in await uow.swarms.timeline(_id(swarm))
                    if e.kind is EventKind.INVITED and e.text
                }
                experts = [p for m, p in crew.members if m.role is Role.EXPERT]
                matches = tuple(Match(p, 0.0, reasons.get(p.id, ())) for p in experts)
                ranking = Ranking(matches=matches, skills=(), uncovered=())
                result.append(Opened(crew, ranking))
            return result

    async def set_summary(self, swarm_id: int, message_id: str, *, in_thread: bool = False) -> None:
        """Records a closing summary as posted: in the room, or under the announcement."""
        async with self.store.unit() as uow:
            swarm = await self._by_id(uow, swarm_id)
            if in_thread:
                swarm.thread_summary_id = message_id
            else:
                swarm.summary_id = message_id
            await uow.swarms.save(swarm)
            await uow.commit()

    async def set_closed(self, swarm_id: int) -> None:
        """Every closing post is made: nothing is left for `unclosed` to finish."""
        async with self.store.unit() as uow:
            swarm = await self._by_id(uow, swarm_id)
            if swarm.closing:
                swarm.closing = False
                await uow.swarms.save(swarm)
            await uow.commit()

    async def unclosed(self, workspace: str, settle: timedelta = timedelta(0)) -> list[Closing]:
        """Swarms closed at least `settle` ago whose closing posts were interrupted, to be finished now (younger ones
        may still be posting in another process)."""
        before = self.clock() - settle
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            result = []
            for swarm in await uow.swarms.list(ws.id, closing=True):
                if swarm.status.is_active:
                    continue
                timeline = await uow.swarms.timeline(_id(swarm))
                closed = next(
                    (e for e in reversed(timeline) if e.kind in (EventKind.RESOLVED, EventKind.CANCELLED)), None
                )
                if closed is None or (settle and closed.at > before):
                    continue
                crew = await self._crew(uow, swarm)
                by = crew.owner
                if closed.person_id is not None:
                    by = (await uow.people.many({closed.person_id})).get(closed.person_id, by)
                outcome = await self._outcome(uow, crew, timeline, by)
                if outcome is None:
                    # Its article is gone (deleted by hand, say): nothing to say in a summary, and asking every tick
                    # would not change that.
                    log.warning("swarm %s: closed, but nothing left to rebuild its summary from", swarm.number)
                    swarm.closing = False
                    await uow.swarms.save(swarm)
                    continue
                result.append(Closing(outcome, by, closed.at))
            await uow.commit()
            return result

    async def _outcome(
        self, uow: UnitOfWork, crew: Crew, timeline: list[TimelineEntry], by: Person
    ) -> Resolved | Reused | Acted | None:
        """What closed the swarm, rebuilt from what was saved when it closed."""
        swarm = crew.swarm
        if swarm.status is SwarmStatus.CANCELLED:
            return Acted(crew, by)
        own = await uow.articles.by_swarm(_id(swarm))
        if resolved_by_reuse(swarm, timeline, own):
            linked = [e.text for e in timeline if e.kind is EventKind.LINKED]
            number = int(linked[-1]) if linked and linked[-1].isdecimal() else None
            article = await uow.articles.get(swarm.workspace_id, number) if number is not None else None
            return None if article is None else Reused(crew, article, resolved=True)
        if own is None or swarm.created_at is None or swarm.resolved_at is None:
            return None
        speakers = await _speakers(uow, crew, timeline)
        return Resolved(crew, own, swarm.resolved_at - swarm.created_at, tuple(speakers))

    # -- membership ---------------------------------------------------------------------------------------------

    async def join(
        self, actor: Actor, number: int | None, channel: str, role: Role = Role.HELPER, via: Via = Via.COMMAND
    ) -> Change:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            return await self._join(uow, scope, swarm, role, via)

    async def join_by_message(self, actor: Actor, message_id: str, role: Role, via: Via) -> Change | None:
        """Joins through a reaction or button on the swarm's announcement; None if the message is no announcement."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await uow.swarms.by_announcement(scope.workspace_id, message_id)
            if swarm is None:
                await uow.commit()
                return None
            return await self._join(uow, scope, swarm, role, via)

    async def _join(self, uow: UnitOfWork, scope: Scope, swarm: Swarm, role: Role, via: Via) -> Change:
        if not swarm.status.is_active:
            raise await self._closed(uow, swarm, scope)
        assert swarm.id is not None
        now = self.clock()
        member = await self._member(uow, swarm, scope.person_id)
        if member is not None and member.active:
            await uow.commit()
            return Change(await self._crew(uow, swarm), scope.person, changed=False)
        if member is None:
            member = Member(swarm.id, scope.person_id, role, via, invited_at=now)
        member.role = member.role if member.role in (Role.OWNER, Role.EXPERT) else role
        member.via, member.joined_at, member.left_at = via, now, None
        await uow.swarms.save_member(member)
        await self._log(uow, swarm, EventKind.JOINED, scope.person_id, member.role.value)
        crew = await self._crew(uow, swarm)
        await uow.commit()
        return Change(crew, scope.person)

    async def join_many(self, joins: Sequence[Joining]) -> Joins:
        """`join_by_message` for a run of joins, in one transaction: their deliveries claimed with them (a retried one
        is skipped), the people looked up at once, each swarm's members and crew read once."""
        if not joins:
            return Joins()
        async with self.store.unit() as uow:
            workspace = await uow.workspaces.ensure(joins[0].actor.workspace)
            joins = await _first_deliveries(uow, workspace.id, joins, self.clock())
            scopes = await identify_all(uow, workspace, [j.actor for j in joins])
            swarms = await uow.swarms.by_announcements(workspace.id, [j.announcement for j in joins])
            active = [_id(swarm) for swarm in swarms.values() if swarm.status.is_active]
            members = {i: {m.person_id: m for m in found} for i, found in (await uow.swarms.members_of(active)).items()}
            done: list[tuple[Swarm, Person, bool]] = []
            refused: list[tuple[Joining, UserError]] = []
            entries: list[TimelineEntry] = []
            saved: list[Member] = []
            now = self.clock()
            for join in joins:
                swarm, scope = swarms.get(join.announcement), scopes[join.actor.user_id]
                if swarm is None:
                    continue
                if not swarm.status.is_active:
                    refused.append((join, await self._closed(uow, swarm, scope)))
                    continue
                member = members[_id(swarm)].get(scope.person_id)
                if member is not None and member.active:
                    done.append((swarm, scope.person, False))
                    continue
                if member is None:
                    member = Member(_id(swarm), scope.person_id, join.role, join.via, invited_at=now)
                member.role = member.role if member.role in (Role.OWNER, Role.EXPERT) else join.role
                member.via, member.joined_at, member.left_at = join.via, now, None
                members[_id(swarm)][scope.person_id] = member
                saved.append(member)
                entries.append(TimelineEntry(_id(swarm), EventKind.JOINED, now, scope.person_id, member.role.value))
                done.append((swarm, scope.person, True))
            await uow.swarms.save_members(saved)
            await uow.swarms.add_entries(entries)
            joined = list({_id(swarm): swarm for swarm, _, _ in done}.values())
            # The members read above, as this run left them: a new one was added last, as the table orders them.
            crew_members = {_id(swarm): list(members[_id(swarm)].values()) for swarm in joined}
            crews = {_id(crew.swarm): crew for crew in await crews_of(uow, joined, crew_members)}
            await uow.commit()
        return Joins(tuple(Change(crews[_id(s)], p, changed) for s, p, changed in done), tuple(refused))

    async def leave(self, actor: Actor, number: int | None, channel: str) -> Change:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            return await self._leave(uow, scope, swarm)

    async def leave_by_message(self, actor: Actor, message_id: str, roles: tuple[Role, ...]) -> Change | None:
        """Leaves through a removed reaction; only a member whose role that reaction gave leaves, others stay."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await uow.swarms.by_announcement(scope.workspace_id, message_id)
            member = None if swarm is None else await self._member(uow, swarm, scope.person_id)
            if swarm is None or not swarm.status.is_active or member is None or member.role not in roles:
                await uow.commit()
                return None
            return await self._leave(uow, scope, swarm)

    async def _leave(self, uow: UnitOfWork, scope: Scope, swarm: Swarm) -> Change:
        _ensure_active(swarm)
        member = await self._member(uow, swarm, scope.person_id)
        if member is None or not member.active:
            raise UserError("not_a_member", number=swarm.number)
        if member.role is Role.OWNER:
            raise UserError("owner_cannot_leave", number=swarm.number)
        member.left_at = self.clock()
        await uow.swarms.save_member(member)
        await self._log(uow, swarm, EventKind.LEFT, scope.person_id)
        crew = await self._crew(uow, swarm)
        await uow.commit()
        return Change(crew, scope.person)

    async def invite(self, actor: Actor, number: int | None, channel: str, who: list[str]) -> Invited:
        if not who:
            raise UserError("invite_whom")
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            assert swarm.id is not None
            await self._ensure(uow, Action.INVITE, await self._crew(uow, swarm), scope)
            people = [p for text in who for p in await find_people(uow, scope.workspace_id, text)]
            now = self.clock()
            changes = []
            for person in people:
                assert person.id is not None
                member = await self._member(uow, swarm, person.id)
                if member is not None and member.active:
                    changes.append(Change(await self._crew(uow, swarm), person, changed=False))
                    continue
                member = member or Member(swarm.id, person.id, Role.HELPER, Via.INVITE)
                member.invited_at, member.joined_at, member.left_at = now, now, None
                await uow.swarms.save_member(member)
                await self._log(uow, swarm, EventKind.INVITED, person.id, f"by {scope.person.name}")
                changes.append(Change(await self._crew(uow, swarm), person))
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return Invited(crew, scope.person, tuple(changes))

    async def hand_over(self, actor: Actor, number: int | None, channel: str, who: str) -> HandOver:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            assert swarm.id is not None
            before = await self._crew(uow, swarm)
            await self._ensure(uow, Action.HAND_OVER, before, scope)
            new_owner = await find_person(uow, scope.workspace_id, who)
            assert new_owner.id is not None
            if new_owner.id == swarm.owner_id:
                raise UserError("already_owner", number=swarm.number)
            now = self.clock()
            # The owner so far, who may not be the one handing over (a lead may hand over any swarm).
            previous = await self._member(uow, swarm, swarm.owner_id)
            if previous is not None:
                previous.role = Role.HELPER
                await uow.swarms.save_member(previous)
            member = await self._member(uow, swarm, new_owner.id) or Member(
                swarm.id, new_owner.id, Role.OWNER, Via.COMMAND, invited_at=now
            )
            member.role, member.left_at = Role.OWNER, None
            member.joined_at = member.joined_at or now
            await uow.swarms.save_member(member)
            swarm.owner_id = new_owner.id
            await uow.swarms.save(swarm)
            await self._log(uow, swarm, EventKind.OWNER_CHANGED, new_owner.id, f"from {before.owner.name}")
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return HandOver(crew, before.owner, new_owner)

    # -- invitations --------------------------------------------------------------------------------------------

    async def answer(self, actor: Actor, number: int | None, channel: str, accepted: bool) -> Answered:
        """An invited expert's "I can help" or "Can't now". A decline asks the next-best person instead."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            member = await self._member(uow, swarm, scope.person_id)
            if member is None or member.via is not Via.MATCH or member.invited_at is None:
                joined = member is not None and member.active
                raise UserError("not_asked_member" if joined else "not_asked", number=swarm.number)
            if not member.pending:
                crew = await self._crew(uow, swarm)
                await uow.commit()
                return Answered(crew, scope.person, member.declined_at is None, changed=False)
            result = await self._answer(uow, swarm, member, scope.person, accepted)
            await uow.commit()
            return result

    async def lapse(self, workspace: str) -> list[Answered]:
        """Invitations nobody answered within the policy's timeout count as "can't now"; the next-best is asked."""
        now = self.clock()
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            # Only the unanswered invitations are read, in one query: a tick must not walk every open swarm.
            unanswered = await uow.swarms.unanswered(ws.id, now - self.policy.expert_timeout + MOMENT)
            await uow.commit()
        results = []
        for lapsed in unanswered:
            # One transaction each: a backlog of lapses (asking someone else is a ranking each) must not hold the
            # database (SQLite's one writer) for the whole round.
            async with self.store.unit() as uow:
                swarm = await self._by_id(uow, lapsed.swarm_id)
                member = await self._member(uow, swarm, lapsed.person_id)
                person = await uow.people.get(lapsed.person_id)
                if member is None or not member.pending or person is None or swarm.status is not SwarmStatus.OPEN:
                    continue  # answered, or the swarm closed, since the list was read
                results.append(await self._answer(uow, swarm, member, person, False, "no answer"))
                await uow.commit()
        return results

    async def _answer(
        self, uow: UnitOfWork, swarm: Swarm, member: Member, person: Person, accepted: bool, note: str = ""
    ) -> Answered:
        now = self.clock()
        if accepted:
            member.joined_at = now
            await uow.swarms.save_member(member)
            await self._log(uow, swarm, EventKind.ACCEPTED, member.person_id)
            if swarm.first_expert_reply_at is None and is_expert_for(swarm, member, person):
                swarm.first_expert_reply_at = now
                await uow.swarms.save(swarm)
            return Answered(await self._crew(uow, swarm), person, True)
        member.declined_at = now
        await uow.swarms.save_member(member)
        await self._log(uow, swarm, EventKind.DECLINED, member.person_id, note)
        replacement = None
        if member.role is Role.EXPERT:
            replacement = await self._replace(uow, swarm)
        return Answered(await self._crew(uow, swarm), person, False, replacement, lapsed=bool(note))

    async def _replace(self, uow: UnitOfWork, swarm: Swarm) -> Match | None:
        """The best person not yet asked for the skills nobody active or asked covers any more."""
        members = await uow.swarms.members(_id(swarm))
        ranking = await self._rank(
            uow, swarm.workspace_id, swarm.case, swarm.owner_id, exclude=[m.person_id for m in members]
        )
        people = {m.person_id for m in members if m.active or m.pending}
        index = await self.indexes.get(uow, swarm.workspace_id, self.clock())
        covered = {
            s for pid in people if pid in index.people for s in swarm.skills if index.level(index.people[pid], s)[0]
        }
        needed = [s for s in swarm.skills if s not in covered]
        pick = next((m for m in ranking.matches if set(m.skills) & set(needed)), None)
        if pick is None and not swarm.skills and not any(m.role is Role.EXPERT for m in members if m.active):
            pick = ranking.matches[0] if ranking.matches else None
        if pick is None or pick.person.id is None:
            return None
        await uow.swarms.save_member(
            Member(_id(swarm), pick.person.id, Role.EXPERT, Via.MATCH, invited_at=self.clock())
        )
        await self._log(uow, swarm, EventKind.INVITED, pick.person.id, " · ".join(pick.reasons))
        return pick

    async def feedback(self, actor: Actor, number: int, person_id: int, good: bool) -> Crew:
        """The owner's 👍 / 👎 on a match, which teaches the matcher; the last word counts."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, "")
            await self._ensure(uow, Action.RATE_MATCH, await self._crew(uow, swarm), scope)
            member = await self._member(uow, swarm, person_id)
            if member is None or member.via is not Via.MATCH:
                raise UserError("not_a_match", number=swarm.number)
            await self._log(uow, swarm, EventKind.FEEDBACK, person_id, "good" if good else "bad")
            self.indexes.invalidate(swarm.workspace_id)
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return crew

    # -- the room -----------------------------------------------------------------------------------------------

    async def record_messages(self, channel: str, messages: Sequence[RoomMessage]) -> Recorded:
        """Keeps room messages in the swarm's timeline, a run of them in one transaction. A message is kept once: the
        timeline knows each room message by its id, so a retried delivery, or a message already kept, changes
        nothing. Nothing is kept for a channel that is no active swarm's room. Says how many were kept, and the
        crew when a speaker came into the swarm by speaking (or answered an invitation so)."""
        said: dict[str, RoomMessage] = {}  # by message id, the first delivery of each
        for message in messages:
            if message.text.strip():
                said.setdefault(message.message_id, message)
        if not said:
            return Recorded(0)
        async with self.store.unit() as uow:
            workspace = await uow.workspaces.ensure(next(iter(said.values())).actor.workspace)
            swarm = await uow.swarms.by_room(workspace.id, channel)
            if swarm is None or not swarm.status.is_active:
                await uow.commit()
                return Recorded(0)
            speakers = await identify_all(uow, workspace, [m.actor for m in said.values()])
            now = self.clock()
            kept = await uow.swarms.add_messages(
                TimelineEntry(_id(swarm), EventKind.MESSAGE, now, speakers[m.actor.user_id].person_id, m.text, id_)
                for id_, m in said.items()
            )
            spoke = {
                speakers[m.actor.user_id].person_id: speakers[m.actor.user_id]
                for m in said.values()
                if m.message_id in kept
            }
            changed = False
            if spoke:
                members = {m.person_id: m for m in await uow.swarms.members(_id(swarm))}
                for person_id, scope in spoke.items():
                    member = members.get(person_id)
                    if member is None or not (member.active or member.pending) or member.role is Role.OBSERVER:
                        # Talking in the room is taking part: the speaker is a member, shown and counted as one.
                        member = await self._speaker_joins(uow, swarm, member, person_id, now)
                        changed = True
                    elif member.pending:
                        # Speaking up in the room is the clearest "I can help".
                        await self._answer(uow, swarm, member, scope.person, True)
                        changed = True
                    if swarm.first_expert_reply_at is None and is_expert_for(swarm, member, scope.person):
                        swarm.first_expert_reply_at = now
                        await uow.swarms.save(swarm)
            crew = await self._crew(uow, swarm) if changed else None
            await uow.commit()
            return Recorded(len(kept), crew)

    async def _speaker_joins(
        self, uow: UnitOfWork, swarm: Swarm, member: Member | None, person_id: int, now: datetime
    ) -> Member:
        """Someone who spoke in the room and was not taking part (never a member, gone, declined or only following)
        joins as a helper, through their message; an expert or learner keeps their seat."""
        if member is None:
            member = Member(_id(swarm), person_id, Role.HELPER, Via.MESSAGE, invited_at=now)
        if member.role is Role.OBSERVER:
            member.role = Role.HELPER
        member.via, member.joined_at, member.left_at = Via.MESSAGE, now, None
        await uow.swarms.save_member(member)
        await self._log(uow, swarm, EventKind.JOINED, person_id, member.role.value)
        return member

    async def mark_solution(self, actor: Actor, channel: str, message_id: str, marked: bool) -> Marked | None:
        """✅ on a room message marks it as (part of) the fix; removing the ✅ takes the mark back."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await uow.swarms.by_room(scope.workspace_id, channel)
            if swarm is None:
                await uow.commit()
                return None
            _ensure_active(swarm)
            message = await uow.swarms.entry_by_message(_id(swarm), message_id)
            if message is None or message.kind is not EventKind.MESSAGE:
                await uow.commit()
                return None
            await self._ensure(uow, Action.MARK_FIX, await self._crew(uow, swarm), scope)
            kind = EventKind.SOLUTION if marked else EventKind.SOLUTION_REMOVED
            # The suffix keeps entry_by_message() pointing at the message itself, not at its marks.
            entry = await self._log(uow, swarm, kind, scope.person_id, message.text, f"{message_id}:mark")
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return Marked(crew, replace(entry, message_id=message_id), marked)

    async def edit_message(self, workspace: str, channel: str, message_id: str, words: str) -> Retracted | None:
        """Follows an edit of a room message: the timeline and its ✅ marks say the new words, and so the summary and
        the article drafted from them; where the swarm's records copied the old words whole (its resolution, the
        resolve's timeline entry, its article: a new version, and a validated article goes back to draft, as any edit
        of it does) they say the new ones. None if the swarm's timeline did not keep the message."""
        return await self._retract(workspace, channel, message_id, words)

    async def delete_message(self, workspace: str, channel: str, message_id: str) -> Retracted | None:
        """Forgets a deleted room message everywhere Swarm copied its words: the timeline and its ✅ marks, the
        swarm's resolution and every other timeline entry (the resolve's), and its article in any state, every kept
        version included (a pasted secret someone deleted must not be published). None as `edit_message` says."""
        return await self._retract(workspace, channel, message_id, None)

    async def _retract(self, workspace: str, channel: str, message_id: str, words: str | None) -> Retracted | None:
        """An edit (`words`, the words now) or a deletion (None) of a room message."""
        async with self.store.unit() as uow:
            space = await uow.workspaces.get(workspace)
            swarm = None if space is None else await uow.swarms.by_room(space.id, channel)
            message = None if swarm is None else await uow.swarms.entry_by_message(_id(swarm), message_id)
            if swarm is None or message is None or message.kind is not EventKind.MESSAGE:
                await uow.commit()
                return None
            if words is None:
                await uow.swarms.remove_message(_id(swarm), message_id)
                change: Callable[[str], str] = partial(retraction.without, gone=message.text)
            else:
                await uow.swarms.rewrite_message(_id(swarm), message_id, words)
                change = partial(retraction.rewritten, before=message.text, after=words)
            await uow.swarms.rewrite_entries(_id(swarm), change)
            article = await uow.articles.by_swarm(_id(swarm))
            if article is not None:
                issue = change(article.issue)
                scrubbed = replace(
                    article,
                    title=change(article.title) or knowledge.title_for(issue or swarm.case.text),
                    issue=issue,
                    environment=change(article.environment),
                    resolution=change(article.resolution),
                    cause=change(article.cause),
                )
                if scrubbed != article:
                    if words is not None:
                        # Words nobody checked: back to draft until validated again, as any edit of an article.
                        state = ArticleState.DRAFT if article.state is ArticleState.VALIDATED else article.state
                        scrubbed = replace(scrubbed, state=state, updated_at=self.clock())
                    await uow.articles.save(scrubbed)
                    if words is not None:
                        await uow.versions.add(scrubbed, message.person_id, "edited: a room message it quoted")
                if words is None and article.id is not None:
                    await uow.versions.rewrite(article.id, change)
            if swarm.resolution and change(swarm.resolution) != swarm.resolution:
                swarm.resolution = change(swarm.resolution)
                await uow.swarms.save(swarm)
            crew = await self._crew(uow, swarm)
            resolved = None
            if swarm.status is SwarmStatus.RESOLVED:
                # Who resolved it is not said in a resolve's summary: the owner stands in.
                outcome = await self._outcome(uow, crew, await uow.swarms.timeline(_id(swarm)), crew.owner)
                resolved = outcome if isinstance(outcome, Resolved) else None
            await uow.commit()
        if not swarm.status.is_active:
            self.indexes.invalidate(swarm.workspace_id)  # the history the matcher learns from changed
        return Retracted(crew, resolved)

    # -- closing ------------------------------------------------------------------------------------------------

    async def draft(self, actor: Actor, number: int | None, channel: str) -> Draft:
        """The article as it would be saved now, for the resolver to edit first. Saves nothing."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            crew = await self._crew(uow, swarm)
            await self._ensure_may_resolve_or_propose(uow, crew, scope)
            timeline = await uow.swarms.timeline(_id(swarm))
            speakers = await _speakers(uow, crew, timeline)
            await uow.commit()
        marked = solutions(timeline)
        article = knowledge.draft_article(
            swarm,
            resolution="" if marked else "\n".join(knowledge.summarize(room_messages(timeline))),
            cause="",
            solutions=marked,
            contributors=contributors(crew, timeline, speakers),
            require_resolution=False,
        )
        article.environment = knowledge.environment_from(swarm.case, room_messages(timeline))
        return Draft(crew, article)

    async def resolve(
        self,
        actor: Actor,
        channel: str,
        resolution_text: str,
        number: int | None = None,
        edits: knowledge.ArticleEdits | None = None,
    ) -> Resolved:
        """Closes the swarm and saves its article: from the resolve text and the ✅ marks, or as the resolver edited."""
        resolution, cause = text.split_cause(resolution_text.strip())
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            crew = await self._crew(uow, swarm)
            await self._ensure(uow, Action.RESOLVE, crew, scope)
            timeline = await uow.swarms.timeline(_id(swarm))
            speakers = await _speakers(uow, crew, timeline)
            marked = [] if edits is not None else solutions(timeline)
            if edits is None and not resolution and not marked:
                # Nobody said what fixed it: the room did; its sentences that sound like the fix are the draft.
                resolution = "\n".join(knowledge.summarize(room_messages(timeline)))
            article = knowledge.draft_article(
                swarm,
                resolution=edits.resolution if edits is not None else resolution,
                cause=cause,
                solutions=marked,
                contributors=contributors(crew, timeline, speakers),
            )
            article.environment = knowledge.environment_from(swarm.case, room_messages(timeline))
            if edits is not None:
                article = knowledge.apply_edits(article, edits)
            now = self.clock()
            started = await uow.articles.by_swarm(_id(swarm))
            if started is not None and started.state is ArticleState.WIP:
                # The work-in-progress article opened with the swarm becomes the draft: same number, same links.
                article = replace(article, id=started.id, number=started.number, created_at=started.created_at)
                article.updated_at = now
                await uow.articles.save(article)
            else:
                article.number = await uow.workspaces.next_article_number(scope.workspace_id)
                article.created_at = article.updated_at = now
                article = await uow.articles.add(article)
                assert article.id is not None
                await uow.articles.link(_id(swarm), article.id, "created")
            await uow.versions.add(article, scope.person_id, f"drafted at the resolve of swarm {swarm.number}")
            swarm.status, swarm.resolved_at, swarm.resolution = SwarmStatus.RESOLVED, now, article.resolution
            swarm.closing, swarm.closings = True, swarm.closings + 1
            await uow.swarms.save(swarm)
            await self._log(uow, swarm, EventKind.RESOLVED, scope.person_id, article.resolution)
            crew = await self._crew(uow, swarm)
            await uow.commit()
        self.indexes.invalidate(swarm.workspace_id)
        assert swarm.created_at is not None
        return Resolved(crew, article, now - swarm.created_at, tuple(speakers))

    async def reuse(
        self, actor: Actor, channel: str, article_number: int, number: int | None = None, solved: bool = False
    ) -> Reused:
        """Links a known article to the swarm (`/swarm link`); with solved=True it also resolves the swarm by reuse:
        the case was known, nobody needed to swarm on it."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            crew = await self._crew(uow, swarm)
            await self._ensure(uow, Action.RESOLVE if solved else Action.LINK, crew, scope)
            article = await uow.articles.get(scope.workspace_id, article_number)
            own = await uow.articles.by_swarm(_id(swarm))
            if article is not None and own is not None and own.id == article.id:
                raise UserError("own_article", number=article_number)
            if article is None or article.state is ArticleState.WIP:
                raise UserError("unknown_article", number=article_number)
            now = self.clock()
            timeline = await uow.swarms.timeline(_id(swarm))
            linked = any(e.kind is EventKind.LINKED and e.text == str(article.number) for e in timeline)
            if not linked:
                assert article.id is not None
                await uow.articles.link(_id(swarm), article.id, "reused")
                article.reuse_count += 1
                # The case in its requester's words: the next one asked that way finds the article.
                article.asked = knowledge.asked_again(article, swarm.case.text)
                article.updated_at = now
                await uow.articles.save(article)
                await self._log(uow, swarm, EventKind.LINKED, scope.person_id, str(article.number))
            if solved:
                if own is not None and own.state is ArticleState.WIP:
                    # The known article is the answer; a second copy of it would only compete in search.
                    own.state, own.updated_at = ArticleState.ARCHIVED, now
                    await uow.articles.save(own)
                    await uow.versions.add(own, scope.person_id, f"solved by article {article.number}")
                swarm.status, swarm.resolved_at = SwarmStatus.RESOLVED, now
                swarm.resolution = f"Solved by article {article.number}: {article.title}"
                swarm.closing, swarm.closings = True, swarm.closings + 1
                await uow.swarms.save(swarm)
                await self._log(uow, swarm, EventKind.RESOLVED, scope.person_id, swarm.resolution)
            crew = await self._crew(uow, swarm)
            await uow.commit()
        if solved:
            self.indexes.invalidate(swarm.workspace_id)
        return Reused(crew, article, solved, changed=solved or not linked)

    async def cancel(self, actor: Actor, channel: str, reason: str, number: int | None = None) -> Acted:
        """Closes the swarm without an article; whoever cancels says why, and the room and the timeline keep it."""
        reason = reason.strip()
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            await self._ensure(uow, Action.CANCEL, await self._crew(uow, swarm), scope)
            if not reason:
                raise UserError("cancel_why", number=swarm.number)
            swarm.status, swarm.cancel_reason = SwarmStatus.CANCELLED, reason
            swarm.closing, swarm.closings = True, swarm.closings + 1
            await uow.swarms.save(swarm)
            started = await uow.articles.by_swarm(_id(swarm))
            if started is not None and started.state is ArticleState.WIP:
                # Nothing was learned that should wait for a fix: its work in progress goes with it, until a reopen.
                started.state, started.updated_at = ArticleState.ARCHIVED, self.clock()
                await uow.articles.save(started)
                await uow.versions.add(started, scope.person_id, f"swarm {swarm.number} cancelled")
            await self._log(uow, swarm, EventKind.CANCELLED, scope.person_id, reason)
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return Acted(crew, scope.person)

    async def reopen(self, actor: Actor, number: int | None, channel: str) -> Acted:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            if swarm.status.is_active:
                raise UserError("already_open", number=swarm.number)
            await self._ensure(uow, Action.REOPEN, await self._crew(uow, swarm), scope)
            was_cancelled = swarm.status is SwarmStatus.CANCELLED
            swarm.status, swarm.resolved_at, swarm.cancel_reason = SwarmStatus.OPEN, None, None
            swarm.resolution = None  # a fix that did not hold; the timeline keeps it
            # Closing again posts a new summary; one interrupted before the reopen is not finished any more.
            swarm.closing, swarm.summary_id, swarm.thread_summary_id = False, None, None
            await uow.swarms.save(swarm)
            article = await uow.articles.by_swarm(_id(swarm))
            # A fix that did not hold should not be served to the next agent; work in progress archived with a cancel
            # is the swarm's work in progress again.
            archived_with_it = was_cancelled and article is not None and article.state is ArticleState.ARCHIVED
            if article is not None and (article.state is ArticleState.DRAFT or archived_with_it):
                article.state, article.updated_at = ArticleState.WIP, self.clock()
                await uow.articles.save(article)
                await uow.versions.add(article, scope.person_id, f"swarm {swarm.number} reopened")
            await self._log(uow, swarm, EventKind.REOPENED, scope.person_id)
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return Acted(crew, scope.person)

    async def proposal(
        self, actor: Actor, channel: str, resolution_text: str, number: int | None = None
    ) -> Proposal | None:
        """None if the person may resolve the swarm themselves (its owner, a lead or admin); a member's resolve is a
        proposal for the owner to confirm; anyone else is refused."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            _ensure_active(swarm)
            crew = await self._crew(uow, swarm)
            await self._ensure_may_resolve_or_propose(uow, crew, scope)
            await uow.commit()
        if may(Action.RESOLVE, standing(crew, scope)):
            return None
        return Proposal(crew, scope.person, resolution_text.strip())

    # -- reading ------------------------------------------------------------------------------------------------

    async def status(self, actor: Actor, number: int | None, channel: str) -> tuple[Crew, list[TimelineEntry]]:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            crew = await self._crew(uow, swarm)
            timeline = await uow.swarms.timeline(_id(swarm))
            await uow.commit()
            return crew, timeline

    async def ticket_changed(self, workspace: str, system: str, ticket_id: str, status: str) -> Crew | None:
        """The ticket system says a ticket's status is now `status` (a webhook): every swarm linked to it keeps it; the
        active one, if its status changed, comes back for its room to be told (None: nothing to tell, such as the
        same delivery twice)."""
        status = status.strip().lower()
        async with self.store.unit() as uow:
            found = await uow.workspaces.get(workspace)
            if found is None or not status:
                return None
            told = None
            for swarm in await uow.swarms.by_ticket(found.id, system, ticket_id):
                if swarm.ticket is None or swarm.ticket.status == status:
                    continue
                swarm.ticket = replace(swarm.ticket, status=status)
                await uow.swarms.save(swarm)
                if swarm.status.is_active and told is None:
                    told = await self._crew(uow, swarm)
            await uow.commit()
            return told

    async def ticket_priority(self, workspace: str, system: str, ticket_id: str, severity: int) -> Crew | None:
        """The ticket's priority changed in its system: the active swarm linked to it takes the severity it maps to;
        it comes back when that changed its severity (None: no active swarm, or the severity it had)."""
        async with self.store.unit() as uow:
            swarm = await _active_for_ticket(uow, workspace, system, ticket_id)
            if swarm is None or swarm.case.severity == severity:
                return None
            swarm.case = replace(swarm.case, severity=severity)
            await uow.swarms.save(swarm)
            crew = await self._crew(uow, swarm)
            await uow.commit()
            return crew

    async def fix_marked(self, swarm_id: int) -> bool:
        """Whether someone marked a room message as the fix (✅): a resolve would have the words of its article."""
        async with self.store.unit() as uow:
            return bool(solutions(await uow.swarms.timeline(swarm_id)))

    async def for_ticket(self, workspace: str, system: str, ticket_id: str) -> Crew | None:
        """The active swarm linked to a ticket, or None."""
        async with self.store.unit() as uow:
            swarm = await _active_for_ticket(uow, workspace, system, ticket_id)
            return None if swarm is None else await self._crew(uow, swarm)

    async def list_open(self, actor: Actor) -> list[Crew]:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarms = await uow.swarms.list(scope.workspace_id, statuses=[SwarmStatus.OPENING, SwarmStatus.OPEN])
            crews = [await self._crew(uow, s) for s in swarms]
            await uow.commit()
            return crews

    async def mine(self, actor: Actor) -> list[Crew]:
        """The open swarms the person is in, newest first."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            active = [SwarmStatus.OPENING, SwarmStatus.OPEN]
            swarms = await uow.swarms.list(scope.workspace_id, statuses=active, member_id=scope.person_id)
            crews = [await self._crew(uow, s) for s in swarms]
            await uow.commit()
            return crews

    async def crew(self, swarm_id: int) -> Crew:
        async with self.store.unit() as uow:
            return await self._crew(uow, await self._by_id(uow, swarm_id))

    async def experts(self, workspace: str, case_text: str, requester: Actor | None = None) -> Ranking:
        """Who would be asked for this case, or for these #skills alone, and why. Opens nothing."""
        case = text.parse_case(case_text, tags_alone=True)
        async with self.store.unit() as uow:
            if requester is not None:
                scope = await identify(uow, requester)
                workspace_id, requester_id = scope.workspace_id, scope.person_id
            else:
                workspace_id, requester_id = (await uow.workspaces.ensure(workspace)).id, None
            ranking = await self._rank(uow, workspace_id, case, requester_id)
            await uow.commit()
            return ranking

    async def stats(self, workspace: str) -> SwarmStats:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            swarms = await uow.swarms.list(ws.id)
            await uow.commit()
            return swarm_stats(swarms)

    # -- helpers ------------------------------------------------------------------------------------------------

    async def _rank(
        self, uow: UnitOfWork, workspace_id: int, case: Case, requester_id: int | None, exclude: Collection[int] = ()
    ) -> Ranking:
        now = self.clock()
        index = await self.indexes.get(uow, workspace_id, now)
        load = await uow.people.active_swarm_counts(workspace_id)
        invitations = await self.indexes.invitations(uow, workspace_id, now, self.policy.fairness_window)
        return index.rank(
            case,
            now,
            requester_id=requester_id,
            load=load,
            limit=self.policy.experts_per_swarm,
            exclude=exclude,
            invitations=invitations,
        )

    async def _crew(self, uow: UnitOfWork, swarm: Swarm) -> Crew:
        return await load_crew(uow, swarm)

    async def _closed(self, uow: UnitOfWork, swarm: Swarm, scope: Scope) -> UserError:
        """Why a closed swarm cannot be joined, and who can bring it back: reopening is not a member's to do."""
        crew = await self._crew(uow, swarm)
        if may(Action.REOPEN, standing(crew, scope)):
            return UserError("swarm_closed", number=swarm.number, status=swarm.status.value)
        return UserError("closed_reopen_by", number=swarm.number, status=swarm.status.value, owner=crew.owner.name)

    async def _ensure(self, uow: UnitOfWork, action: Action, crew: Crew, scope: Scope) -> None:
        """Refuses, naming who can, unless the person may do `action` to the swarm (bot/permissions.py)."""
        await ensure(uow, action, standing(crew, scope), crew.owner, number=crew.swarm.number)

    async def _ensure_may_resolve_or_propose(self, uow: UnitOfWork, crew: Crew, scope: Scope) -> None:
        """A member may propose resolving; anyone else must be allowed to resolve, or is refused as for resolving."""
        if not may(Action.PROPOSE_RESOLVE, standing(crew, scope)):
            await self._ensure(uow, Action.RESOLVE, crew, scope)

    async def _member(self, uow: UnitOfWork, swarm: Swarm, person_id: int) -> Member | None:
        return next((m for m in await uow.swarms.members(_id(swarm)) if m.person_id == person_id), None)

    async def _by_id(self, uow: UnitOfWork, swarm_id: int) -> Swarm:
        swarm = await uow.swarms.by_id(swarm_id)
        if swarm is None:
            raise LookupError(f"swarm id {swarm_id} does not exist")
        return swarm

    async def _log(
        self,
        uow: UnitOfWork,
        swarm: Swarm,
        kind: EventKind,
        person_id: int | None,
        note: str = "",
        message_id: str | None = None,
    ) -> TimelineEntry:
        entry = TimelineEntry(_id(swarm), kind, self.clock(), person_id, note, message_id)
        return await uow.swarms.add_entry(entry)


KNOWN_STATES = (ArticleState.DRAFT, ArticleState.VALIDATED, ArticleState.WIP)
# "Invited at least the timeout ago" as a strict bound: the timeout itself counts as lapsed.
MOMENT = timedelta(microseconds=1)


async def known_issues(
    uow: UnitOfWork,
    workspace_id: int,
    query: str,
    limit: int = SIMILAR_ARTICLES,
    *,
    states: Sequence[ArticleState] = KNOWN_STATES,
    tags: Sequence[str] = (),
    phrases: Sequence[str] = (),
    nearest: Sequence[tuple[int, float]] | None = None,
) -> list[ArticleHit]:
    """Articles like the case, work in progress included, each wip one with the number of the swarm working on it;
    a wip article whose swarm is no longer open is left out.

    With `nearest` (the articles nearest the query in meaning, from SemanticSearch.nearest), hybrid search: those and
    the keyword hits, fused (bot/semantic.py); without, keyword search. Phrases no article has are searched again
    as plain words: never nothing where the words would find something."""
    hits = []
    if nearest is None:
        found = await uow.articles.search(workspace_id, query, limit=limit, states=states, tags=tags, phrases=phrases)
    else:
        found = await hybrid_search(uow, workspace_id, query, limit, nearest, states=states, tags=tags, phrases=phrases)
    if not found and phrases:
        # No article has the phrase as written: its words, anywhere, rather than nothing.
        words = " ".join([query, *phrases])
        if nearest is None:
            found = await uow.articles.search(workspace_id, words, limit=limit, states=states, tags=tags)
        else:
            found = await hybrid_search(uow, workspace_id, words, limit, nearest, states=states, tags=tags)
    for hit in found:
        swarm = await uow.swarms.by_id(hit.article.swarm_id) if hit.article.swarm_id else None
        if hit.article.state is ArticleState.WIP and (swarm is None or not swarm.status.is_active):
            continue
        hits.append(replace(hit, swarm_number=swarm.number if swarm else None))
    return hits


async def maybe_known(
    uow: UnitOfWork, workspace_id: int, case_text: str, nearest: Sequence[tuple[int, float]] | None = None
) -> list[ArticleHit]:
    """The articles shown on a new case's card: of those like it, only the likely answers (bot/suggestions.py)."""
    hits = await known_issues(uow, workspace_id, case_text, CANDIDATES, nearest=nearest)
    return [s.hit for s in likely_answers(case_text, hits, closeness=dict(nearest or ()))]


async def load_crew(uow: UnitOfWork, swarm: Swarm) -> Crew:
    """The swarm with its owner and members, people loaded in one query."""
    [crew] = await load_crews(uow, [swarm])
    return crew


async def load_crews(uow: UnitOfWork, swarms: Sequence[Swarm]) -> list[Crew]:
    """`load_crew` for many swarms: their members in one query, their people in one."""
    return await crews_of(uow, swarms, await uow.swarms.members_of(_id(swarm) for swarm in swarms))


async def crews_of(uow: UnitOfWork, swarms: Sequence[Swarm], members: Mapping[int, Sequence[Member]]) -> list[Crew]:
    """The swarms' crews from their members (each swarm's in the order they were added), their people in one query."""
    wanted = {m.person_id for each in members.values() for m in each} | {swarm.owner_id for swarm in swarms}
    people = await uow.people.many(wanted)
    return [
        Crew(swarm, people[swarm.owner_id], tuple((m, people[m.person_id]) for m in members[_id(swarm)]))
        for swarm in swarms
    ]


WRITTEN = (ArticleState.DRAFT, ArticleState.VALIDATED)  # an article with a fix of its own


def resolved_by_reuse(swarm: Swarm, timeline: Sequence[TimelineEntry], own: Article | None) -> bool:
    """Resolved by a known article (a deflection): an article was linked and the swarm wrote no fix of its own."""
    linked = any(e.kind is EventKind.LINKED for e in timeline)
    return swarm.status is SwarmStatus.RESOLVED and linked and (own is None or own.state not in WRITTEN)


def ended_at(swarm: Swarm, timeline: Sequence[TimelineEntry]) -> datetime | None:
    """When a closed swarm was (last) resolved or cancelled; None while it is active. What "Took" and "Cancelled
    after" run to, so that the card and status of a closed swarm stop counting."""
    if swarm.status.is_active:
        return None
    kind = EventKind.RESOLVED if swarm.status is SwarmStatus.RESOLVED else EventKind.CANCELLED
    last = next((e.at for e in reversed(timeline) if e.kind is kind), None)
    return swarm.resolved_at or last if swarm.status is SwarmStatus.RESOLVED else last


def is_expert_for(swarm: Swarm, member: Member, person: Person) -> bool:
    """Whether this member's reply ("I can help", or a message in the room) is an expert's, for the first expert
    reply: someone asked as an expert, or anyone whose roster skills include one the case needs. Never the owner
    (the requester answers nobody) nor a learner (they came to learn)."""
    if member.role in (Role.OWNER, Role.LEARNER) or person.id == swarm.owner_id:
        return False
    if member.role is Role.EXPERT:
        return True
    return bool({canonical(s) for s in person.skills} & {canonical(s) for s in swarm.skills})


def solutions(timeline: list[TimelineEntry]) -> list[str]:
    """The texts of the room messages whose latest ✅ mark still stands, in the order they were written."""
    marks: dict[str, bool] = {}
    for entry in timeline:
        if entry.kind in (EventKind.SOLUTION, EventKind.SOLUTION_REMOVED) and entry.message_id:
            marks[entry.message_id.removesuffix(":mark")] = entry.kind is EventKind.SOLUTION
    return [e.text for e in timeline if e.kind is EventKind.MESSAGE and e.message_id and marks.get(e.message_id)]


def room_messages(timeline: list[TimelineEntry]) -> list[str]:
    return [e.text for e in timeline if e.kind is EventKind.MESSAGE and e.text]


def contributors(crew: Crew, timeline: list[TimelineEntry], speakers: Sequence[Person] = ()) -> list[str]:
    """The owner, then whoever spoke in the room or marked the fix, in the order they first did. `speakers` names
    people who spoke without ever joining (a public Slack channel can be joined without Swarm)."""
    names = {p.id: p.name for p in speakers}
    names.update({p.id: p.name for _, p in crew.members})
    names[crew.owner.id] = crew.owner.name
    ordered = [crew.owner.name]
    for entry in timeline:
        if entry.kind in (EventKind.MESSAGE, EventKind.SOLUTION) and entry.person_id in names:
            name = names[entry.person_id]
            if name not in ordered:
                ordered.append(name)
    return ordered


async def _speakers(uow: UnitOfWork, crew: Crew, timeline: list[TimelineEntry]) -> list[Person]:
    """People who spoke in the room or marked its fix without being members."""
    known = {p.id for _, p in crew.members} | {crew.owner.id}
    spoke = {e.person_id for e in timeline if e.kind in (EventKind.MESSAGE, EventKind.SOLUTION) and e.person_id}
    return list((await uow.people.many(spoke - known)).values()) if spoke - known else []


async def _first_deliveries(
    uow: UnitOfWork, workspace_id: int, joins: Sequence[Joining], now: datetime
) -> list[Joining]:
    """The joins whose platform delivery is claimed now, in this unit of work, or that came with none: a retried
    delivery is left out, unless the work that held it died before its effect (its hold ended: bot/deliveries.py)."""
    keys = [join.delivery for join in joins if join.delivery]
    fresh = await uow.processed.claim_many(workspace_id, keys, now) if keys else set()
    return [join for join in joins if join.delivery is None or join.delivery in fresh]


async def _active_for_ticket(uow: UnitOfWork, workspace: str, system: str, ticket_id: str) -> Swarm | None:
    found = await uow.workspaces.get(workspace)
    if found is None:
        return None
    return next((s for s in await uow.swarms.by_ticket(found.id, system, ticket_id) if s.status.is_active), None)


async def _ensure_no_swarm_for(uow: UnitOfWork, workspace_id: int, ticket: TicketLink) -> None:
    """A ticket has one active swarm at a time: a second `/swarm zd:4521` points to the first."""
    for swarm in await uow.swarms.by_ticket(workspace_id, ticket.system, ticket.id):
        if swarm.status.is_active:
            raise UserError("ticket_has_swarm", ticket=ticket.key, number=swarm.number)


def _ensure_active(swarm: Swarm) -> None:
    if not swarm.status.is_active:
        raise UserError("swarm_closed", number=swarm.number, status=swarm.status.value)


def standing(crew: Crew, scope: Scope) -> Standing:
    """Who the person is to the swarm: its owner, a member (in it now), or neither."""
    member = crew.member(scope.person_id)
    owner = crew.swarm.owner_id == scope.person_id
    return Standing(scope.person, owner=owner, member=member is not None and member.active)


def _id(swarm: Swarm) -> int:
    assert swarm.id is not None
    return swarm.id
