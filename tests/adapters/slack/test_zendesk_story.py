"""A Zendesk ticket's whole story in Slack, through the real server: Zendesk's signed webhook opens the swarm for the
ticket's assignee, people join and mark the fix, the ticket is solved in Zendesk and the swarm closes with that fix,
and the ticket gets the article, every note internal. Slack and Zendesk are loopback fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession

from adapters.tickets.zendesk_webhook import INVOCATION, PATH, SIGNATURE, TIMESTAMP, ZendeskWebhook, signature
from tests.adapters.slack.conftest import SUPPORT, SlackScenario, slack_server
from tests.fakes.zendesk_api import FakeZendesk
from tests.harness import Clock

WEBHOOK_SECRET = "zendesk-webhook-signing-secret-0123456789"


@dataclass
class Story:
    slack: SlackScenario
    zendesk: FakeZendesk
    url: str
    clock: Clock
    session: ClientSession

    async def from_zendesk(self, payload: dict[str, str], invocation: str) -> int:
        body = json.dumps(payload).encode()
        stamp = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP: stamp,
            SIGNATURE: signature(WEBHOOK_SECRET, stamp, body),
            INVOCATION: invocation,
        }
        async with self.session.post(self.url + PATH, data=body, headers=headers) as response:
            return response.status


@pytest.fixture
async def story(database_url: str) -> AsyncIterator[Story]:
    async with FakeZendesk() as zendesk:
        zendesk.add_ticket(
            4521,
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="high",
            tags=("billing", "pdf"),
            organization="ACME Corp",
            assignee_email="ana@example.com",
        )
        clock = Clock()
        async with (
            slack_server(
                database_url,
                clock=clock,
                hooks=lambda app, mount: [ZendeskWebhook(app, [mount], clock=clock)],
                ZENDESK_URL=zendesk.url,
                ZENDESK_EMAIL=zendesk.email,
                ZENDESK_API_TOKEN=zendesk.token,
                ZENDESK_WEBHOOK_SECRET=WEBHOOK_SECRET,
                SWARM_TICKET_CHANNEL=SUPPORT,
                SWARM_WEB_URL="https://swarm.acme.example",
            ) as (slack, url),
            ClientSession() as session,
        ):
            yield Story(slack, zendesk, url, clock, session)


async def test_a_tickets_whole_story(story: Story) -> None:
    slack, zendesk = story.slack, story.zendesk

    # A trigger in Zendesk (the ticket was tagged `swarm`) opens the swarm for the ticket's assignee, Ana.
    assert await story.from_zendesk({"event": "open", "ticket_id": "4521", "assignee": "ana@example.com"}, "i-1") == 200
    assert await story.from_zendesk({"event": "open", "ticket_id": "4521", "assignee": "ana@example.com"}, "i-1") == 200
    room = slack.room()
    assert room.name == "swarm-1-acme-cannot-export-invoices"
    [announcement] = [p for p in slack.posts(SUPPORT) if "is open for" in p["text"]]
    assert "<@UANA>" in announcement["text"] and "Ticket zd:4521" in announcement["text"]
    card = slack.posts(room.id)[0]
    assert "Since Monday every export to PDF fails with error 500." in json.dumps(card["blocks"])
    [opened] = zendesk.notes(4521)
    assert opened["body"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    assert f"Room: #{room.name} in Slack. https://swarm.acme.example/swarms/1" in opened["body"]

    # People join and find the fix.
    await slack.command("/swarm join 1", user="ben", channel=room.id)
    fix = await slack.say("The PDF worker ran out of memory: restarted it with 2 GB", user="ben", channel=room.id)
    await slack.react("white_check_mark", room.id, fix, user="ana")

    # The agent solved the ticket in Zendesk: the swarm closes with the fix marked in the room, once.
    solved = {"event": "status", "ticket_id": "4521", "status": "Solved"}
    assert await story.from_zendesk(solved, "i-2") == 200
    assert await story.from_zendesk(solved, "i-3") == 200
    texts = [p["text"] for p in slack.posts(room.id)]
    told = [t for t in texts if t.startswith("Ticket zd:4521 was marked solved in Zendesk: swarm 1 is resolved")]
    assert len(told) == 1
    assert texts[-1].startswith(":white_check_mark: Swarm 1 is resolved")

    # The ticket gets the fix and the article, as an internal note.
    [_, resolved] = zendesk.notes(4521)
    assert resolved["body"].startswith("Swarm 1 resolved this after ")
    assert "\nFix:\n- The PDF worker ran out of memory: restarted it with 2 GB\n" in resolved["body"]
    assert resolved["body"].endswith(
        "Knowledge article 1: ACME cannot export invoices to PDF. https://swarm.acme.example/kb/1"
    )

    await slack.command("/swarm status 1", user="ana")
    assert "zd:4521 (solved)" in slack.ephemerals("ana")[-1]

    # Every write to Zendesk was an internal note; nothing else was written.
    writes = zendesk.writes()
    assert len(writes) == 2
    assert all(w.method == "PUT" and w.body["ticket"]["comment"]["public"] is False for w in writes)
    assert all(not n["public"] for n in zendesk.notes(4521))
