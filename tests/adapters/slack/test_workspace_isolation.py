"""Two Slack workspaces on one server and one database (OAuth installs): a person in workspace B names swarms,
articles and people that exist only in workspace A. Each command gets a private "not found" answer; nothing of A is
shown to B, and nothing of A changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.adapters.slack.conftest import SUPPORT, SlackScenario, start_slack
from tests.adapters.slack.test_oauth import install

CASE = "ACME Zyxwv export fails on invoices #billing #pdf sev2 customer:ACME"
SECRET_WORD = "Zyxwv"  # a word only workspace A's swarm and article contain


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackScenario]:
    async for scenario in start_slack(database_url, SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="shh"):
        yield scenario


async def snapshot(slack: SlackScenario, team: str) -> dict[str, Any]:
    """Workspace `team`'s swarms, members, articles and people, as comparable values."""
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.get(team)
        if workspace is None or workspace.id is None:
            return {}
        swarms = await uow.swarms.list(workspace.id)
        return {
            "swarms": [(s.number, s.status, s.owner_id) for s in swarms],
            "members": [
                sorted((m.person_id, m.role, m.left_at is None) for m in await uow.swarms.members(s.id or 0))
                for s in swarms
            ],
            "timeline": [len(await uow.swarms.timeline(s.id or 0)) for s in swarms],
            "articles": [(a.number, a.state, a.reuse_count) for a in await uow.articles.list(workspace.id)],
            "people": sorted(
                (p.name, p.slack_id, tuple(sorted(p.skills.items()))) for p in await uow.people.list(workspace.id)
            ),
        }


async def test_workspace_b_cannot_reach_workspace_a(slack: SlackScenario) -> None:
    await install(slack, "T0001", "xoxb-test", "code-1")
    await install(slack, "T0002", "xoxb-two", "code-2")
    # Workspace A: swarm 1 resolved (so article 1 exists), swarm 2 open.
    await slack.command(f"/swarm {CASE}")
    room = slack.room().id
    await slack.command(f"/swarm resolve restarted the {SECRET_WORD} worker cause: stale cache", channel=room)
    await slack.command("/swarm Second Zyxwv case #billing")
    before = await snapshot(slack, "T0001")
    assert len(before["swarms"]) == 2 and len(before["articles"]) == 2  # a draft, and the open swarm's wip

    slack.api.add_user("UOTHER", "other", "other@two.example")
    slack.api.channels[SUPPORT].members.append("UOTHER")
    other = slack.sender
    other.team_id = "T0002"
    asked = {
        "join 2": "There is no swarm 2 here",
        "status 2": "There is no swarm 2 here",
        "status 1": "There is no swarm 1 here",
        f"kb {SECRET_WORD}": "No article matches",
        "kb show 1": "No article",
        "kb 1": "",
        "link 1": "",  # outside a room: any refusal, as long as nothing of A shows
        "skills @ana@example.com": "",
        "skills <@UANA>": "",
        "list": "No swarms are open",
    }
    answers: dict[str, str] = {}
    for text in asked:
        seen = len(slack.api.calls_to("chat.postEphemeral"))
        status, _ = await other.slash(text, "UOTHER", SUPPORT)
        await slack.mount.idle()
        assert status == 200
        said = [c for c in slack.api.calls_to("chat.postEphemeral")[seen:] if c.args["user"] == "UOTHER"]
        assert said, f"no private answer to {text!r}"
        answers[text] = "\n".join(str(c.args.get("text", "")) + str(c.args.get("blocks", "")) for c in said)
        assert {c.token for c in said} == {"xoxb-two"}

    for text, expected in asked.items():
        assert expected in answers[text], f"{text!r} -> {answers[text]!r}"
        for of_a in ("export fails on invoices", "stale cache", "Second"):  # A's case, cause and other swarm
            assert of_a not in answers[text], f"{text!r} shows A's {of_a!r}: {answers[text]!r}"
        assert "billing 4" not in answers[text] and "Ana Ruiz" not in answers[text], f"{text!r} shows A's roster"
    # Nothing B did reached A: no post in A's channels, no change in A's rows.
    assert not [
        c
        for c in slack.api.calls
        if c.token == "xoxb-two"
        and c.method != "chat.postEphemeral"
        and c.method not in ("users.info", "conversations.open", "auth.test")
    ]
    assert await snapshot(slack, "T0001") == before
