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


def table_of(row_class: Any) -> Any:
    """The Core table of a SQLModel row class. An INSERT of many rows into it skips the ORM's bulk-insert path, which
    handles every row in Python again (its columns, defaults, identity) for rows it will never load."""
    return row_class.__table__


def require_id(value: int | None, what: str) -> int:
    if value is None:
        raise ValueError(f"{what} has no id: add it before saving it")
    return value
