"""Deleting a workspace's or a person's data for good (bot.ports.ForgettingRepository): what a data protection
officer asks for when a customer leaves or a person asks to be erased.

Every delete is explicit, table by table, in an order no foreign key objects to, and counted; nothing relies on
ON DELETE CASCADE (a swarm's owner is RESTRICT, and SQLite enforces foreign keys only with its pragma on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlalchemy import select as core_select
from sqlmodel import col, select

from storage._sql import Repository, table_of
from storage.tables import (
    ArticleEmbeddingRow,
    ArticleLinkRow,
    ArticleRow,
    ArticleVersionRow,
    CsatRow,
    HistoryCursorRow,
    InboxRow,
    PersonRow,
    PersonSkillRow,
    PlatformRefRow,
    ProcessedEventRow,
    SwarmEventRow,
    SwarmMemberRow,
    SwarmRow,
    ThanksRow,
    TicketNoteRow,
    WorkspaceRow,
)

# Who a forgotten person's swarms belong to afterwards: a swarm needs an owner, and this one is nobody. It has no
# e-mail and no chat id, is away for ever and takes no swarm, so it is never asked, invited or nudged.
STAND_IN = "someone"
NEVER_BACK = datetime(9999, 1, 1, tzinfo=UTC)
# The per-person kinds of Teams references (storage.refs), keyed by the person's Teams id.
PERSONAL_REFS = ("home", "personal")


class SqlForgettingRepository(Repository):
    async def forget_workspace(self, workspace_id: int, key: str) -> dict[str, int]:
        """Deletes every row of the workspace, and the deliveries of its key still waiting in the inbox."""
        counts: dict[str, int] = {}
        counts["swarms"] = await self._count(SwarmRow, col(SwarmRow.workspace_id) == workspace_id)
        counts["timeline entries"] = await self._count(SwarmEventRow, col(SwarmEventRow.workspace_id) == workspace_id)
        counts["articles"] = await self._count(ArticleRow, col(ArticleRow.workspace_id) == workspace_id)
        counts["people"] = await self._count(PersonRow, col(PersonRow.workspace_id) == workspace_id)
        counts["thanks"] = await self._count(ThanksRow, col(ThanksRow.workspace_id) == workspace_id)
        counts["CSAT answers"] = await self._count(CsatRow, col(CsatRow.workspace_id) == workspace_id)
        for row_class in (
            HistoryCursorRow,
            TicketNoteRow,
            CsatRow,
            ThanksRow,
            ArticleEmbeddingRow,
            ArticleVersionRow,
            ArticleLinkRow,
            ArticleRow,
            SwarmEventRow,
            SwarmMemberRow,
            SwarmRow,
            PersonSkillRow,
            PersonRow,
            ProcessedEventRow,
            PlatformRefRow,
        ):
            await self._delete(row_class, col(row_class.workspace_id) == workspace_id)
        counts["waiting deliveries"] = await self._delete(InboxRow, col(InboxRow.team) == key)
        await self._delete(WorkspaceRow, col(WorkspaceRow.id) == workspace_id)
        return counts

    async def forget_person(self, person_id: int) -> dict[str, int]:
        """Deletes the person and what is theirs alone; what they took part in stays, attributed to nobody and
        without their words (see docs/cli.md, "swarm roster forget")."""
        person = await self._session.get(PersonRow, person_id)
        if person is None:
            raise LookupError(f"no person with id {person_id}")
        workspace_id, name = person.workspace_id, person.name
        counts: dict[str, int] = {"people": 0}  # first in what is reported; counted when the row goes, last
        owned = col(SwarmRow.owner_id) == person_id
        counts["swarms handed to someone"] = owned_count = await self._count(SwarmRow, owned)
        if owned_count:
            stand_in = await self._stand_in(workspace_id)
            await self._update(SwarmRow, owned, owner_id=stand_in)
        theirs = col(SwarmEventRow.person_id) == person_id
        said = select(SwarmEventRow.message_id).where(theirs, col(SwarmEventRow.message_id).is_not(None))
        message_ids = [message_id for message_id in (await self._session.exec(said)).all() if message_id]
        counts["timeline entries made anonymous"] = await self._update(SwarmEventRow, theirs, person_id=None, text="")
        if message_ids:  # their words copied by others: a message marked as the fix (its id and ":mark", bot.swarms)
            marks = [*message_ids, *(f"{message_id}:mark" for message_id in message_ids)]
            copied = (col(SwarmEventRow.workspace_id) == workspace_id) & col(SwarmEventRow.message_id).in_(marks)
            counts["timeline entries made anonymous"] += await self._update(SwarmEventRow, copied, text="")
        names = [n for n in (name, person.email, person.slack_id and f"<@{person.slack_id}>") if n and len(n) > 2]
        counts["mentions replaced by someone"] = await self._unmention(workspace_id, names)
        counts["swarm memberships"] = await self._delete(SwarmMemberRow, col(SwarmMemberRow.person_id) == person_id)
        counts["thanks"] = await self._delete(
            ThanksRow, or_(col(ThanksRow.giver_id) == person_id, col(ThanksRow.receiver_id) == person_id)
        )
        counts["CSAT answers"] = await self._delete(CsatRow, col(CsatRow.person_id) == person_id)
        await self._update(ArticleVersionRow, col(ArticleVersionRow.person_id) == person_id, person_id=None)
        counts["article credits"] = await self._uncredit(workspace_id, name)
        counts["skills"] = await self._delete(PersonSkillRow, col(PersonSkillRow.person_id) == person_id)
        chat_ids = [chat_id for chat_id in (person.slack_id, person.teams_id) if chat_id]
        if chat_ids:
            await self._delete(
                PlatformRefRow,
                (col(PlatformRefRow.workspace_id) == workspace_id)
                & col(PlatformRefRow.kind).in_(PERSONAL_REFS)
                & col(PlatformRefRow.key).in_(chat_ids),
            )
        counts["people"] = await self._delete(PersonRow, col(PersonRow.id) == person_id)
        return counts

    # -- inside ------------------------------------------------------------------------------------------------------

    async def _stand_in(self, workspace_id: int) -> int:
        lookup = select(PersonRow.id).where(
            col(PersonRow.workspace_id) == workspace_id,
            col(PersonRow.name) == STAND_IN,
            col(PersonRow.email).is_(None),
            col(PersonRow.slack_id).is_(None),
            col(PersonRow.teams_id).is_(None),
            col(PersonRow.max_active_swarms) == 0,
        )
        found = (await self._session.exec(lookup)).first()
        if found is not None:
            return int(found)
        row = PersonRow(workspace_id=workspace_id, name=STAND_IN, max_active_swarms=0, away_until=NEVER_BACK)
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def _uncredit(self, workspace_id: int, name: str) -> int:
        """Takes the name out of the contributors of the workspace's articles (they are kept by name)."""
        rows = await self._session.exec(select(ArticleRow).where(col(ArticleRow.workspace_id) == workspace_id))
        changed = 0
        for article in rows.all():
            if name in article.contributors:
                article.contributors = [who for who in article.contributors if who != name]
                changed += 1
        await self._session.flush()
        return changed

    async def _unmention(self, workspace_id: int, names: list[str]) -> int:
        """Replaces the name, e-mail and Slack mention in what others wrote or were thanked for with "someone"."""
        if not names:
            return 0
        mentioning = select(SwarmEventRow).where(
            col(SwarmEventRow.workspace_id) == workspace_id, or_(*(col(SwarmEventRow.text).contains(n) for n in names))
        )
        changed = 0
        for entry in (await self._session.exec(mentioning)).all():
            text = entry.text
            for mention in names:
                text = text.replace(mention, STAND_IN)
            if text != entry.text:
                entry.text = text
                changed += 1
        await self._session.flush()
        return changed

    async def _count(self, row_class: Any, where: ColumnElement[bool]) -> int:
        statement = core_select(func.count()).select_from(table_of(row_class)).where(where)
        return int((await self._rows(statement))[0][0])

    async def _delete(self, row_class: Any, where: ColumnElement[bool]) -> int:
        result = await self._session.exec(delete(table_of(row_class)).where(where))
        return int(result.rowcount or 0)

    async def _update(self, row_class: Any, where: ColumnElement[bool], **values: Any) -> int:
        statement = update(table_of(row_class)).where(where).values(**values)
        result = await self._session.exec(statement)
        return int(result.rowcount or 0)
