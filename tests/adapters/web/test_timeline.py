"""A swarm's page in words (adapters/webui/timeline.py), from swarms made through the core: who did what to whom,
and how long a swarm ran."""

from __future__ import annotations

from adapters.webui import timeline
from bot.browse import Browse
from handlers import replies
from storage.database import SqlStore
from tests.harness import WORKSPACE, ScenarioBot


async def read(bot: ScenarioBot, number: int) -> list[str]:
    """The timeline's lines as a person reads them: who, what, and the text said."""
    found = await Browse(bot.store, bot.clock).swarm(WORKSPACE, number)
    lines = timeline.lines(found.timeline, found.people)
    return [f"{line.who} {line.says}" + (f": {line.text}" if line.text else "") for line in lines]


async def ran(bot: ScenarioBot, number: int) -> str:
    found = await Browse(bot.store, bot.clock).swarm(WORKSPACE, number)
    span = timeline.span(found.crew.swarm, found.timeline, bot.clock())
    return f"{span.label} {span.text}"


async def test_every_line_names_who_did_what_to_whom(store: SqlStore) -> None:
    bot = ScenarioBot(store)
    await bot.load_roster()
    await bot.command("/swarm ACME invoices export to PDF times out #pdf #export", user="ana")
    chen = await bot.person("chen")
    await bot.command("/swarm accept 1", user="chen")
    fix = await bot.say("Clear the template cache", user="chen", channel=bot.room(1))
    await bot.react("white_check_mark", fix, user="ana")
    await bot.command("/swarm invite 1 @fay", user="ana")
    await bot.click(replies.MATCH_GOOD, f"1:{chen.id}", user="ana")
    await bot.command("/swarm thanks @chen for the cache idea", user="ana", channel=bot.room(1))
    await bot.command("/swarm owner 1 @fay", user="ana")
    bot.clock.advance(minutes=14)
    await bot.command("/swarm cancel duplicate of swarm 7", user="fay", channel=bot.room(1))
    bot.clock.advance(hours=3)  # the page is read later

    said = await read(bot, 1)
    assert said[0] == "Ana Ruiz opened the swarm: ACME invoices export to PDF times out"
    assert any(line.startswith("Swarm asked Chen Wei to help: ") for line in said)
    assert "Chen Wei said “I can help”" in said
    assert "Ana Ruiz marked Chen Wei's message as the fix: Clear the template cache" in said
    assert "Ana Ruiz added Fay Singh to the swarm" in said
    assert "Ana Ruiz rated Chen Wei a good match" in said  # Ana rated; Chen was rated
    assert "Ana Ruiz thanked Chen Wei: the cache idea" in said
    assert "Ana Ruiz handed the swarm over to Fay Singh" in said
    assert said[-1] == "Fay Singh cancelled the swarm: duplicate of swarm 7"


async def test_a_closed_swarms_time_stops_at_its_end(store: SqlStore) -> None:
    bot = ScenarioBot(store)
    await bot.load_roster()
    await bot.command("/swarm ACME invoices export to PDF times out #pdf", user="ana")
    await bot.command("/swarm SSO login loops for Initech #sso", user="ana")
    await bot.command("/swarm Globex payroll export is empty #billing", user="ana")
    bot.clock.advance(minutes=14)
    await bot.command("/swarm cancel not a real issue", user="ana", channel=bot.room(2))
    bot.clock.advance(hours=1, minutes=51)
    await bot.command("/swarm resolve cleared the template cache", user="ana", channel=bot.room(1))
    bot.clock.advance(hours=5)

    assert await ran(bot, 1) == "Resolved after 2h 5m"
    assert await ran(bot, 2) == "Cancelled after 14m"
    assert await ran(bot, 3) == "Open for 7h 5m"
