"""The ticket systems Swarm reaches (bot.ports.TicketSystem), built from the settings.

A new system is a client module with an entry here, and a webhook module with an entry in adapters/tickets/mounts.py.
"""

from __future__ import annotations

from adapters.settings import Settings
from adapters.tickets.jira import Jira
from adapters.tickets.salesforce import Salesforce
from adapters.tickets.zendesk import Zendesk
from bot.ports import TicketSystem
from bot.tickets import JSM, SALESFORCE, ZENDESK

__all__ = ["Jira", "Salesforce", "Zendesk", "systems"]


def systems(settings: Settings) -> dict[str, TicketSystem]:
    """The ticket systems set up in the settings, by the short name of their references (`zd`: bot/tickets.py)."""
    found: dict[str, TicketSystem] = {}
    if settings.zendesk_url and settings.zendesk_email and settings.zendesk_api_token:
        found[ZENDESK] = Zendesk(
            settings.zendesk_url, settings.zendesk_email, settings.zendesk_api_token, settings.ticket_timeout_seconds
        )
    if settings.jira_url and settings.jira_email and settings.jira_api_token:
        found[JSM] = Jira(
            settings.jira_url, settings.jira_email, settings.jira_api_token, settings.ticket_timeout_seconds
        )
    if settings.salesforce_url and settings.salesforce_client_id and settings.salesforce_client_secret:
        found[SALESFORCE] = Salesforce(
            settings.salesforce_url,
            settings.salesforce_client_id,
            settings.salesforce_client_secret,
            settings.ticket_timeout_seconds,
        )
    return found
