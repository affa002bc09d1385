"""Slack OAuth tokens encrypted at rest: slack_sdk's SQLAlchemy installation store, with every token sealed.

`bot_token`, `user_token`, `bot_refresh_token` and `user_refresh_token` are encrypted with Fernet (AES-128-CBC and
HMAC-SHA256) under a key derived from SWARM_SECRET_KEY before they are written, and decrypted when they are read.
A sealed value is `enc:v1:<fernet token>`; a value without that prefix is a row written before encryption (or without
a key) and is read as it is, then sealed the next time the installation is saved.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
TOKEN_FIELDS = ("bot_token", "user_token", "bot_refresh_token", "user_refresh_token")
_INFO = b"swarm slack installation tokens v1"

Entity = TypeVar("Entity", Bot, Installation)


class TokenKeyError(Exception):
    """A stored token cannot be read: no SWARM_SECRET_KEY, or not the key it was sealed with."""


def token_cipher(secret_key: str) -> Fernet:
    """The Fernet key for stored tokens: HKDF-SHA256 of SWARM_SECRET_KEY (never the key itself)."""
    if not secret_key:
        raise ValueError("SWARM_SECRET_KEY is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class TokenSealer:
    """Seals and opens token values; without a key it writes plaintext and refuses to open sealed values."""

    def __init__(self, secret_key: str | None) -> None:
        self._cipher = token_cipher(secret_key) if secret_key else None

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(PREFIX) or self._cipher is None:
            return value
        return PREFIX + self._cipher.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value  # written before tokens were encrypted: read as it is, sealed on the next save
        if self._cipher is None:
            raise TokenKeyError(
                "the Slack tokens in the database are encrypted, and SWARM_SECRET_KEY is not set: "
                "set it to the key they were stored with"
            )
        try:
            return self._cipher.decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise TokenKeyError(
                "a Slack token in the database cannot be decrypted with SWARM_SECRET_KEY: it was stored with "
                "another key (set the original key back, or reinstall the app in that workspace)"
            ) from None

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
