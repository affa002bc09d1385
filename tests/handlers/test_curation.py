"""KCS after the swarm: drafts written from the room, validation with redaction, archive, history."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryChat
from bot.ports import Store
from handlers.router import Outcome
from tests.harness import ROSTER, WORKSPACE, ScenarioBot


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    scenario = ScenarioBot(store, chat=MemoryChat(platform="console", workspace=WORKSPACE))
    rows = [dict(row, publisher=row["name"] == "Dana Cohen") for row in ROSTER]
    await scenario.load_roster(rows)
    return scenario


async def resolved_with_private_details(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #pdf")
    room = bot.room(1)
    await bot.say("Tried on Windows with Chrome, version 4.3.1: same error", user="chen", channel=room)
    await bot.say("Restarting the export worker fixed it; ping ops@acme.example or +34 612 345 678", user="ben",
                  channel=room)  # fmt: skip
    await bot.command("/swarm resolve", channel=room)


async def test_with_no_text_and_no_mark_the_room_writes_the_draft(bot: ScenarioBot) -> None:
    await resolved_with_private_details(bot)
    await bot.command("/swarm kb 1")
    article = bot.last_told("ana")
    assert "Resolution: Restarting the export worker fixed it" in article
    assert "Platforms: Windows, Chrome" in article and "Versions mentioned: 4.3.1" in article


async def test_validation_redacts_and_the_owner_can_put_it_back(bot: ScenarioBot) -> None:
    await resolved_with_private_details(bot)
    assert await bot.command("/swarm kb validate 1", user="fay") is Outcome.REFUSED
    assert (
        "Only a publisher, or a lead or admin (the roster names none yet) can validate article 1 before it has been "
        "reused 3 times." in bot.last_told("fay")
    )

    assert await bot.command("/swarm kb validate 1", user="dana") is Outcome.DONE
    assert bot.last_told("dana").startswith("Article 1 is validated")
    notice = bot.chat.private("ana@example.com")[-1]
    assert "took out 2 private details: `ops@acme.example`, `+34 612 345 678`" in bot.text(notice)
    await bot.command("/swarm kb 1", user="fay")
    assert "[email removed]" in bot.last_told("fay") and "ops@acme.example" not in bot.last_told("fay")

    assert await bot.click("unredact", "1", user="fay") is Outcome.REFUSED
    assert await bot.click("unredact", notice.buttons[0].value, user="ana") is Outcome.DONE
    await bot.command("/swarm kb 1", user="fay")
    assert "ops@acme.example" in bot.last_told("fay") and "State: validated" in bot.last_told("fay")


async def test_archive_hides_from_search_and_history_keeps_every_change(bot: ScenarioBot) -> None:
    await resolved_with_private_details(bot)
    assert await bot.command("/swarm kb archive 1", user="fay") is Outcome.REFUSED
    assert await bot.command("/swarm kb archive 1", user="ana") is Outcome.DONE
    await bot.command("/swarm kb export worker", user="fay")
    assert "No article matches" in bot.last_told("fay")
    await bot.command("/swarm kb restore 1", user="dana")
    await bot.command("/swarm kb history 1", user="fay")
    history = bot.last_told("fay")
    assert "1. opened with swarm 1 — Ana Ruiz" in history
    assert "2. drafted at the resolve of swarm 1 — Ana Ruiz" in history
    assert "3. archived — Ana Ruiz" in history and "4. restored from the archive — Dana Cohen" in history


async def test_curation_of_what_is_not_a_draft_is_refused(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME cannot export invoices #pdf")
    assert await bot.command("/swarm kb validate 1", user="dana") is Outcome.REFUSED
    assert "Article 1 is wip" in bot.last_told("dana")
    assert await bot.command("/swarm kb validate 7", user="dana") is Outcome.REFUSED
    assert await bot.command("/swarm kb validate", user="dana") is Outcome.REFUSED


async def test_fix_it_edits_fields_and_a_validated_article_goes_back_to_draft(bot: ScenarioBot) -> None:
    await resolved_with_private_details(bot)
    await bot.command("/swarm kb validate 1", user="dana")
    assert await bot.command("/swarm kb edit 1 cause: the worker leaked memory resolution: restart it", user="fay") is (
        Outcome.DONE
    )
    await bot.command("/swarm kb 1", user="fay")
    article = bot.last_told("fay")
    assert "Cause: the worker leaked memory" in article and "Resolution: restart it" in article
    assert "State: draft" in article and "Fay Singh" in article
    await bot.command("/swarm kb history 1", user="fay")
    assert "edited: cause, resolution — Fay Singh" in bot.last_told("fay")
    assert await bot.command("/swarm kb edit 1 nonsense", user="fay") is Outcome.REFUSED
    assert "Say what to change" in bot.last_told("fay")


async def test_flag_it_tells_the_owner_of_the_swarm(bot: ScenarioBot) -> None:
    await resolved_with_private_details(bot)
    assert await bot.command("/swarm kb flag 1", user="fay") is Outcome.REFUSED
    assert await bot.command("/swarm kb flag 1 no longer works since 4.4", user="fay") is Outcome.DONE
    told = bot.text(bot.chat.private("ana@example.com")[-1])
    assert told.startswith("@Fay Singh flagged article 1")
    assert "“no longer works since 4.4”" in told


async def test_edit_opens_a_form_where_the_platform_has_one(store: Store) -> None:
    bot = ScenarioBot(store, chat=MemoryChat(platform="console", workspace=WORKSPACE, forms=True))
    await bot.load_roster()
    await bot.command("/swarm ACME cannot export invoices #pdf")
    await bot.command("/swarm resolve restarted the worker", channel=bot.room(1))
    await bot.command("/swarm kb edit 1", user="fay")
    form = bot.last_form()
    assert form.title == "Edit article 1"
    await bot.submit(form, user="fay", cause="a memory leak")
    await bot.command("/swarm kb 1", user="fay")
    assert "Cause: a memory leak" in bot.last_told("fay")
