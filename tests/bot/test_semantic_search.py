"""SemanticSearch around the model: the warm-up that nobody waits for, and the cache of queries' vectors."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from bot.core import Core
from bot.semantic import QueryCache, query_key
from handlers.router import Router
from storage.database import SqlStore
from tests.harness import ScenarioBot
from tests.semantic import ConceptEmbedder, LoadingEmbedder, requires_numpy


def _with_model(store: SqlStore, model: ConceptEmbedder) -> ScenarioBot:
    bot = ScenarioBot(store)
    bot.core = Core.build(store, bot.policy, bot.clock, embedder=model)
    bot.router = Router(bot.core, bot.chat, bot.conventions)
    return bot


async def _known(bot: ScenarioBot, case: str, fix: str) -> None:
    """A case solved in its swarm: its article is a draft in the knowledge base."""
    await bot.command(f"/swarm {case}", user="ana")
    number = len(bot.chat.called("create_room"))
    await bot.command(f"/swarm resolve {fix}", user="ana", channel=bot.room(number))


@requires_numpy
async def test_the_first_swarm_after_a_start_does_not_wait_for_the_model(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    model = LoadingEmbedder()
    bot = _with_model(store, model)
    semantic = bot.core.kb.semantic
    assert semantic is not None
    await bot.load_roster()
    warming = semantic.warm_up()  # as `swarm serve` does at start
    assert semantic.warm_up() is warming  # once
    await asyncio.wait_for(asyncio.to_thread(model.loading.wait), timeout=10)

    # The model is still loading: everything goes on with keyword search, nobody waits for it.
    with caplog.at_level(logging.DEBUG, logger="bot.semantic"):
        await asyncio.wait_for(_known(bot, "Invoice PDF comes out blank #billing", "re-saved the template"), 10)
        await asyncio.wait_for(bot.command("/swarm kb invoice pdf", user="fay"), timeout=10)
    assert "Invoice PDF comes out blank" in bot.last_told("fay")  # found by its words
    assert not semantic.ready and not model.loaded.is_set() and model.embedded == []
    assert "keyword only, fake-loading-concepts is still loading" in caplog.text
    await bot.command("/swarm kb empty receipt printout", user="fay")  # not one word in common
    assert bot.last_told("fay").startswith("No article matches")

    model.loaded.set()
    await warming

    # Ready: hybrid from now on, the same words find the article by meaning.
    assert semantic.ready and semantic.failure is None
    await bot.command("/swarm kb empty receipt printout", user="fay")
    assert "Invoice PDF comes out blank" in bot.last_told("fay")


class SpeedingEmbedder(ConceptEmbedder):
    """ConceptEmbedder with a `speed_up` (the bundled model's export to ONNX) that takes as long as the test says."""

    name = "fake-speeding-concepts"

    def __init__(self) -> None:
        super().__init__()
        self.speeding = threading.Event()
        self.sped_up = threading.Event()

    def speed_up(self) -> None:
        self.speeding.set()
        if not self.sped_up.wait(timeout=60):
            raise TimeoutError("the test never let the fake model speed up")


@requires_numpy
async def test_the_model_is_sped_up_after_the_warm_up_and_searches_are_hybrid_meanwhile(store: SqlStore) -> None:
    model = SpeedingEmbedder()
    bot = _with_model(store, model)
    semantic = bot.core.kb.semantic
    assert semantic is not None
    await bot.load_roster()
    await _known(bot, "Invoice PDF comes out blank #billing", "re-saved the template")
    bot.clock.advance(minutes=1)  # past the vectors' recheck
    await semantic.warm_up()
    assert semantic.ready and semantic.speeding_up is not None
    await asyncio.wait_for(asyncio.to_thread(model.speeding.wait), timeout=10)

    # Exporting: searches do not wait for it, and are hybrid (the model found it by meaning, no word in common).
    await asyncio.wait_for(bot.command("/swarm kb empty receipt printout", user="fay"), timeout=10)
    assert "Invoice PDF comes out blank" in bot.last_told("fay")
    assert not semantic.speeding_up.done()

    model.sped_up.set()
    await semantic.speeding_up
    assert semantic.failure is None


@requires_numpy
async def test_a_speed_up_that_fails_leaves_the_model_as_it_was(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(ConceptEmbedder):
        def speed_up(self) -> None:
            raise RuntimeError("no export today")

    bot = _with_model(store, Failing())
    semantic = bot.core.kb.semantic
    assert semantic is not None
    await bot.load_roster()
    await _known(bot, "Invoice PDF comes out blank #billing", "re-saved the template")
    bot.clock.advance(minutes=1)  # past the vectors' recheck
    with caplog.at_level(logging.ERROR, logger="bot.semantic"):
        await semantic.warm_up()
        assert semantic.speeding_up is not None
        await semantic.speeding_up
    assert "could not be sped up" in caplog.text
    assert semantic.usable and semantic.failure is None
    await bot.command("/swarm kb empty receipt printout", user="fay")
    assert "Invoice PDF comes out blank" in bot.last_told("fay")


@requires_numpy
async def test_a_model_that_fails_to_load_leaves_keyword_search(store: SqlStore) -> None:
    class Broken(ConceptEmbedder):
        def embed(self, texts: object) -> list[list[float]]:
            raise OSError("the model's files are missing")

    bot = _with_model(store, Broken())
    semantic = bot.core.kb.semantic
    assert semantic is not None
    await bot.load_roster()
    await semantic.warm_up()
    assert semantic.failure == "OSError: the model's files are missing"
    await _known(bot, "Invoice PDF comes out blank #billing", "re-saved the template")
    await bot.command("/swarm kb invoice pdf", user="fay")
    assert "Invoice PDF comes out blank" in bot.last_told("fay")


@requires_numpy
async def test_a_query_asked_again_is_not_embedded_again(store: SqlStore) -> None:
    model = ConceptEmbedder()
    bot = _with_model(store, model)
    await bot.load_roster()
    await _known(bot, "Invoice PDF comes out blank #billing", "re-saved the template")
    bot.clock.advance(minutes=1)  # past the vectors' recheck

    for asked in ("empty receipt printout", "empty receipt printout", "  empty\treceipt   printout "):
        await bot.command(f"/swarm kb {asked}", user="fay")
        assert "Invoice PDF comes out blank" in bot.last_told("fay")

    assert model.embedded.count("empty receipt printout") == 1
    assert not [text for text in model.embedded if "\t" in text or "  " in text]
    await bot.command("/swarm kb Empty receipt printout", user="fay")  # other words are other queries
    assert model.embedded.count("Empty receipt printout") == 1


def test_the_query_cache_keeps_the_most_recently_used_texts() -> None:
    cache = QueryCache(size=2)
    cache.put("a", [1.0, 0.0])
    cache.put("b", [0.0, 1.0])
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", [0.5, 0.5])
    assert len(cache) == 2
    assert cache.get("b") is None
    assert list(cache.get("a") or []) == [1.0, 0.0]
    assert list(cache.get("c") or []) == [0.5, 0.5]
    off = QueryCache(size=0)
    off.put("a", [1.0])
    assert off.get("a") is None


def test_a_query_is_keyed_by_its_words() -> None:
    assert query_key("  reset\n password  ") == "reset password"
    assert query_key("Reset password") != query_key("reset password")
