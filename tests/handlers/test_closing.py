"""Closing a swarm when the platform fails half way: the summaries, the announcement and the survey are finished
later by the scheduler's tick, each once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete

from handlers import closing
from handlers.chat import Reply
from handlers.jobs import tick
from handlers.router import Outcome
from storage.database import SqlStore
from storage.tables import ArticleLinkRow, ArticleRow, ArticleVersionRow
from tests.handlers.test_resolving import swarm_with_a_fix
from tests.harness import ScenarioBot

WORKSPACE = "T-test"


def fail_posts(bot: ScenarioBot, when: Callable[[str, str | None], bool]) -> Callable[[], None]:
    """Posts for which `when(channel, thread)` holds fail as if the platform were down; returns the undo."""
    post = bot.chat.post

    async def down(channel: str, reply: Reply, thread: str | None = None) -> str:
        if when(channel, thread):
            raise ConnectionError("platform down")
        return await post(channel, reply, thread)

    bot.chat.post = down  # type: ignore[method-assign]

    def undo() -> None:
        bot.chat.post = post  # type: ignore[method-assign]

    return undo


def thread_posts(bot: ScenarioBot) -> list[dict[str, Any]]:
    return [c for c in bot.chat.called("post") if c["thread"] == bot.announcement_id()]


async def test_a_resolve_cut_off_after_the_room_summary_is_finished_once_by_the_tick(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    restore = fail_posts(bot, lambda channel, thread: thread is not None)
    assert await bot.command("/swarm resolve cleared the template cache", channel=room) is Outcome.DONE
    restore()
    assert bot.said(room)[-1].startswith(":white_check_mark: Swarm 1 is resolved")
    # Told as it is: no "try again", which would only meet "already resolved".
    assert bot.last_told("ana") == (
        "Swarm 1 is resolved and saved, but I couldn't finish posting its summary. "
        "I'll retry in a few minutes; nothing is lost."
    )
    assert thread_posts(bot) == []

    # Just closed, it may still be posting in another process: left alone for now.
    assert await closing.resume(bot.router.context, WORKSPACE) == 0
    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 1
    assert await closing.resume(bot.router.context, WORKSPACE) == 0

    summaries = [m for m in bot.said(room) if "is resolved" in m]
    assert len(summaries) == 1
    (thread,) = thread_posts(bot)
    assert "Fix: cleared the template cache" in bot.text(thread["reply"])
    assert "(resolved)" in bot.text(bot.chat.called("update")[-1]["reply"])
    # The owner is asked how it went, once.
    assert len([c for c in bot.chat.called("direct") if "How well was swarm 1" in bot.text(c["reply"])]) == 1


async def test_the_tick_finishes_a_cancel_cut_off_before_its_summary(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    room = bot.room(1)
    restore = fail_posts(bot, lambda channel, thread: channel == room)
    assert await bot.command("/swarm cancel duplicate of a known bug", channel=room) is Outcome.DONE
    assert "Swarm 1 is cancelled and saved" in bot.last_told("ana")
    restore()
    assert not any("cancelled" in m for m in bot.said(room))

    bot.clock.advance(minutes=3)
    await tick(bot.router.context, WORKSPACE)
    assert [m for m in bot.said(room) if "cancelled" in m] == [
        "Swarm 1 was cancelled by @Ana Ruiz: duplicate of a known bug"
    ]
    assert len(thread_posts(bot)) == 1
    assert "(cancelled)" in bot.text(bot.chat.called("update")[-1]["reply"])


async def test_a_resolve_by_reuse_cut_off_is_finished_with_the_known_article(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm resolve cleared the PDF template cache", channel=bot.room(1))
    await bot.command("/swarm Globex PDF export of invoices is blank #pdf", user="fay")
    room = bot.room(2)
    restore = fail_posts(bot, lambda channel, thread: channel == room)
    assert await bot.click("solved_by", "2:1", user="fay", channel=room) is Outcome.DONE
    restore()
    assert not any("is resolved" in m for m in bot.said(room))

    bot.clock.advance(minutes=3)
    await tick(bot.router.context, WORKSPACE)
    (summary,) = [m for m in bot.said(room) if "is resolved" in m]
    assert summary.startswith(":white_check_mark: Swarm 2 is resolved: a known fix, article 1")
    assert "(marked by @Fay Singh)" in summary
    assert len(thread_posts(bot)) == 1


async def test_reopening_forgets_an_unfinished_closing(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    restore = fail_posts(bot, lambda channel, thread: thread is not None)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    restore()
    assert await bot.command("/swarm reopen", channel=room) is Outcome.DONE
    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 0
    assert thread_posts(bot) == []
    # Resolved again: a new summary, in the room and under the announcement.
    await bot.command("/swarm resolve the cache again", channel=room)
    assert len([m for m in bot.said(room) if "is resolved" in m]) == 2
    assert len(thread_posts(bot)) == 1


async def test_a_close_that_went_through_leaves_nothing_to_finish(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 0
    assert len(thread_posts(bot)) == 1


async def test_a_summary_posted_before_a_crash_lost_its_id_is_found_again(
    bot: ScenarioBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = await swarm_with_a_fix(bot)
    swarms = bot.core.swarms
    save = swarms.set_summary

    async def lost(swarm_id: int, message_id: str, *, in_thread: bool = False) -> None:
        raise ConnectionError("the process died before it saved the summary's id")

    monkeypatch.setattr(swarms, "set_summary", lost)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    monkeypatch.setattr(swarms, "set_summary", save)
    assert len([m for m in bot.said(room) if "is resolved" in m]) == 1

    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 1
    assert len([m for m in bot.said(room) if "is resolved" in m]) == 1
    assert len(thread_posts(bot)) == 1
    assert [c["key"] for c in bot.chat.called("find_post")] == ["summary:1:1", "thread-summary:1:1"]


async def test_after_a_reopen_the_new_summary_is_not_taken_for_the_old_one(bot: ScenarioBot) -> None:
    room = await swarm_with_a_fix(bot)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    await bot.command("/swarm reopen", channel=room)
    restore = fail_posts(bot, lambda channel, thread: True)
    await bot.command("/swarm resolve it was the proxy after all", channel=room)
    restore()
    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 1
    summaries = [m for m in bot.said(room) if "is resolved" in m]
    assert len(summaries) == 2 and "the proxy after all" in summaries[1]


async def test_a_closing_with_nothing_left_to_rebuild_from_is_dropped_once(bot: ScenarioBot, store: SqlStore) -> None:
    room = await swarm_with_a_fix(bot)
    restore = fail_posts(bot, lambda channel, thread: True)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    restore()
    async with store.unit() as uow:  # the article deleted by hand, say
        await uow.session.execute(delete(ArticleVersionRow))
        await uow.session.execute(delete(ArticleLinkRow))
        await uow.session.execute(delete(ArticleRow))
        await uow.commit()
    bot.clock.advance(minutes=3)
    assert await closing.resume(bot.router.context, WORKSPACE) == 0
    async with store.unit() as uow:
        workspace = await uow.workspaces.get(WORKSPACE)
        assert workspace is not None
        (swarm,) = await uow.swarms.list(workspace.id)
    assert not swarm.closing
