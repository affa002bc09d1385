from __future__ import annotations

import pytest

from bot.ports import Store
from tests.harness import ScenarioBot


@pytest.fixture
async def bot(store: Store) -> ScenarioBot:
    """A workspace with the small test roster loaded, on a fixed clock (Tuesday morning in Europe)."""
    scenario = ScenarioBot(store)
    report = await scenario.load_roster()
    assert not report.rejected
    return scenario
