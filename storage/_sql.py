"""What every repository shares: the unit of work's session and the SQL dialect it speaks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    def _insert(self, table: Any) -> postgresql.Insert | sqlite.Insert:
        """INSERT with ON CONFLICT support; both dialects spell it the same way, in different classes."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)


def require_id(value: int | None, what: str) -> int:
    if value is None:
        raise ValueError(f"{what} has no id: add it before saving it")
    return value
