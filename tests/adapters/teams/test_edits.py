"""What people do to their messages in a room after saying them, as Teams tells it: an edit (`messageUpdate`) has
the new words replace the old ones, a deletion (`messageDelete`) removes them, as Slack's edits and deletions do."""

from __future__ import annotations

from bot.models import EventKind
from tests.adapters.teams.conftest import TENANT, TeamsScenario

CASE = "ACME cannot export invoices #billing sev2"
SECRET = "the admin password is Tr0ub4dor-and-3"


async def said(teams: TeamsScenario) -> list[str]:
    async with teams.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TENANT)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        timeline = await uow.swarms.timeline(swarm.id)
        return [entry.text for entry in timeline if entry.kind is EventKind.MESSAGE and entry.text]


async def opened(teams: TeamsScenario) -> str:
    await teams.message(CASE, user="ana")
    return teams.room(1)


async def test_an_edit_replaces_the_words_in_the_timeline(teams: TeamsScenario) -> None:
    room = await opened(teams)
    said_first = await teams.message("Restarting the export worker fixes it", user="chen", thread=room, mention=False)
    assert await teams.edit(said_first, "Clearing the 4.2 cache fixes it", user="chen") == 202
    assert await said(teams) == ["Clearing the 4.2 cache fixes it"]
    # A second edit of the same message is a delivery of its own.
    await teams.edit(said_first, "Clearing the 4.2 cache & restarting fixes it", user="chen")
    assert await said(teams) == ["Clearing the 4.2 cache & restarting fixes it"]


async def test_a_deleted_message_leaves_the_timeline_and_undeleting_does_not_bring_it_back(
    teams: TeamsScenario,
) -> None:
    room = await opened(teams)
    await teams.message("The export fails on every invoice", user="ben", thread=room, mention=False)
    pasted = await teams.message(SECRET, user="chen", thread=room, mention=False)
    assert await teams.delete(pasted, user="chen") == 202
    assert await said(teams) == ["The export fails on every invoice"]
    await teams.delete(pasted, user="chen", event_type="undeleteMessage")
    assert await said(teams) == ["The export fails on every invoice"]

    await teams.message("resolve cleared the cache", user="ana", thread=room)
    await teams.message("kb 1", user="fay", channel="personal")
    article = teams.last_told("fay")
    assert "cleared the cache" in article
    assert "Tr0ub4dor" not in article


async def test_edits_and_deletions_outside_rooms_are_ignored(teams: TeamsScenario) -> None:
    asked = await teams.message("lunch anyone?", user="zoe", mention=False)
    before = len(teams.fake.calls)
    assert await teams.edit(asked, "dinner anyone?", user="zoe") == 202
    assert await teams.delete(asked, user="zoe") == 202
    assert teams.fake.calls[before:] == []
