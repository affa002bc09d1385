"""Every other subcommand, and the bad input each one must refuse without changing anything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.commands import COMMANDS
from handlers.router import Outcome
from tests.harness import ScenarioBot


async def test_help_lists_the_whole_grammar(bot: ScenarioBot) -> None:
    await bot.command("/swarm help", user="fay")
    help_text = bot.last_told("fay")
    for word in COMMANDS:
        assert f"/swarm {word}" in help_text, word
    assert bot.chat.called("post") == []


async def test_list_shows_open_swarms(bot: ScenarioBot) -> None:
    await bot.command("/swarm list")
    assert "No swarms are open" in bot.last_told("ana")
    await bot.command("/swarm ACME cannot export invoices #billing sev2 customer:ACME")
    await bot.command("/swarm list")
    listing = bot.last_told("ana")
    assert "1 open swarm:" in listing
    assert "*1* ACME cannot export invoices · sev2 · customer ACME · #billing · owner @Ana Ruiz" in listing


async def test_experts_explains_and_opens_nothing(bot: ScenarioBot) -> None:
    await bot.command("/swarm experts invoices fail as pdf #billing", user="fay")
    answer = bot.last_told("fay")
    assert "1. @Ben Okafor (R&D · billing 5/5 · pdf 3/5" in answer
    assert "Nothing was opened." in answer
    assert bot.chat.called("create_room") == []
    await bot.command("/swarm stats")
    assert "Opened: 0 (same)" in bot.last_told("ana")


async def test_experts_for_skills_alone_answers_who_knows_them(bot: ScenarioBot) -> None:
    await bot.command("/swarm experts #billing", user="fay")
    answer = bot.last_told("fay")
    assert answer.startswith("For this case (skills: #billing) I would ask:")
    assert "1. @Ben Okafor (R&D · billing 5/5" in answer
    assert await bot.command("/swarm experts sev2", user="fay") is Outcome.REFUSED
    assert "Describe the case" in bot.last_told("fay")
    assert bot.chat.called("create_room") == []


async def test_skills_add_remove_and_someone_elses(bot: ScenarioBot) -> None:
    await bot.command("/swarm skills add kubernetes:4 sso", user="fay")
    assert bot.last_told("fay") == "Saved. Your skills: kubernetes 4/5, sso 3/5, support 3/5."
    await bot.command("/swarm skills remove sso", user="fay")
    assert "sso" not in bot.last_told("fay")
    await bot.command("/swarm skills", user="fay")
    assert "Skills: kubernetes 4/5, support 3/5" in bot.last_told("fay")
    await bot.command("/swarm skills @ben", user="fay")
    ben = bot.last_told("fay")
    assert ben.startswith("Ben Okafor") and "billing 5/5, pdf 3/5" in ben


@pytest.mark.parametrize("level", ["0", "6", "x", "4.5"])
async def test_a_skill_level_outside_one_to_five_is_refused(bot: ScenarioBot, level: str) -> None:
    assert await bot.command(f"/swarm skills add billing:{level}", user="fay") is Outcome.REFUSED
    assert "must be a whole number from 1 to 5" in bot.last_told("fay")
    await bot.command("/swarm skills", user="fay")
    assert "Skills: support 3/5\n" in bot.last_told("fay")


async def test_learn_records_an_interest(bot: ScenarioBot) -> None:
    await bot.command("/swarm learn Kubernetes", user="fay")
    assert "you want to learn kubernetes" in bot.last_told("fay")
    await bot.command("/swarm skills", user="fay")
    assert "Learning: billing, kubernetes" in bot.last_told("fay")


async def test_away_people_are_not_asked_until_back(bot: ScenarioBot) -> None:
    await bot.command("/swarm away tomorrow", user="ben")
    assert "away until" in bot.last_told("ben")
    await bot.command("/swarm experts billing export broken #billing", user="ana")
    assert "Ben Okafor" not in bot.last_told("ana")
    await bot.command("/swarm back", user="ben")
    await bot.command("/swarm experts billing export broken #billing", user="ana")
    assert "Ben Okafor" in bot.last_told("ana")


async def test_away_with_a_bad_time_is_refused(bot: ScenarioBot) -> None:
    assert await bot.command("/swarm away someday", user="ben") is Outcome.REFUSED
    assert "I can't read `someday` as a time" in bot.last_told("ben")


async def test_a_past_date_is_refused_with_a_date_to_come_as_the_example(bot: ScenarioBot) -> None:
    bot.clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert await bot.command("/swarm away 2026-12-01", user="ben") is Outcome.REFUSED
    assert bot.last_told("ben") == (
        "I can't read `2026-12-01` as a time to come: try `2h`, `tomorrow`, `friday`, `17:00` or `2026-12-21`."
    )
    await bot.command("/swarm help", user="ben")
    assert "`17:00` or `2026-12-21`; without a time, until you say `/swarm back`" in bot.last_told("ben")
    await bot.command("/swarm away 2026-12-21", user="ben")
    assert bot.last_told("ben").startswith("You are away until Mon 21 Dec 09:00")


async def test_away_without_a_time_says_how_to_come_back(bot: ScenarioBot) -> None:
    await bot.command("/swarm away", user="ben")
    assert bot.last_told("ben").startswith("You are away until you say `/swarm back`")
    await bot.command("/swarm skills @ben", user="ana")
    assert "Availability: away until they say they are back" in bot.last_told("ana")


async def test_stats_counts_and_median_time_to_resolve(bot: ScenarioBot) -> None:
    for minutes, case in ((30, "Billing totals off #billing"), (90, "Tax rounding wrong #tax")):
        await bot.command(f"/swarm {case}")
        swarm_number = len(bot.chat.called("create_room"))
        bot.clock.advance(minutes=minutes)
        await bot.command("/swarm resolve fixed the rounding", channel=bot.room(swarm_number))
    await bot.command("/swarm Kubernetes down #kubernetes")
    await bot.command("/swarm stats")
    stats = bot.last_told("ana")
    assert "Opened: 3" in stats and "Still open: 1" in stats and "Resolved: 2" in stats
    assert "Time to resolve: median 1h 0m · p90 1h 30m" in stats


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/swarm", "Tell me what the case is"),
        ("/swarm #billing sev2", "Tell me what the case is"),
        ("/swarm status 99", "There is no swarm 99 here"),
        ("/swarm join 99", "There is no swarm 99 here"),
        ("/swarm join abc", "`abc` is not a swarm number"),
        ("/swarm leave", "Run this in a swarm's room"),
        ("/swarm resolve it works", "Run this in a swarm's room"),
        ("/swarm cancel", "Run this in a swarm's room"),
        ("/swarm experts", "Describe the case"),
        ("/swarm experts sev1", "Describe the case"),
        ("/swarm kb", "Say what to look for"),
        ("/swarm kb 7", "There is no article 7"),
        ("/swarm skills add", "Name the skills"),
        ("/swarm skills remove cobol", "cobol is not one of your skills"),
        ("/swarm skills @nobody", "I can't find nobody in the roster"),
        ("/swarm invite", "Say whom to invite"),
        ("/swarm invite @ben", "Run this in a swarm's room"),
        ("/swarm broken export sev9", "Severity `sev9` does not exist"),
        ("/swarm " + "x " * 1600, "keep it under 3000"),
    ],
)
async def test_bad_input_gets_one_clear_private_sentence(bot: ScenarioBot, text: str, answer: str) -> None:
    assert await bot.command(text, user="fay") is Outcome.REFUSED
    assert answer in bot.last_told("fay")
    # Offering a form is not an effect: the console has none, so it falls back to the answer.
    assert [c.method for c in bot.chat.calls if c.method != "open_form"] == ["post_private"]
    await bot.command("/swarm stats", user="fay")
    assert "Opened: 0 (same)" in bot.last_told("fay")


async def test_closed_swarm_refuses_join(bot: ScenarioBot) -> None:
    await bot.command("/swarm Tax rounding wrong #tax")
    await bot.command("/swarm cancel opened by mistake", channel=bot.room(1))
    assert await bot.command("/swarm join 1", user="fay") is Outcome.REFUSED
    assert "Swarm 1 is already cancelled" in bot.last_told("fay")


async def test_someone_not_in_the_roster_can_open_a_swarm(bot: ScenarioBot) -> None:
    assert await bot.command("/swarm Export to PDF fails #pdf", user="newbie@example.com") is Outcome.DONE
    await bot.command("/swarm status 1", user="newbie@example.com")
    assert "Owner: @newbie@example.com" in bot.last_told("newbie@example.com")


async def test_skills_and_learning_that_are_a_slip_from_a_known_skill_get_a_did_you_mean(bot: ScenarioBot) -> None:
    await bot.command("/swarm skills add biling:4 sso", user="fay")
    told = bot.last_told("fay")
    assert told.startswith("Saved. Your skills: biling 4/5, sso 3/5, support 3/5.")
    assert "Did you mean #billing (not #biling)? `/swarm skills remove biling` takes yours back." in told

    await bot.command("/swarm learn expotr", user="fay")
    assert "Did you mean #export (not #expotr)? `/swarm learn export` learns that instead." in bot.last_told("fay")
    await bot.command("/swarm learn kubernetes", user="fay")
    assert "Did you mean" not in bot.last_told("fay")
