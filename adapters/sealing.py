"""Secrets kept in Swarm's database encrypted at rest: Slack's OAuth tokens (adapters/slack/tokens.py) and the
credentials of each workspace's ticket systems (adapters/tickets/accounts.py).

A value is sealed with Fernet (AES-128-CBC and HMAC-SHA256) under a key derived by HKDF-SHA256 from
SWARM_SECRET_KEY and what it is for (`purpose`), so a key for one kind of secret never opens another. A sealed value
is `enc:v1:<fernet token>`; a value without that prefix was written before encryption (or without a key) and is read
as it is.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc:v1:"


class SealKeyError(Exception):
    """A stored secret cannot be read: no SWARM_SECRET_KEY, or not the key it was sealed with."""


def cipher(secret_key: str, purpose: bytes) -> Fernet:
    """The Fernet key for one kind of stored secret: HKDF-SHA256 of SWARM_SECRET_KEY (never the key itself)."""
    if not secret_key:
        raise ValueError("SWARM_SECRET_KEY is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class Sealer:
    """Seals and opens one kind of secret (`what`, for the errors); without a key it writes plaintext and refuses to
    open sealed values."""

    def __init__(self, secret_key: str | None, purpose: bytes, what: str) -> None:
        self._cipher = cipher(secret_key, purpose) if secret_key else None
        self.what = what

    @property
    def sealing(self) -> bool:
        return self._cipher is not None

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(PREFIX) or self._cipher is None:
            return value
        return PREFIX + self._cipher.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value  # written before secrets were encrypted: read as it is, sealed on the next save
        if self._cipher is None:
            raise SealKeyError(
                f"the {self.what} in the database are encrypted, and SWARM_SECRET_KEY is not set: "
                "set it to the key they were stored with"
            )
        try:
            return self._cipher.decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SealKeyError(
                f"a secret among the {self.what} in the database cannot be decrypted with SWARM_SECRET_KEY: it was "
                "stored with another key (set the original key back, or store it again)"
            ) from None
