"""Words taken back after the swarm closed: a message deleted or edited once its fix was resolved, published and
posted leaves nothing of its old words behind, in the database (every table, whatever copied them) or in what the bot
posted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.core import Core
from bot.models import ArticleState
from handlers.router import Router
from storage.database import SqlStore
from tests.harness import ScenarioBot
from tests.semantic import ConceptEmbedder, requires_numpy

SECRET = "The vault combination is plover-xyzzy-7713."
SECRET_WORD = "plover"  # what no copy may keep, whole or in part


async def every_value(store: SqlStore) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every column of every row of every table the project declares: a copy made by code
    written later is found here too."""
    found: list[tuple[str, str, Any]] = []
    async with store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                found += [(table.name, name, value) for name, value in row.items()]
    return found


async def copies(store: SqlStore, word: str) -> list[tuple[str, str]]:
    """Where in the database `word` is, as (table, column)."""
    return sorted({(t, c) for t, c, value in await every_value(store) if word in str(value)})


def posted(bot: ScenarioBot, word: str) -> list[str]:
    """The bot's messages, as they read now, that hold `word`."""
    return [m.text for m in bot.chat.messages.values() if m.author == "swarm" and word in m.text]


async def resolved_and_published(bot: ScenarioBot, *fix: str) -> None:
    """A swarm whose room marked `fix` (its messages) as the fix, resolved, its article validated by a lead."""
    await bot.command("/swarm ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME")
    room = bot.room(1)
    await bot.say("Which template do they use?", user="chen", channel=room)
    for words in fix:
        said = await bot.say(words, user="ben", channel=room)
        await bot.react("white_check_mark", said, user="ana")
    await bot.command("/swarm resolve", channel=room)
    await bot.make_lead("dana")
    await bot.command("/swarm kb validate 1", user="dana")
    async with bot.store.unit() as uow:
        workspace = await uow.workspaces.ensure("T-test")
        article = await uow.articles.get(workspace.id, 1)
    assert article is not None and article.state is ArticleState.VALIDATED


def message_id(bot: ScenarioBot, words: str) -> str:
    [found] = [m.id for m in bot.chat.messages.values() if m.text == words]
    return found


async def test_a_secret_deleted_after_the_resolve_is_nowhere_in_the_database_nor_in_the_posts(
    bot: ScenarioBot, store: SqlStore
) -> None:
    fix = "Clearing the 4.2 template cache fixes the export."
    await resolved_and_published(bot, fix, SECRET)
    assert await copies(store, SECRET_WORD)  # the timeline, the resolution, the article and its versions hold it
    assert posted(bot, SECRET_WORD)  # and the resolve summaries

    await bot.delete(message_id(bot, SECRET))

    assert await copies(store, SECRET_WORD) == []
    assert posted(bot, SECRET_WORD) == []
    # What was not deleted stays: the other part of the fix, everywhere it was.
    assert ("article", "resolution") in await copies(store, "template cache")
    assert ("swarm", "resolution") in await copies(store, "template cache")
    assert [m for m in posted(bot, "template cache") if "is resolved" in m]
    await bot.command(f"/swarm kb {SECRET_WORD}", user="fay")
    assert bot.last_told("fay").startswith("No article matches")


async def test_an_edit_after_the_resolve_changes_the_copies_of_the_fix(bot: ScenarioBot, store: SqlStore) -> None:
    fix = "Restarting the export worker fixes it"
    await resolved_and_published(bot, fix)

    await bot.edit(message_id(bot, fix), "Clearing the 4.2 cache fixes it")

    assert await copies(store, "Restarting") == [("article_version", "content")]  # the history keeps what was
    assert ("swarm_event", "text") in await copies(store, "Clearing the 4.2 cache fixes it")
    assert ("article", "resolution") in await copies(store, "Clearing the 4.2 cache fixes it")
    assert posted(bot, "Restarting") == []
    assert [m for m in posted(bot, "Clearing the 4.2 cache fixes it") if "is resolved" in m]
    # New words nobody checked: the published article is a draft again, until it is validated again.
    await bot.command("/swarm kb 1", user="fay")
    assert "draft" in bot.last_told("fay")


@requires_numpy
async def test_an_article_that_quoted_a_deleted_message_is_found_by_its_meaning_no_more(store: SqlStore) -> None:
    embedder = ConceptEmbedder()
    bot = ScenarioBot(store)
    bot.core = Core.build(store, bot.policy, bot.clock, embedder=embedder)
    bot.router = Router(bot.core, bot.chat, bot.conventions)
    await bot.load_roster()
    await bot.command("/swarm ACME logins are slow #sso")
    room = bot.room(1)
    quoted = "Invoices come out as a blank printout"
    said = await bot.say(quoted, user="ben", channel=room)
    await bot.command("/swarm resolve cleared the session cache", channel=room)
    await bot.command(f"/swarm kb edit 1 issue: {quoted}")  # the room's words, copied into the article
    bot.clock.advance(minutes=1)  # past the vectors' recheck
    await bot.command("/swarm kb empty bill document", user="fay")  # no word of it in common: found by meaning
    assert "Invoices come out as a blank printout" in bot.last_told("fay")

    await bot.delete(said)
    assert await copies(store, "blank printout") == []  # the article's title and issue included
    bot.clock.advance(minutes=1)  # past the vectors' recheck

    await bot.command("/swarm kb empty bill document", user="fay")
    assert bot.last_told("fay").startswith("No article matches")
    assert "ACME logins are slow" in embedder.embedded[-1]  # its vector, made again (the query's is cached)
