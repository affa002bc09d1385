"""Known issues first: reuse an article instead of swarming on a case the knowledge base already answers."""

from __future__ import annotations

from handlers.router import Outcome
from tests.harness import ScenarioBot


async def known_fix(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm resolve cleared the PDF template cache", channel=bot.room(1))


async def test_this_solved_it_resolves_the_new_swarm_by_reuse(bot: ScenarioBot) -> None:
    await known_fix(bot)
    await bot.command("/swarm Globex PDF export of invoices is blank #pdf", user="fay")
    room = bot.room(2)
    card = bot.chat.posts(room)[0]
    solved = next(b for b in card.buttons if b.action == "solved_by")
    assert (solved.label, solved.value) == ("Article 1 solved it", "2:1")

    assert await bot.click("solved_by", solved.value, user="fay", channel=room) is Outcome.DONE
    assert bot.said(room)[-1].startswith(":white_check_mark: Swarm 2 is resolved: a known fix, article 1")
    assert "(resolved)" in bot.text(bot.chat.called("update")[-1]["reply"])
    await bot.command("/swarm kb 1")
    assert "State: draft" in bot.last_told("ana")
    await bot.command("/swarm kb pdf blank", user="fay")
    found = bot.last_told("fay")
    assert "*1* ACME invoices export to PDF blank (draft)" in found
    assert found.startswith("1 article for")  # the new swarm's own draft was not needed: archived, out of search


async def test_a_found_article_says_its_fix_instead_of_its_title_again(bot: ScenarioBot) -> None:
    await known_fix(bot)  # resolved at once: the article's issue is the case text, its title too
    await bot.command("/swarm kb pdf blank", user="fay")
    [line] = [line for line in bot.last_told("fay").splitlines() if line.startswith("*1*")]
    assert line == "*1* ACME invoices export to PDF blank (draft) — cleared the PDF template cache"


async def test_a_found_article_s_text_cannot_mention_or_link_in_the_results(bot: ScenarioBot) -> None:
    await bot.command("/swarm ACME invoices export to PDF blank #pdf")
    await bot.command("/swarm resolve <!channel> see <https://evil.example|the fix> for the PDF", channel=bot.room(1))
    await bot.command("/swarm kb pdf fix", user="fay")
    sent = bot.chat.private(bot.user("fay"))[-1].plain()  # as the platform gets it, before a console unescapes it
    [line] = [line for line in sent.splitlines() if line.startswith("*1*")]
    assert "&lt;!channel&gt; see &lt;https://evil.example|the fix&gt;" in line


async def test_link_counts_reuse_once(bot: ScenarioBot) -> None:
    await known_fix(bot)
    await bot.command("/swarm Globex PDF export of invoices is blank #pdf", user="fay")
    room = bot.room(2)
    await bot.command("/swarm link 1", user="fay", channel=room)
    assert (
        bot.said(room)[-1]
        == "@Fay Singh linked article 1 — ACME invoices export to PDF blank (draft, reused 1×) to swarm 2."
    )
    posts = len(bot.said(room))
    await bot.command("/swarm link 1", user="fay", channel=room)
    assert len(bot.said(room)) == posts
    await bot.command("/swarm link 2", user="fay", channel=room)
    assert "this swarm's own article" in bot.last_told("fay")


async def test_only_members_reuse_and_bad_numbers_are_refused(bot: ScenarioBot) -> None:
    await known_fix(bot)
    await bot.command("/swarm Globex PDF export of invoices is blank #pdf", user="fay")
    room = bot.room(2)
    assert await bot.command("/swarm link 1", user="eli", channel=room) is Outcome.REFUSED
    assert await bot.command("/swarm link 9", user="fay", channel=room) is Outcome.REFUSED
    assert "There is no article 9." in bot.last_told("fay")
    assert await bot.command("/swarm link", user="fay", channel=room) is Outcome.REFUSED
    assert "Say which article" in bot.last_told("fay")


async def test_an_article_linked_to_a_case_is_found_by_that_case_s_words_next_time(bot: ScenarioBot) -> None:
    await known_fix(bot)
    await bot.command("/swarm kb statements printed empty", user="fay")
    assert "ACME invoices export to PDF blank" not in bot.last_told("fay")

    await bot.command("/swarm Globex statements come out empty when printed, ask fay@globex.example #pdf", user="fay")
    await bot.command("/swarm link 1", user="fay", channel=bot.room(2))

    await bot.command("/swarm kb statements printed empty", user="gus")
    found = bot.last_told("gus")
    assert "*1* ACME invoices export to PDF blank" in found
    assert "Globex statements come out empty when printed" in found  # the snippet says how it was asked
    await bot.command("/swarm kb 1", user="gus")
    shown = bot.last_told("gus")
    assert "Also asked as" in shown and "statements come out empty" in shown
    assert "fay@globex.example" not in shown and "[email removed]" in shown
