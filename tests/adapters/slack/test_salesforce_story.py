"""A Salesforce Case's whole story in Slack, through the real server: the org's signed callout opens the swarm for the
Case's owner, people join and mark the fix, the Case is closed in Salesforce and the swarm closes with that fix, and
the Case gets the article, every note an unpublished CaseComment. Slack and Salesforce are loopback fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession

from adapters.tickets.salesforce_webhook import PATH, SIGNATURE, TIMESTAMP, SalesforceWebhook, signature
from tests.adapters.slack.conftest import SUPPORT, SlackScenario, slack_server
from tests.fakes.salesforce_api import FakeSalesforce
from tests.harness import Clock

WEBHOOK_SECRET = "salesforce-apex-shared-secret-0123456789"


@dataclass
class Story:
    slack: SlackScenario
    salesforce: FakeSalesforce
    case_id: str
    url: str
    clock: Clock
    session: ClientSession

    async def from_salesforce(self, payload: dict[str, Any]) -> int:
        body = json.dumps(payload).encode()
        stamp = str(int(self.clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP: stamp,
            SIGNATURE: signature(WEBHOOK_SECRET, stamp, body),
        }
        async with self.session.post(self.url + PATH, data=body, headers=headers) as response:
            return response.status


@pytest.fixture
async def story(database_url: str) -> AsyncIterator[Story]:
    async with FakeSalesforce() as salesforce:
        case_id = salesforce.add_case(
            "00001026",
            "ACME cannot export invoices to PDF",
            "Since Monday every export to PDF fails with error 500.",
            priority="High",
            account="ACME Corp",
            owner_email="ana@example.com",
        )
        clock = Clock()
        async with (
            slack_server(
                database_url,
                clock=clock,
                hooks=lambda app, mount: [SalesforceWebhook(app, [mount], clock=clock)],
                SALESFORCE_URL=salesforce.url,
                SALESFORCE_CLIENT_ID=salesforce.client_id,
                SALESFORCE_CLIENT_SECRET=salesforce.client_secret,
                SALESFORCE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                SWARM_TICKET_CHANNEL=SUPPORT,
                SWARM_WEB_URL="https://swarm.acme.example",
            ) as (slack, url),
            ClientSession() as session,
        ):
            yield Story(slack, salesforce, case_id, url, clock, session)


async def test_a_cases_whole_story(story: Story) -> None:
    slack, salesforce, case_id = story.slack, story.salesforce, story.case_id
    key = f"sf:{case_id}"

    # The org's Apex (the Case was flagged for a swarm) opens the swarm for the Case's owner, Ana; it retried once.
    opened = {"event": "open", "case_id": case_id, "owner": "ana@example.com", "delivery": "7f3a9c01"}
    assert await story.from_salesforce(opened) == 200
    assert await story.from_salesforce(opened) == 200
    room = slack.room()
    assert room.name == "swarm-1-acme-cannot-export-invoices"
    [announcement] = [p for p in slack.posts(SUPPORT) if "is open for" in p["text"]]
    assert "<@UANA>" in announcement["text"] and f"Ticket {key}" in announcement["text"]
    card = slack.posts(room.id)[0]
    assert "Since Monday every export to PDF fails with error 500." in json.dumps(card["blocks"])
    assert "ACME Corp" in json.dumps(card["blocks"])
    [note] = salesforce.notes(case_id)
    assert note["CommentBody"].startswith("Swarm 1 is working on this ticket; Ana Ruiz owns it.")
    assert f"Room: #{room.name} in Slack. https://swarm.acme.example/swarms/1" in note["CommentBody"]

    # The customer writes again on the Case: the room reads it.
    reply = {"event": "comment", "case_id": case_id, "comment": "Still failing this morning.", "delivery": "7f3a9c02"}
    assert await story.from_salesforce(reply) == 200
    assert f"Customer replied on {key}: Still failing this morning." in [p["text"] for p in slack.posts(room.id)]

    # People join and find the fix.
    await slack.command("/swarm join 1", user="ben", channel=room.id)
    fix = await slack.say("The PDF worker ran out of memory: restarted it with 2 GB", user="ben", channel=room.id)
    await slack.react("white_check_mark", room.id, fix, user="ana")

    # The agent closed the Case in Salesforce: the swarm closes with the fix marked in the room, once.
    salesforce.close_case(case_id)
    closed = {"event": "status", "case_id": case_id, "status": "Closed", "closed": True}
    assert await story.from_salesforce({**closed, "delivery": "7f3a9c03"}) == 200
    assert await story.from_salesforce({**closed, "delivery": "7f3a9c04"}) == 200
    texts = [p["text"] for p in slack.posts(room.id)]
    told = [t for t in texts if t.startswith(f"Ticket {key} was marked closed in Salesforce: swarm 1 is resolved")]
    assert len(told) == 1
    assert texts[-1].startswith(":white_check_mark: Swarm 1 is resolved")

    # The Case gets the fix and the article, as an internal note: a closed Case still takes CaseComments.
    [_, resolved] = salesforce.notes(case_id)
    assert resolved["CommentBody"].startswith("Swarm 1 resolved this after ")
    assert "\nFix:\n- The PDF worker ran out of memory: restarted it with 2 GB\n" in resolved["CommentBody"]
    assert resolved["CommentBody"].endswith(
        "Knowledge article 1: ACME cannot export invoices to PDF. https://swarm.acme.example/kb/1"
    )

    await slack.command("/swarm status 1", user="ana")
    assert f"{key} (closed)" in slack.ephemerals("ana")[-1]

    # Every write to Salesforce was an unpublished CaseComment; nothing else was written.
    writes = salesforce.writes()
    assert len(writes) == 2
    assert all(w.path.endswith("/sobjects/CaseComment") and w.body["IsPublished"] is False for w in writes)
    assert all(not c["IsPublished"] for c in salesforce.notes(case_id))
    assert len(salesforce.token_calls()) == 1  # one token for the whole story
