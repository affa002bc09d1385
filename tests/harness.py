"""A test workspace that reads like a conversation: people type, react and click; the bot answers through a
recording chat whose calls the tests assert on. Real core, real router, real storage (SQLite or PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from adapters.memory import MemoryChat, render
from bot.core import Core
from bot.models import Person
from bot.people import ImportReport
from bot.ports import Store, TicketAccounts, TicketSystem
from bot.swarms import Policy
from handlers.chat import (
    ActionEvent,
    CommandEvent,
    Form,
    FormEvent,
    HomeEvent,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    Origin,
    ReactionEvent,
    Reply,
)
from handlers.context import Conventions
from handlers.router import Outcome, Router

WORKSPACE = "T-test"
# A Tuesday, 10:00 in Madrid: most of the test roster is at work.
MONDAY_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

ROSTER: list[dict[str, object]] = [
    {
        "name": "Ana Ruiz",
        "email": "ana@example.com",
        "department": "Support",
        "timezone": "Europe/Madrid",
        "working_hours": "08:00-18:00",
        "skills": {"support": 4},
    },
    {
        "name": "Ben Okafor",
        "email": "ben@example.com",
        "department": "R&D",
        "timezone": "Europe/London",
        "working_hours": "08:00-18:00",
        "skills": {"billing": 5, "pdf": 3},
        "max_active_swarms": 2,
    },
    {
        "name": "Chen Wei",
        "email": "chen@example.com",
        "department": "R&D",
        "timezone": "Europe/Madrid",
        "working_hours": "08:00-18:00",
        "skills": {"pdf": 5, "export": 4},
    },
    {
        "name": "Dana Cohen",
        "email": "dana@example.com",
        "department": "Finance",
        "timezone": "Europe/Madrid",
        "working_hours": "08:00-18:00",
        "skills": {"billing": 3, "tax": 5},
    },
    {
        "name": "Eli Brown",
        "email": "eli@example.com",
        "department": "Product",
        "timezone": "America/Los_Angeles",
        "working_hours": "09:00-17:00",
        "skills": {"billing": 4, "sso": 5},
        "learning": ["pdf"],
    },
    {
        "name": "Fay Singh",
        "email": "fay@example.com",
        "department": "Support",
        "timezone": "Asia/Kolkata",
        "working_hours": "09:00-18:00",
        "skills": {"support": 3},
        "learning": ["billing"],
    },
]


@dataclass
class Clock:
    now: datetime = MONDAY_MORNING

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ScenarioBot:
    """`await bot.command("/swarm ACME export fails #billing", user="ana")`, then look at `bot.chat`."""

    store: Store
    chat: MemoryChat = field(default_factory=lambda: MemoryChat(platform="console", workspace=WORKSPACE))
    clock: Clock = field(default_factory=Clock)
    conventions: Conventions = field(default_factory=Conventions)
    policy: Policy = field(default_factory=Policy)
    tickets: dict[str, TicketSystem] = field(default_factory=dict)  # ticket systems by short name (`zd`)
    ticket_accounts: TicketAccounts | None = None  # each workspace's own
    events: int = 0

    def __post_init__(self) -> None:
        self.core = Core.build(
            self.store, self.policy, self.clock, tickets=self.tickets, ticket_accounts=self.ticket_accounts
        )
        self.router = Router(self.core, self.chat, self.conventions)

    async def load_roster(self, rows: list[dict[str, object]] | None = None) -> ImportReport:
        numbered = [(i + 1, dict(row)) for i, row in enumerate(ROSTER if rows is None else rows)]
        return await self.core.people.import_roster(WORKSPACE, numbered)

    async def make_lead(self, name: str, role: str = "lead") -> None:
        """Gives someone of the test roster a roster role, as a roster import with `role: lead` does."""
        [row] = [r for r in ROSTER if str(r["email"]).startswith(f"{name}@")]
        report = await self.load_roster([{**row, "role": role}])
        assert report.updated, report

    @staticmethod
    def user(name: str) -> str:
        """Console people are known by e-mail; tests call them by first name."""
        return name if "@" in name else f"{name}@example.com"

    def origin(self, user: str, channel: str) -> Origin:
        return Origin(WORKSPACE, self.chat.platform, self.user(user), channel.lstrip("#"))

    async def command(
        self, text: str, user: str = "ana", channel: str = "support", event_id: str | None = None
    ) -> Outcome:
        return await self.router.handle(
            CommandEvent(self.origin(user, channel), text.removeprefix("/swarm").strip(), event_id=event_id)
        )

    async def say(self, text: str, user: str, channel: str) -> str:
        """A person writes in a channel; returns the message id."""
        message = self.chat.add_message(channel.lstrip("#"), self.user(user), text)
        await self.router.handle(MessageEvent(self.origin(user, channel), message.id, text))
        return message.id

    async def edit(self, message_id: str, text: str) -> Outcome:
        """The author of a message changes its words."""
        message = self.chat.messages[message_id]
        message.text = text
        return await self.router.handle(MessageEdited(self.origin(message.author, message.channel), message_id, text))

    async def delete(self, message_id: str) -> Outcome:
        """The author of a message deletes it."""
        message = self.chat.messages.pop(message_id)
        return await self.router.handle(MessageDeleted(self.origin(message.author, message.channel), message_id))

    async def react(
        self, emoji: str, message_id: str, user: str, added: bool = True, event_id: str | None = None
    ) -> Outcome:
        channel = self.chat.messages[message_id].channel
        return await self.router.handle(ReactionEvent(self.origin(user, channel), message_id, emoji, added, event_id))

    async def click(self, action: str, value: str, user: str, channel: str = "support") -> Outcome:
        return await self.router.handle(ActionEvent(self.origin(user, channel), action, value, trigger="trigger"))

    async def submit(self, form: Form, user: str, channel: str = "support", **values: str) -> Outcome:
        """Fills in a form the bot opened (its prefilled values, changed by `values`) and submits it."""
        filled = {f.id: f.value for f in form.fields} | values
        return await self.router.handle(FormEvent(self.origin(user, channel), form.action, form.value, filled))

    async def open_home(self, user: str) -> Outcome:
        return await self.router.handle(HomeEvent(self.origin(user, "home")))

    def last_form(self) -> Form:
        forms = self.chat.called("open_form")
        assert forms, "no form was opened"
        form: Form = forms[-1]["form"]
        return form

    # -- what happened --------------------------------------------------------------------------------------------

    def room(self, number: int) -> str:
        rooms = [c for c in self.chat.channels if c.startswith(f"swarm-{number}-") or c == f"swarm-{number}"]
        assert rooms, f"no room for swarm {number}; channels: {list(self.chat.channels)}"
        return rooms[0]

    def said(self, channel: str) -> list[str]:
        """The rendered text of everything the bot posted in a channel, oldest first."""
        return [render(r) for r in self.chat.posts(channel.lstrip("#"))]

    def told(self, user: str) -> list[str]:
        """What the bot told a person privately, oldest first."""
        return [render(r) for r in self.chat.private(self.user(user))]

    def last_told(self, user: str) -> str:
        told = self.told(user)
        assert told, f"nothing was said privately to {user}"
        return told[-1]

    def announcement_id(self, channel: str = "support") -> str:
        posts = [
            m
            for m in self.chat.messages.values()
            if m.channel == channel and m.author == "swarm" and m.private_to is None and m.thread is None
        ]
        assert posts, f"no announcement in #{channel}"
        return posts[-1].id

    async def person(self, who: str) -> Person:
        return await self.core.people.find(WORKSPACE, who)

    @staticmethod
    def text(reply: Reply) -> str:
        return render(reply)
