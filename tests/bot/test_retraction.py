"""A deleted or edited message's words, taken out of the texts that copied them."""

from __future__ import annotations

from bot.retraction import rewritten, without

SECRET = "The admin password is Tr0ub4dor-and-3."


def test_a_bullet_that_was_only_the_deleted_message_goes() -> None:
    resolution = f"cleared the cache\n- Clear the 4.2 cache\n- {SECRET}"
    assert without(resolution, SECRET) == "cleared the cache\n- Clear the 4.2 cache"


def test_a_sentence_of_it_in_a_summary_goes_and_the_rest_of_the_line_stays() -> None:
    deleted = f"Try this. {SECRET}"
    assert without(f"Restarting did not help. {SECRET}", deleted) == "Restarting did not help."


def test_text_that_never_copied_it_is_untouched() -> None:
    assert without("cleared the cache\n\n- done", SECRET) == "cleared the cache\n\n- done"


def test_an_edit_replaces_the_words_where_they_were_copied_whole() -> None:
    assert rewritten("- Restart the worker", "Restart the worker", "Clear the cache") == "- Clear the cache"
    assert rewritten("- something else", "Restart the worker", "Clear the cache") == "- something else"
