"""Text people type reaches every reply escaped exactly once: `<`, `>` and `&` stay what they were typed as, never
markup (a mention, a link) and never `&amp;lt;` on the reader's screen."""

from __future__ import annotations

from handlers.chat import Reply
from tests.harness import ScenarioBot

TYPED = "R&D <build> fails"


def _sent(bot: ScenarioBot) -> list[str]:
    """Every reply's text as the platform got it."""
    return [call.args["reply"].plain() for call in bot.chat.calls if isinstance(call.args.get("reply"), Reply)]


async def test_a_case_typed_with_markup_is_shown_escaped_once_everywhere(bot: ScenarioBot) -> None:
    await bot.command(f"/swarm {TYPED} #billing sev2 customer:A&B", user="ana")
    room = bot.room(1)
    await bot.react("raising_hand", bot.announcement_id(), user="fay")
    fix = await bot.say("set the <b> tag & reload", user="ben", channel=room)
    await bot.react("white_check_mark", fix, user="ana")
    await bot.command("/swarm status", user="ana", channel=room)
    await bot.command("/swarm resolve set the <b> tag & reload cause: a <stale> & old cache", channel=room)
    await bot.command("/swarm kb 1", user="fay")
    await bot.command("/swarm kb build fails", user="fay")
    await bot.command("/swarm list", user="fay")
    await bot.command(f"/swarm experts {TYPED} #billing", user="fay")

    sent = "\n".join(_sent(bot))
    assert "R&amp;D &lt;build&gt; fails" in sent and "&lt;b&gt; tag &amp; reload" in sent
    for twice in ("&amp;lt;", "&amp;gt;", "&amp;amp;"):
        assert twice not in sent
    for raw in ("<build>", "<b>", "<stale>", "R&D", "A&B"):
        assert raw not in sent
