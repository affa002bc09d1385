"""A Jira Service Management request's whole story in Slack, through the real server: Jira's signed admin webhook
opens the swarm for the request's assignee when it is labelled `swarm`, people join and mark the fix, the customer
replies, the request is resolved in Jira and the swarm closes with that fix, and the request gets the article, every
comment internal. Slack and Jira are loopback fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession

from adapters.tickets.jira_webhook import IDENTIFIER, PATH, SIGNATURE, JiraWebhook, signature
from tests.adapters.slack.conftest import SUPPORT, SlackScenario, slack_server
from tests.fakes.jira_api import FakeJira
from tests.harness import Clock

WEBHOOK_SECRET = "jira-admin-webhook-secret-0123456789"


@dataclass
class Story:
    slack: SlackScenario
    jira: FakeJira
    url: str
    clock: Clock
    session: ClientSession

    async def from_jira(self, payload: dict[str, Any], identifier: str) -> int:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE: signature(WEBHOOK_SECRET, body),
            IDENTIFIER: identifier,
        }
        async with self.session.post(self.url + PATH, data=body, headers=headers) as response:
            return response.status


@pytest.fixture
async def story(database_url: str) -> AsyncIterator[Story]:
    async with FakeJira() as jira:
        jira.add_issue(
            "SUP-123",
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="High",
            labels=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        clock = Clock()
        async with (
            slack_server(
                database_url,
                clock=clock,
                hooks=lambda app, mount: [JiraWebhook(app, [mount], clock=clock)],
                JIRA_URL=jira.url,
                JIRA_EMAIL=jira.email,
                JIRA_API_TOKEN=jira.token,
                JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET,
                SWARM_TICKET_CHANNEL=SUPPORT,
                SWARM_WEB_URL="https://swarm.acme.example",
            ) as (slack, url),
            ClientSession() as session,
        ):
            yield Story(slack, jira, url, clock, session)


async def test_a_requests_whole_story(story: Story) -> None:
    slack, jira, now = story.slack, story.jira, story.clock()

    # An agent labels the request `swarm` in Jira: the admin webhook opens the swarm for its assignee, Ana.
    labelled = jira.updated("SUP-123", at=now, labels="billing pdf swarm")
    assert await story.from_jira(labelled, "d-1") == 200
    assert await story.from_jira(labelled, "d-1") == 200  # Jira retried the same delivery
    room = slack.room()
    assert room.name == "swarm-1-acme-cannot-export-invoices"
    [announcement] = [p for p in slack.posts(SUPPORT) if "is open for" in p["text"]]
    assert "<@UANA>" in announcement["text"] and "Ticket jsm:SUP-123" in announcement["text"]
    card = json.dumps(slack.posts(room.id)[0]["blocks"])
    assert "Since Monday every export to PDF fails with error 500." in card and "ACME Corp" in card
    [opened] = jira.notes("SUP-123")
    assert opened["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    assert f"Room: #{room.name} in Slack. https://swarm.acme.example/swarms/1" in opened["body"]

    # People join; the customer replies on the portal; the fix is found.
    await slack.command("/swarm join 1", user="ben", channel=room.id)
    reply = jira.commented("SUP-123", "Still failing for the March invoices.", at=now)
    assert await story.from_jira(reply, "d-2") == 200
    assert "Customer replied on jsm:SUP-123: Still failing for the March invoices." in [
        p["text"] for p in slack.posts(room.id)
    ]
    fix = await slack.say("The PDF worker ran out of memory: restarted it with 2 GB", user="ben", channel=room.id)
    await slack.react("white_check_mark", room.id, fix, user="ana")

    # The agent resolves the request in Jira: the swarm closes with the fix marked in the room, once.
    resolved = jira.updated("SUP-123", at=now, status=("Resolved", "done"))
    assert await story.from_jira(resolved, "d-3") == 200
    assert await story.from_jira(resolved, "d-4") == 200  # a replay under another delivery id
    texts = [p["text"] for p in slack.posts(room.id)]
    told = [t for t in texts if t.startswith("Ticket jsm:SUP-123 was marked resolved in Jira Service Management")]
    assert len(told) == 1 and "swarm 1 is resolved" in told[0]
    assert texts[-1].startswith(":white_check_mark: Swarm 1 is resolved")

    # The request gets the fix and the article, as an internal comment.
    [_, closed] = jira.notes("SUP-123")
    assert closed["body"].startswith("Swarm 1 resolved this after ")
    assert "\nFix:\n- The PDF worker ran out of memory: restarted it with 2 GB\n" in closed["body"]
    assert closed["body"].endswith(
        "Knowledge article 1: ACME cannot export invoices to PDF. https://swarm.acme.example/kb/1"
    )

    await slack.command("/swarm status 1", user="ana")
    assert "jsm:SUP-123 (resolved)" in slack.ephemerals("ana")[-1]

    # Every write to Jira was an internal comment on the request; nothing else was written.
    writes = jira.writes()
    assert len(writes) == 2
    assert all(w.method == "POST" and w.path == "/rest/servicedeskapi/request/SUP-123/comment" for w in writes)
    assert all(w.body["public"] is False for w in writes)
    assert all(note["public"] is False for note in jira.notes("SUP-123"))
