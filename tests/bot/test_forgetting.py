"""Forgetting a person or a workspace: what a data protection officer asks for. A forgotten person's name and e-mail
are nowhere any more and their words are gone from the timelines; what others did stays. A forgotten workspace
leaves nothing behind, and the other workspaces are untouched."""

from __future__ import annotations

import pytest

from bot.forgetting import forget_person, forget_workspace
from bot.models import EventKind
from bot.ports import Store
from tests.harness import ROSTER, WORKSPACE, ScenarioBot

BEN = "ben@example.com"
FIX = "The 4.2 template cache is stale; clearing it fixes the export"


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    scenario = ScenarioBot(store)
    assert not (await scenario.load_roster()).rejected
    return scenario


async def resolved_swarm(bot: ScenarioBot) -> str:
    await bot.command("/swarm ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME")
    room = bot.room(1)
    await bot.say("Which template do they use?", user="chen", channel=room)
    fix = await bot.say(FIX, user="ben", channel=room)
    await bot.react("white_check_mark", fix, user="ana")
    await bot.command("/swarm thanks @ben for the cache", channel=room)
    await bot.command("/swarm resolve cleared the template cache", channel=room)
    return room


async def timeline(bot: ScenarioBot) -> list[tuple[EventKind, str | None, str]]:
    """(kind, who, text) of swarm 1's timeline."""
    async with bot.store.unit() as uow:
        workspace = await uow.workspaces.get(WORKSPACE)
        assert workspace is not None
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        entries = await uow.swarms.timeline(swarm.id)
        people = await uow.people.many(e.person_id for e in entries if e.person_id is not None)
    return [(e.kind, people[e.person_id].name if e.person_id else None, e.text) for e in entries]


async def test_a_forgotten_person_keeps_no_name_no_email_and_no_words(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    assert (EventKind.MESSAGE, "Ben Okafor", FIX) in await timeline(bot)

    forgotten = await forget_person(bot.store, WORKSPACE, "BEN@example.com")

    assert forgotten is not None
    assert forgotten.counts["people"] == 1
    assert forgotten.counts["timeline entries made anonymous"] >= 1
    assert forgotten.counts["article credits"] == 1
    assert forgotten.counts["thanks"] == 1
    after = await timeline(bot)
    assert all(who != "Ben Okafor" for _, who, _ in after)
    # Their words are gone from their own entries and from the mark of the fix; the resolution, the organisation's
    # record of what fixed the case, keeps the fix without saying whose it was.
    assert [kind for kind, _, text in after if FIX in text] == [EventKind.RESOLVED]
    assert all("Ben" not in text for _, _, text in after)
    assert (EventKind.THANKED, "Ana Ruiz", "someone: the cache") in after
    assert (EventKind.MESSAGE, None, "") in after  # the message is still counted, attributed to nobody
    assert (EventKind.MESSAGE, "Chen Wei", "Which template do they use?") in after  # others' words stay
    assert BEN not in {person.email for person in await bot.core.people.roster(WORKSPACE)}
    await bot.command("/swarm kb 1", user="fay")
    article = bot.last_told("fay")
    assert "Ben Okafor" not in article and "Contributors: Ana Ruiz, Chen Wei" in article


async def test_the_swarms_of_a_forgotten_owner_pass_to_someone_who_is_never_asked(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    forgotten = await forget_person(bot.store, WORKSPACE, "ana@example.com")
    assert forgotten is not None and forgotten.counts["swarms handed to someone"] == 1

    await bot.command("/swarm status 1", user="fay")
    assert "someone" in bot.last_told("fay") and "Ana Ruiz" not in bot.last_told("fay")
    await bot.command("/swarm Export to PDF broken again #pdf sev1", user="fay")
    assert all("someone" not in said for said in bot.said(bot.room(2)))
    again = await forget_person(bot.store, WORKSPACE, "ben@example.com")  # the same stand-in, not a second one
    assert again is not None and again.counts["swarms handed to someone"] == 0


async def test_an_unknown_person_or_workspace_is_none_and_a_dry_run_deletes_nothing(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    assert await forget_person(bot.store, WORKSPACE, "nobody@example.com") is None
    assert await forget_person(bot.store, "T-nowhere", BEN) is None
    assert await forget_workspace(bot.store, "T-nowhere") is None
    preview = await forget_person(bot.store, WORKSPACE, BEN, dry_run=True)
    assert preview is not None and preview.counts["people"] == 1
    assert BEN in {person.email for person in await bot.core.people.roster(WORKSPACE)}


async def test_a_forgotten_workspace_leaves_nothing_and_others_keep_everything(bot: ScenarioBot) -> None:
    await resolved_swarm(bot)
    other = ScenarioBot(bot.store)
    other.chat.workspace = "T-other"
    numbered = [(1, {"name": "Zoe Park", "email": "zoe@other.example", "skills": {"pdf": 5}})]
    await other.core.people.import_roster("T-other", numbered)

    forgotten = await forget_workspace(bot.store, WORKSPACE)

    assert forgotten is not None
    assert forgotten.counts["swarms"] == 1 and forgotten.counts["articles"] == 1
    assert forgotten.counts["people"] == len(ROSTER)
    async with bot.store.unit() as uow:
        assert WORKSPACE not in await uow.workspaces.keys()
        kept = await uow.workspaces.get("T-other")
        assert kept is not None
        assert [p.name for p in await uow.people.list(kept.id)] == ["Zoe Park"]
