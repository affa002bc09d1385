"""What every repository shares: the unit of work's session and the SQL dialect it speaks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def _rows(self, statement: Executable) -> Sequence[Row[Any]]:
        """The rows of a Core query, in this unit's transaction, as plain rows: no ORM object is built for them (on
        hot reads that is most of the cost) and none is left in the session to go stale."""
        connection = await self._session.connection()
        return (await connection.execute(statement)).all()

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
