"""One entry point for every neutral event, and one error policy for all of them.

A UserError becomes a private answer to whoever acted; anything else is logged with the event's kind and ids (never
what the person typed, nor their e-mail) and gets a short apology. A delivery the platform retries (same event id)
is handled once; one whose work met a busy database is given back to be tried again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from bot.core import Core
from bot.deliveries import Duplicate
from bot.errors import Busy, UserError
from handlers import actions, commands, forms, home, messages, reactions, replies
from handlers.chat import (
    ActionEvent,
    ChatPort,
    CommandEvent,
    Event,
    FormEvent,
    HomeEvent,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    ReactionEvent,
)
from handlers.context import Context, Conventions

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"
    REFUSED = "refused"  # a UserError: the person was told why
    FAILED = "failed"  # our fault: logged, the person got an apology


Handler = Callable[[Context, Any], Awaitable[None]]
AnyEvent = TypeVar("AnyEvent", bound=Event)


class Router:
    def __init__(self, core: Core, chat: ChatPort, conventions: Conventions | None = None) -> None:
        self.context = Context(core, chat, conventions or Conventions())

    async def handle(self, event: Event) -> Outcome:
        """Does the event's work once however often it is delivered (bot/deliveries.py). When the database is busy
        or away (`Busy`), a platform delivery is given back, for the inbox to try again; nothing was kept."""
        event = _without_nul(event)
        if not event.event_id:
            return await self._do(event)
        async with self.context.core.deliveries.claimed(event.origin.workspace, event.event_id) as first:
            return await self._do(event) if first else Outcome.DUPLICATE

    async def _do(self, event: Event) -> Outcome:
        origin = event.origin
        try:
            await _handler_for(event)(self.context, event)
        except UserError as err:
            await self.context.tell_or_log(origin, replies.error(err))
            return Outcome.REFUSED
        except Duplicate:
            return Outcome.DUPLICATE  # taken over by another worker, which does the work
        except Exception as error:
            if isinstance(error, Busy) and event.event_id:
                raise  # nothing was kept: the delivery goes back to the inbox, to be tried again
            log.exception("failed to handle %s", described(event))
            typed = event.text if isinstance(event, CommandEvent) else None
            await self.context.tell_or_log(origin, replies.apology(typed))
            return Outcome.FAILED
        return Outcome.DONE

    async def handle_messages(self, events: Sequence[MessageEvent]) -> None:
        """A run of messages in one room, kept in one transaction, each message once. It raises what goes wrong: the
        caller then handles each message alone, through `handle` and its error policy."""
        await messages.on_messages(self.context, [_without_nul(event) for event in events])

    async def handle_joins(
        self, events: Sequence[ReactionEvent], coming: Callable[[], Collection[str]] = frozenset
    ) -> None:
        """A run of 🙋 / 👀 in one channel (`reactions.joins`), as `handle_messages` does messages. `coming` tells
        the announcements that more joins, already received, are about (`reactions.on_joins`)."""
        await reactions.on_joins(self.context, [_without_nul(event) for event in events], coming)


HANDLERS: dict[type, Handler] = {
    CommandEvent: commands.on_command,
    ReactionEvent: reactions.on_reaction,
    MessageEvent: messages.on_message,
    MessageEdited: messages.on_edit,
    MessageDeleted: messages.on_delete,
    ActionEvent: actions.on_action,
    FormEvent: forms.on_form,
    HomeEvent: home.on_home,
}


def described(event: Event) -> str:
    """What a log line may say about an event: its kind and ids, not the words or the e-mail in it."""
    origin = event.origin
    what = type(event).__name__
    if isinstance(event, ActionEvent | FormEvent):
        what += f" {event.action}"
    return f"{what} {event.event_id or '-'} in {origin.platform}:{origin.workspace}"


def _handler_for(event: Event) -> Handler:
    return HANDLERS[type(event)]


def _without_nul(event: AnyEvent) -> AnyEvent:
    """NUL characters mean nothing in chat and PostgreSQL refuses them in text: they are dropped on the way in."""
    if event.event_id and "\x00" in event.event_id:
        event = dataclasses.replace(event, event_id=event.event_id.replace("\x00", ""))
    if isinstance(event, CommandEvent | MessageEvent | MessageEdited) and "\x00" in event.text:
        return dataclasses.replace(event, text=event.text.replace("\x00", ""))
    if isinstance(event, FormEvent) and any("\x00" in v for v in event.values.values()):
        return dataclasses.replace(event, values={k: v.replace("\x00", "") for k, v in event.values.items()})
    return event
