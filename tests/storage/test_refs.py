"""Platform refs: what an adapter remembers (a Teams conversation reference, a card's id), per workspace."""

from __future__ import annotations

from storage.database import SqlStore
from storage.refs import SqlPlatformRefs


async def test_put_get_and_overwrite(store: SqlStore) -> None:
    refs = SqlPlatformRefs(store)
    assert await refs.get("T1", "teams", "conversation", "19:abc") is None
    await refs.put("T1", "teams", "conversation", "19:abc", {"serviceUrl": "http://127.0.0.1:1/"})
    await refs.put("T1", "teams", "conversation", "19:abc", {"serviceUrl": "http://127.0.0.1:2/"})
    assert await refs.get("T1", "teams", "conversation", "19:abc") == {"serviceUrl": "http://127.0.0.1:2/"}


async def test_workspaces_and_kinds_do_not_mix(store: SqlStore) -> None:
    refs = SqlPlatformRefs(store)
    await refs.put("T1", "teams", "card", "m1", {"swarm": 1})
    assert await refs.get("T2", "teams", "card", "m1") is None
    assert await refs.get("T1", "teams", "conversation", "m1") is None
    assert await refs.get("T1", "slack", "card", "m1") is None
