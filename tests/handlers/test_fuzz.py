"""Hostile input, fuzzed with hypothesis: any command text or search query gets either a normal effect
or a clear private answer; never an unhandled exception, never a half-written change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.models import Role
from bot.ports import Store
from handlers.router import Outcome
from handlers.subcommands import SUBCOMMANDS
from tests.harness import WORKSPACE, ScenarioBot

# One workspace per test, shared by its examples: state piles up, which is what a hostile user does too.
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Every declared subcommand and the words that follow it (`kb archive`, `nudges on`), then hostile ones.
DECLARED = {subcommand.name for subcommand in SUBCOMMANDS} | {
    word
    for subcommand in SUBCOMMANDS
    for usage in subcommand.usages
    for second in usage.usage.split()[1:2]
    for word in second.split("/")
    if word.isalpha()
}
WORDS = [
    *sorted(DECLARED),
    "everyone", "1", "2", "0", "-1", "99999999999999999999", "@ana", "@nobody", "#billing", "sev0", "sev2", "sev9",
    "customer:", "cause:", "state:all", '"', "*", "%", "'", ";", "--", "\\", "\x00", "💥", "NEAR(", ")",
]  # fmt: skip
COMMANDS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8).map(" ".join),
)


async def _invariants(store: Store) -> None:
    async with store.unit() as uow:
        workspace = await uow.workspaces.get(WORKSPACE)
        assert workspace is not None and workspace.id is not None
        people = {p.id for p in await uow.people.list(workspace.id)}
        for swarm in await uow.swarms.list(workspace.id):
            assert swarm.owner_id in people
            owners = [m for m in await uow.swarms.members(swarm.id or 0) if m.role is Role.OWNER]
            assert [m.person_id for m in owners] == [swarm.owner_id], f"swarm {swarm.number} owners {owners}"
            assert await uow.articles.by_swarm(swarm.id or 0) is not None


@FUZZ
@given(text=COMMANDS, user=st.sampled_from(["ana", "ben", "fay", "stranger@example.com"]))
async def test_any_command_text_gets_an_effect_or_a_private_answer(bot: ScenarioBot, text: str, user: str) -> None:
    bot.clock.advance(minutes=3)  # so the open rate limit lets some openings through
    outcome = await bot.command(text, user=user)
    assert outcome in (Outcome.DONE, Outcome.REFUSED), f"{text!r} -> {outcome}"
    if outcome is Outcome.REFUSED:
        assert "That didn't work" not in bot.last_told(user)  # every refusal has its own sentence
    await _invariants(bot.store)


QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from([*WORDS, "pdf", "export", "&", "|", "!", "(", ":*", "<->", "OR", "AND", "NOT"]), max_size=10
    ).map(" ".join),
)


@FUZZ
@given(query=QUERIES)
async def test_any_search_query_finds_or_asks_what_to_look_for(bot: ScenarioBot, query: str) -> None:
    if not bot.chat.channels:  # an article or two to search through
        await bot.command("/swarm ACME pdf export fails #billing #pdf")
        await bot.command("/swarm resolve restarted the export worker cause: stale cache", channel=bot.room(1))
    try:
        hits = await bot.core.kb.search(WORKSPACE, query)
    except UserError as error:
        assert error.reason == "kb_what"
    else:
        assert isinstance(hits, list)
