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


class TicketNotFound(Exception):
    """The ticket system has no such ticket (or it was deleted): asking again will not change that."""


class TicketSystemDown(Exception):
    """The ticket system did not answer, failed, or asked to wait (HTTP 429): the same call may succeed later.
    `retry_after` is how many seconds it asked for, when it said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
