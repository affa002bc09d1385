"""Slack OAuth tokens encrypted at rest: slack_sdk's SQLAlchemy installation store, with every token sealed.

`bot_token`, `user_token`, `bot_refresh_token` and `user_refresh_token` are sealed (adapters/sealing.py: Fernet under
a key derived from SWARM_SECRET_KEY) before they are written, and opened when they are read. A row written before
encryption (or without a key) is read as it is, then sealed the next time the installation is saved.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sealing import Sealer, SealKeyError

log = logging.getLogger(__name__)

TOKEN_FIELDS = ("bot_token", "user_token", "bot_refresh_token", "user_refresh_token")
PURPOSE = b"swarm slack installation tokens v1"

Entity = TypeVar("Entity", Bot, Installation)
TokenKeyError = SealKeyError  # a stored token cannot be read: no SWARM_SECRET_KEY, or not the key it was sealed with


class TokenSealer(Sealer):
    """Seals and opens token values (adapters/sealing.py), and the tokens of slack_sdk's installations."""

    def __init__(self, secret_key: str | None) -> None:
        super().__init__(secret_key, PURPOSE, "Slack tokens")

    def seal_entity(self, entity: Entity) -> Entity:
        return _with_tokens(entity, self.seal)

    def open_entity(self, entity: Entity) -> Entity:
        return _with_tokens(entity, self.open)


def _with_tokens(entity: Entity, change: Any) -> Entity:
    """A copy of a Bot or Installation (plain classes, not dataclasses) with each token changed."""
    copy = _copy(entity)
    for name in TOKEN_FIELDS:
        if hasattr(copy, name):
            setattr(copy, name, change(getattr(copy, name)))
    return copy


def _copy(entity: Entity) -> Entity:
    copy = object.__new__(type(entity))
    copy.__dict__.update(entity.__dict__)
    return copy


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store on Swarm's tables, with the tokens encrypted at rest (see the module's docstring)."""

    def __init__(self, client_id: str, engine: AsyncEngine, secret_key: str | None) -> None:
        super().__init__(client_id, engine, logger=log)
        self.sealer = TokenSealer(secret_key)

    async def async_save(self, installation: Installation) -> None:
        # slack_sdk saves the installation's bot too (async_save_bot); its tokens arrive sealed and stay as they are.
        await super().async_save(self.sealer.seal_entity(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self.sealer.seal_entity(bot))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else self.sealer.open_entity(bot)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if installation is None else self.sealer.open_entity(installation)
