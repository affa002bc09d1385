"""What a user did wrong. The reason is a key; the words live in handlers/replies.py."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Bad input or a request that is not allowed. Answered privately; nothing changes."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

    def __repr__(self) -> str:
        return f"UserError({self.reason!r}, {self.details!r})"


class Busy(Exception):
    """The database is busy or away (locked, a lost connection, a serialisation conflict): nothing was kept, and the
    same work may succeed when tried again. The storage raises it in place of its driver's error."""
