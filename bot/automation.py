"""Keeping swarms moving without noise: the room's rolling summary, welcomes for first-time and late joiners,
"still working?" for quiet rooms, a reminder for a fix not yet written down, thank-yous, and the switches that turn
the automated posts off.

Every automated message is claimed under a key before it is sent (`processed`), so a rerun, a retry or a second
scheduler never sends it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import knowledge
from bot.context import Actor, Clock, find_swarm, identify, leading_person, utcnow
from bot.errors import UserError
from bot.expertise import canonical
from bot.models import Article, ArticleState, EventKind, Person, Role, Swarm, SwarmStatus, Thanks, TimelineEntry
from bot.permissions import Action, Standing, ensure
from bot.ports import Store, UnitOfWork
from bot.roster import is_working
from bot.swarms import Crew, Policy, ended_at, load_crew, resolved_by_reuse, room_messages, solutions, standing

# What counts as the room being alive. Invitations and lapses are the bot's doing, not the swarm's.
ACTIVITY = frozenset(
    {
        EventKind.OPENED,
        EventKind.JOINED,
        EventKind.MESSAGE,
        EventKind.SOLUTION,
        EventKind.OWNER_CHANGED,
        EventKind.REOPENED,
        EventKind.ACCEPTED,
        EventKind.LINKED,
        EventKind.SNOOZED,
        EventKind.THANKED,
    }
)
SNOOZE = timedelta(days=1)
# Working time is counted in steps this long; a nudge a few minutes late is no harm.
WORKING_STEP = timedelta(minutes=5)
# Quiet time is not counted further back than this: a room silent for two weeks is simply quiet.
WORKING_HORIZON = timedelta(days=14)
# Reminders about a missing fix stop after this: an old swarm's owner has moved on.
REMINDER_HORIZON = timedelta(days=7)
# Direct messages of one kind (quiet-room nudges, article reminders) per workspace per tick, the longest waiting first:
# a backlog (a first start on a busy database, a long outage) is told over several minutes, not as a flood of DMs
# that buries the owners and meets Slack's rate limits.
NUDGES_PER_TICK = 25
SWITCHES = ("digest", "nudges")
MAX_THANKS_CHARS = 300


@dataclass(frozen=True)
class Summary:
    """What the room's pinned card shows: the case, who is who, what is still missing, what fixed it."""

    crew: Crew
    messages: int
    solutions: tuple[str, ...]
    uncovered: tuple[str, ...]
    linked: tuple[str, ...]  # numbers of the articles linked to the swarm
    last_activity: datetime | None
    ended: datetime | None = None  # when it was resolved or cancelled (swarms.ended_at); None while active


@dataclass(frozen=True)
class Welcome:
    """Private words for someone who just joined: a how-to on their first swarm ever, a catch-up if they are late."""

    summary: Summary
    person: Person
    first_swarm: bool
    tried: tuple[str, ...] = ()  # the room so far, in a few of its own sentences; empty: no catch-up needed

    @property
    def catch_up(self) -> bool:
        return bool(self.tried)


@dataclass(frozen=True)
class Arrivals:
    """After a run of joins, for one swarm: its card as it is now, and what to tell those who joined privately."""

    summary: Summary
    welcomes: tuple[Welcome, ...]


@dataclass(frozen=True)
class Quiet:
    """An open swarm whose room has been silent for too long: its owner is asked what to do."""

    crew: Crew
    silent_for: timedelta  # wall-clock time since the last activity
    key: str


@dataclass(frozen=True)
class Reminder:
    """A resolved swarm whose article still lacks its fix or cause: its owner is reminded once."""

    crew: Crew
    article: Article | None
    key: str


@dataclass(frozen=True)
class Thanked:
    giver: Person
    receiver: Person
    reason: str
    swarm: Swarm | None


@dataclass(frozen=True)
class Switched:
    what: str  # "digest" | "nudges"
    on: bool
    everyone: bool  # the workspace's switch, not the person's
    by: Person
    channel: str | None = None  # the digest's channel, when it was set


def uncovered_skills(crew: Crew) -> tuple[str, ...]:
    """The case's skills that nobody in the room or asked to it has declared."""
    covered = {
        canonical(skill)
        for member, person in crew.members
        if (member.active or member.pending) and member.role is not Role.OBSERVER
        for skill in person.skills
    }
    return tuple(s for s in crew.swarm.skills if canonical(s) not in covered)


def last_activity(timeline: list[TimelineEntry]) -> TimelineEntry | None:
    return next((e for e in reversed(timeline) if e.kind in ACTIVITY), None)


def working_time(person: Person, since: datetime, until: datetime) -> timedelta:
    """How much of [since, until) falls inside the person's working hours (weekdays, their time zone)."""
    start = max(since, until - WORKING_HORIZON)
    if person.working_hours is None:
        return max(until - start, timedelta(0))
    counted, moment = timedelta(0), start
    while moment < until:
        step = min(WORKING_STEP, until - moment)
        if is_working(person, moment):
            counted += step
        moment += step
    return counted


def summarize(crew: Crew, timeline: list[TimelineEntry]) -> Summary:
    linked = tuple(dict.fromkeys(e.text for e in timeline if e.kind is EventKind.LINKED))
    last = last_activity(timeline)
    return Summary(
        crew=crew,
        messages=sum(1 for e in timeline if e.kind is EventKind.MESSAGE),
        solutions=tuple(solutions(timeline)),
        uncovered=uncovered_skills(crew),
        linked=linked,
        last_activity=last.at if last else None,
        ended=ended_at(crew.swarm, timeline),
    )


class Automation:
    def __init__(self, store: Store, policy: Policy | None = None, clock: Clock = utcnow) -> None:
        self.store = store
        self.policy = policy or Policy()
        self.clock = clock

    # -- the rolling summary ----------------------------------------------------------------------------------------

    async def set_card(self, swarm_id: int, message_id: str) -> None:
        """Remembers the room's case card, which from now on is edited in place as the swarm changes."""
        async with self.store.unit() as uow:
            swarm = await _swarm(uow, swarm_id)
            swarm.card_id = message_id
            await uow.swarms.save(swarm)
            await uow.commit()

    async def summary(self, swarm_id: int) -> Summary:
        async with self.store.unit() as uow:
            swarm = await _swarm(uow, swarm_id)
            return summarize(await load_crew(uow, swarm), await uow.swarms.timeline(swarm_id))

    # -- welcomes -----------------------------------------------------------------------------------------------------

    async def welcome(self, swarm_id: int, person_id: int) -> Welcome | None:
        """What to tell someone who just joined, once per swarm and person; None when there is nothing to say."""
        found = await self.welcomes(swarm_id, [person_id])
        return found[0] if found else None

    async def welcomes(self, swarm_id: int, person_ids: Sequence[int]) -> list[Welcome]:
        """`welcome` for people who joined together, in their order, with the swarm read once; those with nothing
        to be told are left out."""
        async with self.store.unit() as uow:
            crew = await load_crew(uow, await _swarm(uow, swarm_id))
            [arrived] = await self._arrivals(uow, [(crew, person_ids)])
            await uow.commit()
        return list(arrived.welcomes)

    async def arrivals(self, joined: Sequence[tuple[Crew, Sequence[int]]]) -> list[Arrivals]:
        """For a run of joins (each swarm's crew as the joins left it, and who joined it): each card's summary and
        the welcomes, in one transaction: every timeline read once, the people's swarm counts and the welcome
        claims one query each."""
        if not joined:
            return []
        async with self.store.unit() as uow:
            found = await self._arrivals(uow, joined)
            await uow.commit()
        return found

    async def _arrivals(self, uow: UnitOfWork, joined: Sequence[tuple[Crew, Sequence[int]]]) -> list[Arrivals]:
        ws = await uow.workspaces.by_id(joined[0][0].swarm.workspace_id)
        by_swarm = await uow.swarms.timelines(_id(crew.swarm) for crew, _ in joined)
        timelines = [by_swarm[_id(crew.swarm)] for crew, _ in joined]
        greeted: list[list[Person]] = []
        for crew, person_ids in joined:
            in_crew = {p.id: p for _, p in crew.members}
            people = [in_crew[i] for i in dict.fromkeys(person_ids) if i in in_crew and not in_crew[i].nudges_off]
            greeted.append([] if ws is None or ws.nudges_off else people)
        counts = await uow.swarms.swarms_joined(p.id for people in greeted for p in people if p.id is not None)
        keys = [f"howto:{p.id}" for people in greeted for p in people if p.id is not None and counts.get(p.id) == 1]
        for (crew, _), people, timeline in zip(joined, greeted, timelines, strict=True):
            if 0 < self.policy.catchup_after <= len(room_messages(timeline)):
                keys += [f"catchup:{crew.swarm.id}:{p.id}" for p in people if p.id != crew.swarm.owner_id]
        claimed = await uow.processed.claim_many(ws.id, keys) if ws is not None and keys else set()
        found = []
        for (crew, _), people, timeline in zip(joined, greeted, timelines, strict=True):
            summary = summarize(crew, timeline)
            late = {p.id for p in people if f"catchup:{crew.swarm.id}:{p.id}" in claimed}
            tried: tuple[str, ...] = ()
            if late:
                messages = room_messages(timeline)
                tried = tuple(solutions(timeline) or knowledge.summarize(messages, limit=3)) or tuple(messages[-3:])
            welcomes = tuple(
                Welcome(summary, p, f"howto:{p.id}" in claimed, tried if p.id in late else ())
                for p in people
                if f"howto:{p.id}" in claimed or p.id in late
            )
            found.append(Arrivals(summary, welcomes))
        return found

    # -- nudges -------------------------------------------------------------------------------------------------------

    async def quiet(self, workspace: str) -> list[Quiet]:
        """Open swarms silent for `quiet_after` of their owner's working hours, whose owner is at work now (any time
        for sev1) and has not turned nudges off. Each quiet spell is reported once."""
        now = self.clock()
        found: list[Quiet] = []
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            if ws.nudges_off:
                await uow.commit()
                return []
            # A tick must not walk every open swarm: one query gives each one's last activity, and only those quiet
            # for long enough by the clock (working time is never more), not snoozed and not yet nudged for this
            # spell are looked at closer.
            activities = await uow.swarms.last_activities(ws.id, ACTIVITY)
            spells: list[tuple[Swarm, datetime, str]] = []
            for swarm in await uow.swarms.list(ws.id, statuses=[SwarmStatus.OPEN]):
                if swarm.snoozed_until is not None and swarm.snoozed_until > now:
                    continue
                last_id, since = activities.get(_id(swarm), (0, swarm.created_at or now))
                if now - since >= self.policy.quiet_after:
                    spells.append((swarm, since, f"quiet:{swarm.id}:{last_id}"))
            nudged = await uow.processed.claimed(ws.id, [key for _, _, key in spells])
            owners = await uow.people.many({swarm.owner_id for swarm, _, key in spells if key not in nudged})
            for swarm, since, key in sorted(spells, key=lambda spell: spell[1]):
                if len(found) == NUDGES_PER_TICK:
                    break
                owner = owners.get(swarm.owner_id)
                if key in nudged or owner is None or owner.nudges_off:
                    continue
                if swarm.case.severity > 1 and not is_working(owner, now):
                    continue
                if swarm.case.severity > 1 and working_time(owner, since, now) < self.policy.quiet_after:
                    continue
                if await uow.processed.claim(ws.id, key):
                    found.append(Quiet(await load_crew(uow, swarm), now - since, key))
            await uow.commit()
        return found

    async def snooze(self, actor: Actor, number: int | None, channel: str) -> Crew:
        """ "Still working": no quiet-room nudge for a day. Anyone in the swarm may say so."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            swarm = await find_swarm(uow, scope.workspace_id, number, channel)
            if not swarm.status.is_active:
                raise UserError("swarm_closed", number=swarm.number, status=swarm.status.value)
            crew = await load_crew(uow, swarm)
            await ensure(uow, Action.SNOOZE, standing(crew, scope), crew.owner, number=swarm.number)
            now = self.clock()
            swarm.snoozed_until = now + SNOOZE
            await uow.swarms.save(swarm)
            await uow.swarms.add_entry(TimelineEntry(_id(swarm), EventKind.SNOOZED, now, scope.person_id))
            await uow.commit()
            return crew

    async def reminders(self, workspace: str) -> list[Reminder]:
        """Swarms resolved a while ago (not by reuse) whose article has no fix or no cause yet, once each; owners
        who turned nudges off, or are off hours now, are left alone (the latter until they are back)."""
        now = self.clock()
        found: list[Reminder] = []
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            if ws.nudges_off:
                await uow.commit()
                return []
            window = (now - REMINDER_HORIZON, now - self.policy.article_reminder_after)
            resolved = await uow.swarms.list(ws.id, statuses=[SwarmStatus.RESOLVED], resolved_between=window)
            keys = {_id(swarm): f"article-reminder:{swarm.id}" for swarm in resolved}
            reminded = await uow.processed.claimed(ws.id, keys.values())
            for swarm in resolved:
                key = keys[_id(swarm)]
                if len(found) == NUDGES_PER_TICK:
                    break
                if key in reminded:
                    continue
                timeline = await uow.swarms.timeline(_id(swarm))
                article = await uow.articles.by_swarm(_id(swarm))
                if resolved_by_reuse(swarm, timeline, article) or (article is not None and not _needs_writing(article)):
                    continue
                crew = await load_crew(uow, swarm)
                if crew.owner.nudges_off or not is_working(crew.owner, now):
                    continue
                if await uow.processed.claim(ws.id, key):
                    found.append(Reminder(crew, article, key))
            await uow.commit()
        return found

    # -- recognition and switches -------------------------------------------------------------------------------------

    async def thank(self, actor: Actor, channel: str, who: str, reason: str) -> Thanked:
        """`/swarm thanks @person [for what]`; in a room the thank-you also belongs to that swarm."""
        if not who.strip():
            raise UserError("thanks_whom")
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            # `who` may go on with what for (`@Ana Ruiz for the fix`): the person is the longest name it starts with.
            receiver, rest = await leading_person(uow, scope.workspace_id, who)
            said = rest.strip()
            reason = reason or (said[4:].strip() if said.lower().startswith("for ") else said)
            if len(reason) > MAX_THANKS_CHARS:
                raise UserError("text_too_long", limit=MAX_THANKS_CHARS, length=len(reason))
            if receiver.id == scope.person_id:
                raise UserError("thanks_yourself")
            assert receiver.id is not None
            swarm = await uow.swarms.by_room(scope.workspace_id, channel)
            now = self.clock()
            await uow.thanks.add(
                Thanks(scope.workspace_id, scope.person_id, receiver.id, now, reason, swarm.id if swarm else None)
            )
            if swarm is not None:
                note = f"{receiver.name}: {reason}" if reason else receiver.name
                await uow.swarms.add_entry(TimelineEntry(_id(swarm), EventKind.THANKED, now, scope.person_id, note))
            await uow.commit()
            return Thanked(scope.person, receiver, reason, swarm)

    async def switch(self, actor: Actor, what: str, on: bool, everyone: bool, channel: str | None = None) -> Switched:
        """Turns the digest or nudges on or off, for the person or (everyone=True) for the whole workspace.
        `channel` (digest only) makes that channel the workspace's digest channel and turns the digest on."""
        if what not in SWITCHES:
            raise UserError("unknown_switch", what=what)
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            if everyone or channel is not None:
                action = Action.DIGEST_CHANNEL if channel is not None else Action.WORKSPACE_SWITCH
                await ensure(uow, action, Standing(scope.person), switch=what, on=on)
                ws = scope.workspace
                if what == "digest":
                    ws = replace(ws, digest_off=not on, digest_channel=channel or ws.digest_channel)
                else:
                    ws = replace(ws, nudges_off=not on)
                await uow.workspaces.save(ws)
            else:
                person = scope.person
                if what == "digest":
                    person.digest_off = not on
                else:
                    person.nudges_off = not on
                await uow.people.save(person)
            await uow.commit()
            return Switched(what, on, everyone or channel is not None, scope.person, channel)


def _needs_writing(article: Article) -> bool:
    return article.state in (ArticleState.WIP, ArticleState.DRAFT) and not (
        article.resolution.strip() and article.cause.strip()
    )


async def _swarm(uow: UnitOfWork, swarm_id: int) -> Swarm:
    swarm = await uow.swarms.by_id(swarm_id)
    if swarm is None:
        raise LookupError(f"swarm id {swarm_id} does not exist")
    return swarm


def _id(swarm: Swarm) -> int:
    assert swarm.id is not None
    return swarm.id
