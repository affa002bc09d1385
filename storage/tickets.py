"""The outbox of internal notes for tickets (bot/tickets.py), and each workspace's own ticket accounts."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import col, select

from bot.context import utcnow
from bot.models import TicketAccount, TicketNote
from storage._sql import Repository, require_id
from storage.tables import TicketAccountRow, TicketNoteRow


class SqlTicketNoteRepository(Repository):
    async def add(self, note: TicketNote) -> bool:
        insert = self._insert(TicketNoteRow).values(
            workspace_id=note.workspace_id,
            key=note.key,
            system=note.system,
            ticket_id=note.ticket_id,
            body=note.body,
            swarm_id=note.swarm_id,
            created_at=note.created_at,
            attempts=note.attempts,
            next_at=note.next_at or note.created_at,
        )
        # The same note kept twice (a resumed opening, two replicas): the unique key keeps the first.
        statement = insert.on_conflict_do_nothing(index_elements=["workspace_id", "key"]).returning(
            col(TicketNoteRow.id)
        )
        found = (await self._session.exec(statement)).first()
        if found is not None:
            note.id = found[0] if isinstance(found, tuple) else found
        return found is not None

    async def take(
        self, now: datetime, holder: str, until: datetime, limit: int, workspace_id: int | None = None
    ) -> builtins.list[TicketNote]:
        due = [
            col(TicketNoteRow.sent_at).is_(None),
            col(TicketNoteRow.failed).is_(None),
            col(TicketNoteRow.next_at) <= now,
            or_(col(TicketNoteRow.held_until).is_(None), col(TicketNoteRow.held_until) < now),
        ]
        if workspace_id is not None:
            due.append(col(TicketNoteRow.workspace_id) == workspace_id)
        statement = select(TicketNoteRow.id).where(*due).order_by(col(TicketNoteRow.next_at), col(TicketNoteRow.id))
        ids = list((await self._session.exec(statement.limit(limit))).all())
        taken: builtins.list[TicketNote] = []
        for note_id in ids:
            # Held one by one, each only if nobody took it meanwhile: two senders never send the same note.
            held = (
                update(TicketNoteRow)
                .where(col(TicketNoteRow.id) == note_id, *due)
                .values(holder=holder, held_until=until)
                .returning(col(TicketNoteRow.id))
            )
            if (await self._session.exec(held)).first() is None:
                continue
            row = await self._session.get(TicketNoteRow, note_id, populate_existing=True)
            if row is not None:
                taken.append(_to_note(row))
        return taken

    async def settle(self, note: TicketNote, holder: str) -> None:
        statement = (
            update(TicketNoteRow)
            .where(col(TicketNoteRow.id) == require_id(note.id, "ticket note"), col(TicketNoteRow.holder) == holder)
            .values(
                attempts=note.attempts,
                next_at=note.next_at,
                sent_at=note.sent_at,
                failed=note.failed,
                last_error=note.last_error,
                holder=None,
                held_until=None,
            )
        )
        await self._session.exec(statement)

    async def for_swarm(self, swarm_id: int) -> builtins.list[TicketNote]:
        statement = (
            select(TicketNoteRow)
            .where(col(TicketNoteRow.swarm_id) == swarm_id)
            .order_by(col(TicketNoteRow.created_at), col(TicketNoteRow.id))
        )
        return [_to_note(row) for row in (await self._session.exec(statement)).all()]


def _to_note(row: TicketNoteRow) -> TicketNote:
    return TicketNote(
        id=row.id,
        workspace_id=row.workspace_id,
        key=row.key,
        system=row.system,
        ticket_id=row.ticket_id,
        body=row.body,
        swarm_id=row.swarm_id,
        created_at=row.created_at,
        attempts=row.attempts,
        next_at=row.next_at,
        sent_at=row.sent_at,
        failed=row.failed,
        last_error=row.last_error,
    )


class SqlTicketAccountRepository(Repository):
    async def put(self, account: TicketAccount) -> None:
        values = {
            "url": account.url,
            "login": account.login,
            "secret": account.secret,
            "webhook_secret": account.webhook_secret,
            "updated_at": account.updated_at or utcnow(),
        }
        insert = self._insert(TicketAccountRow).values(
            workspace_id=account.workspace_id, system=account.system, **values
        )
        await self._session.exec(insert.on_conflict_do_update(index_elements=["workspace_id", "system"], set_=values))

    async def for_workspace(self, workspace_id: int) -> builtins.list[TicketAccount]:
        statement = (
            select(TicketAccountRow)
            .where(col(TicketAccountRow.workspace_id) == workspace_id)
            .order_by(col(TicketAccountRow.system))
        )
        return [_account(row) for row in (await self._session.exec(statement)).all()]

    async def remove(self, workspace_id: int, system: str) -> bool:
        statement = (
            delete(TicketAccountRow)
            .where(col(TicketAccountRow.workspace_id) == workspace_id, col(TicketAccountRow.system) == system)
            .returning(col(TicketAccountRow.id))
        )
        return (await self._session.exec(statement)).first() is not None


def _account(row: TicketAccountRow) -> TicketAccount:
    return TicketAccount(
        workspace_id=row.workspace_id,
        system=row.system,
        url=row.url,
        login=row.login,
        secret=row.secret,
        webhook_secret=row.webhook_secret,
        updated_at=row.updated_at,
    )
