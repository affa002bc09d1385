"""Analytics in chat: the CSAT question after a resolve (one answer per swarm) and the `/swarm stats` card."""

from __future__ import annotations

from sqlmodel import func, select

from adapters.memory import MemoryChat
from bot.ports import Store
from handlers import replies
from handlers.chat import Reply
from handlers.router import Outcome
from storage.database import SqlStore
from storage.tables import CsatRow
from tests.harness import WORKSPACE, ScenarioBot

CASE = "/swarm ACME cannot export invoices #billing sev2"


async def resolve(bot: ScenarioBot, number: int, after_minutes: float, user: str = "ana") -> None:
    bot.clock.advance(minutes=after_minutes)
    await bot.command("/swarm resolve restarted the export worker", user=user, channel=bot.room(number))


def questions(bot: ScenarioBot, user: str = "ana") -> list[Reply]:
    return [r for r in bot.chat.direct_messages(bot.user(user)) if any(b.action == replies.CSAT for b in r.buttons)]


async def answers(store: Store) -> int:
    assert isinstance(store, SqlStore)
    async with store.unit() as uow:
        return int((await uow.session.exec(select(func.count()).select_from(CsatRow))).one())


async def test_the_owner_is_asked_once_in_their_own_chat_and_one_answer_counts(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await resolve(bot, 1, 45)

    (question,) = questions(bot)
    assert bot.text(question).startswith("How well was swarm 1 handled? Pick 1 (badly) to 5 (very well)")
    assert [(b.label, b.value) for b in question.buttons] == [(str(n), f"1:{n}") for n in range(1, 6)]
    # Nobody else is asked, and the posts everyone sees carry no rating buttons.
    assert all(b.action != replies.CSAT for r in bot.chat.posts(bot.room(1)) for b in r.buttons)
    assert questions(bot, "ben") == []

    assert await bot.click(replies.CSAT, "1:4", user="ana", channel="@ana@example.com") is Outcome.DONE
    assert bot.last_told("ana") == "Thanks: swarm 1 rated 4/5. `/swarm stats` shows how swarming is going."
    await bot.click(replies.CSAT, "1:1", user="ana", channel="@ana@example.com")
    assert bot.last_told("ana") == "You already rated swarm 1 4/5; one answer per swarm, so that one stands."
    assert await answers(bot.store) == 1

    await bot.command("/swarm stats 7d")
    assert "CSAT: 4.0/5 (1 answer)" in bot.last_told("ana")


async def test_only_the_owner_may_answer(bot: ScenarioBot) -> None:
    await bot.make_lead("fay")
    await bot.command(CASE)
    await bot.command("/swarm join 1", user="fay")
    await resolve(bot, 1, 10, user="fay")
    assert len(questions(bot, "ana")) == 1  # the owner is asked, not the lead who resolved
    assert questions(bot, "fay") == []

    assert await bot.click(replies.CSAT, "1:5", user="fay") is Outcome.REFUSED
    assert (
        bot.last_told("fay") == "Only the owner of swarm 1, Ana Ruiz, rates how it was handled: the question is theirs."
    )
    assert await bot.click(replies.CSAT, "1:x", user="ana") is Outcome.REFUSED
    assert await bot.click(replies.CSAT, "1:9", user="ana") is Outcome.REFUSED
    assert bot.last_told("ana") == "A rating is a whole number from 1 to 5, not 9."
    assert await answers(bot.store) == 0


async def test_a_reopened_swarm_is_not_asked_about_again(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await resolve(bot, 1, 30)
    await bot.command("/swarm reopen 1")
    assert await bot.click(replies.CSAT, "1:3", user="ana") is Outcome.REFUSED
    assert bot.last_told("ana") == "Swarm 1 is open again; rate it once it is resolved."
    await resolve(bot, 1, 30)
    assert len(questions(bot)) == 1
    await bot.click(replies.CSAT, "1:3", user="ana")
    assert bot.last_told("ana").startswith("Thanks: swarm 1 rated 3/5.")


async def test_a_swarm_solved_by_a_known_article_is_asked_about_once_too(bot: ScenarioBot) -> None:
    await bot.command(CASE)
    await resolve(bot, 1, 30)
    await bot.command("/swarm ACME invoices will not export #billing sev2")
    await bot.click(replies.SOLVED_BY, "2:1", user="ana")
    assert [r.buttons[0].value for r in questions(bot)] == ["1:1", "2:1"]


class Unreachable(MemoryChat):
    """A chat where direct messages fail until `reachable` is set."""

    reachable = False

    async def direct(self, user: str, reply: Reply) -> None:
        if not self.reachable:
            raise ConnectionError("the platform is down")
        await super().direct(user, reply)


async def test_a_question_that_could_not_be_delivered_is_asked_at_the_next_resolve(store: Store) -> None:
    bot = ScenarioBot(store, chat=Unreachable(platform="console", workspace=WORKSPACE))
    await bot.load_roster()
    await bot.command(CASE)
    assert await bot.command("/swarm resolve restarted the worker", channel=bot.room(1)) is Outcome.DONE
    assert "Swarm 1 is resolved" in bot.said(bot.room(1))[-1]  # the resolve itself went through
    assert isinstance(bot.chat, Unreachable)
    bot.chat.reachable = True
    await bot.command("/swarm reopen 1")
    await resolve(bot, 1, 5)
    assert len(questions(bot)) == 1


async def test_stats_card_shows_the_period_with_trends(bot: ScenarioBot) -> None:
    # Last week: a swarm that took 2h, rated 2. This week: one that took 30m, rated 5, and one still open.
    await bot.command(CASE)
    await resolve(bot, 1, 120)
    await bot.click(replies.CSAT, "1:2", user="ana")
    bot.clock.advance(days=7)
    await bot.command("/swarm ACME tax totals round wrong #tax sev3")
    await bot.react("raising_hand", bot.announcement_id(), user="dana")
    await resolve(bot, 2, 30)
    await bot.click(replies.CSAT, "2:5", user="ana")
    await bot.command("/swarm Kubernetes pods restart #kubernetes sev2")

    await bot.command("/swarm stats 7d")
    card = bot.last_told("ana").splitlines()
    assert card[0] == "Swarming in the last 7 days, against the 7 days before"
    assert "Opened: 2 ↑ from 1" in card
    assert "Resolved: 1 (same)" in card
    assert "Still open: 1 ↑ from 0" in card
    assert "Time to resolve: median 30m ↓ from 2h 0m · p90 30m" in card
    assert "CSAT: 5.0/5 ↑ from 2.0/5 (1 answer)" in card
    # Ben, asked for both, never answered: Dana came on her own. Not the right people first time, either week.
    assert "Right people first time: 0% (same)" in card
    assert "Helps: 1 ↑ from 0, by 1 of 6 people" in card
    assert any(line.startswith("Skill gaps: #kubernetes (1, nobody has it)") for line in card)
    assert "Top topics: #kubernetes (1) · #tax (1)" in card
    assert card[-1].startswith("`/swarm stats 7d` · `30d` · `90d`")

    await bot.command("/swarm stats")
    month = bot.last_told("ana")
    assert month.startswith("Swarming in the last 30 days, against the 30 days before")
    assert "Opened: 3 ↑ from 0" in month
    assert "Time to resolve: median 1h 15m · p90 2h 0m" in month


async def test_a_period_that_is_not_days_gets_a_clear_private_answer(bot: ScenarioBot) -> None:
    for period in ("2w", "0d", "1000d", "last month"):
        assert await bot.command(f"/swarm stats {period}", user="fay") is Outcome.REFUSED
        expected = f"I can show the last `7d`, `30d` or `90d` (any number of days up to 366), not `{period}`."
        assert bot.last_told("fay") == expected
    assert [c.method for c in bot.chat.calls] == ["post_private"] * 4
