"""The ticket systems Swarm reaches (bot.ports.TicketSystem), built from the settings: Zendesk for now."""

from __future__ import annotations

from adapters.settings import Settings
from adapters.tickets.zendesk import Zendesk

__all__ = ["Zendesk", "systems"]


def systems(settings: Settings) -> dict[str, Zendesk]:
    """The ticket systems set up in the settings, by the short name of their references (`zd`: bot/tickets.py)."""
    found: dict[str, Zendesk] = {}
    if settings.zendesk_url and settings.zendesk_email and settings.zendesk_api_token:
        found["zd"] = Zendesk(
            settings.zendesk_url, settings.zendesk_email, settings.zendesk_api_token, settings.ticket_timeout_seconds
        )
    return found
