""" "Maybe known" on a new case's card: an article is offered only when it is likely the answer (issue 23)."""

from __future__ import annotations

from tests.harness import ScenarioBot


async def _known(bot: ScenarioBot, case: str, fix: str) -> None:
    """A case solved in its swarm: its article is a draft in the knowledge base."""
    await bot.command(f"/swarm {case}", user="ana")
    number = len(bot.chat.called("create_room"))
    await bot.command(f"/swarm resolve {fix}", user="ana", channel=bot.room(number))


async def test_an_ios_crash_after_an_update_is_not_offered_the_vat_invoice_article(bot: ScenarioBot) -> None:
    await _known(bot, "VAT missing on invoices after the update #billing", "re-saved the tax settings")
    await bot.command("/swarm iOS app crashes on launch after the latest update #mobile", user="fay")
    card = bot.chat.posts(bot.room(2))[0]
    assert "Maybe known" not in bot.text(card)
    assert [b.label for b in card.buttons if b.action == "solved_by"] == []


async def test_a_stack_trace_line_number_does_not_match_a_tenant_number(bot: ScenarioBot) -> None:
    await _known(bot, "Tenant 42 sees wrong totals on the sales dashboard #reports", "rebuilt the totals cache")
    await bot.command(
        "/swarm Checkout crash: Fatal error: Unexpectedly found nil at CheckoutView.swift:42 in PaymentSheet.present()",
        user="fay",
    )
    card = bot.chat.posts(bot.room(2))[0]
    assert "Maybe known" not in bot.text(card)
    assert [b.label for b in card.buttons if b.action == "solved_by"] == []


async def test_a_case_in_other_words_is_offered_its_article_and_only_that_one(bot: ScenarioBot) -> None:
    await _known(bot, "VAT missing on invoices after the update #billing", "re-saved the tax settings")
    await _known(bot, "Password reset emails never arrive for Outlook users #email", "allow-listed our sender")
    await bot.command("/swarm customer never got the reset password email in Outlook after the update", user="fay")
    card = bot.chat.posts(bot.room(3))[0]
    shown = [line for line in bot.text(card).splitlines() if "Maybe known" in line]
    assert shown == ["Maybe known: article 2 — Password reset emails never arrive for Outlook users (draft)"]
    assert [b.label for b in card.buttons if b.action == "solved_by"] == ["Article 2 solved it"]
