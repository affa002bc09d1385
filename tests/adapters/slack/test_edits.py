"""What people do to their messages after saying them, as Slack tells it: edits (`message_changed`, the message
nested as it is now and as it was), deletions (`message_deleted`) and forwards (the words in `attachments`)."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.models import Article, ArticleVersion, EventKind
from tests.adapters.slack.conftest import SUPPORT, SlackScenario
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_signing import forwarded_message, message_changed, message_deleted

DEMO = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"
SECRET = "the admin password is Tr0ub4dor-and-3"


async def opened(slack: SlackScenario) -> str:
    await slack.command(f"/swarm {DEMO}")
    return str(slack.room().id)


async def timeline(slack: SlackScenario) -> list[tuple[EventKind, str]]:
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        return [(entry.kind, entry.text) for entry in await uow.swarms.timeline(swarm.id) if entry.text]


async def said(slack: SlackScenario) -> list[str]:
    return [text for kind, text in await timeline(slack) if kind is EventKind.MESSAGE]


async def article_and_versions(slack: SlackScenario) -> tuple[Article, list[ArticleVersion]]:
    async with slack.app.store.unit() as uow:
        workspace = await uow.workspaces.ensure(TEAM_ID)
        swarm = await uow.swarms.get(workspace.id, 1)
        assert swarm is not None and swarm.id is not None
        article = await uow.articles.by_swarm(swarm.id)
        assert article is not None and article.id is not None
        return article, await uow.versions.list(article.id)


async def test_an_edit_changes_the_words_in_the_timeline_the_marked_fix_and_the_article(slack: SlackScenario) -> None:
    room = await opened(slack)
    fix = await slack.say("Restarting the export worker fixes it", user="chen", channel=room)
    await slack.react("white_check_mark", room, fix, user="ana")

    await slack.event(
        message_changed(room, "UCHEN", fix, "Restarting the export worker fixes it", "Clearing the 4.2 cache fixes it")
    )
    assert await said(slack) == ["Clearing the 4.2 cache fixes it"]
    assert not [text for _, text in await timeline(slack) if "Restarting" in text]  # the ✅ mark copied it too

    await slack.command("/swarm resolve cleared the cache", channel=room)
    await slack.command("/swarm kb 1", user="fay")
    article = slack.ephemerals("fay")[-1]
    assert "Clearing the 4.2 cache fixes it" in article
    assert "Restarting" not in article


async def test_a_link_preview_added_to_a_message_is_no_edit(slack: SlackScenario) -> None:
    room = await opened(slack)
    link = "see <https://status.example.com/incidents/42>"
    ts = await slack.say(link, user="chen", channel=room)
    calls = len(slack.api.calls)

    preview = {"from_url": "https://status.example.com/incidents/42", "id": 1, "text": "Incident 42: PDF export down"}
    status, _ = await slack.event(message_changed(room, "UCHEN", ts, link, link, attachments=[preview]))
    assert status == 200
    assert await said(slack) == [link]
    assert slack.api.calls[calls:] == []


async def test_a_deleted_message_leaves_the_timeline_and_never_reaches_the_article(slack: SlackScenario) -> None:
    room = await opened(slack)
    await slack.say("The export fails on every invoice", user="ben", channel=room)
    pasted = await slack.say(SECRET, user="chen", channel=room)
    await slack.react("white_check_mark", room, pasted, user="ana")

    await slack.event(message_deleted(room, "UCHEN", pasted, SECRET))
    assert await said(slack) == ["The export fails on every invoice"]
    assert not [text for _, text in await timeline(slack) if "Tr0ub4dor" in text]

    await slack.command("/swarm resolve cleared the cache", channel=room)
    await slack.command("/swarm kb 1", user="fay")
    assert "Tr0ub4dor" not in slack.ephemerals("fay")[-1]


async def test_a_message_deleted_after_the_resolve_is_taken_out_of_the_article_and_its_versions(
    slack: SlackScenario,
) -> None:
    room = await opened(slack)
    fix = await slack.say("Clearing the 4.2 cache fixes it", user="chen", channel=room)
    pasted = await slack.say(SECRET, user="chen", channel=room)
    for ts in (fix, pasted):
        await slack.react("white_check_mark", room, ts, user="ana")
    await slack.command("/swarm resolve cleared the cache", channel=room)
    article, versions = await article_and_versions(slack)
    assert "Tr0ub4dor" in article.resolution and "Tr0ub4dor" in versions[-1].resolution  # what was copied

    await slack.event(message_deleted(room, "UCHEN", pasted, SECRET))
    article, versions = await article_and_versions(slack)
    assert "Tr0ub4dor" not in article.resolution
    assert "Clearing the 4.2 cache fixes it" in article.resolution
    assert not [v for v in versions if "Tr0ub4dor" in v.resolution]
    await slack.command("/swarm kb 1", user="fay")
    assert "Tr0ub4dor" not in slack.ephemerals("fay")[-1]


async def test_a_forwarded_message_keeps_its_words(slack: SlackScenario) -> None:
    room = await opened(slack)
    ts = slack.api.add_message(room, "UCHEN", "")
    words = "Same error at Globex: PDF export empty"
    await slack.event(forwarded_message(room, "UCHEN", ts, words, SUPPORT, "1700000000.000100"))
    assert await said(slack) == ["Same error at Globex: PDF export empty"]


async def test_slacks_ssl_check_of_the_command_url_is_answered(slack: SlackScenario) -> None:
    body = urlencode({"token": "legacy-verification-token", "ssl_check": "1"}).encode()
    status, _ = await slack.sender.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert [c.method for c in slack.api.calls if c.method != "auth.test"] == []
