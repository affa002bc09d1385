"""The webhooks of the ticket systems whose secret is set, mounted by `swarm serve` (adapters/cli.py)."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.app import App
from adapters.scheduler import Platform
from adapters.tickets.jira_webhook import JiraWebhook
from adapters.tickets.salesforce_webhook import SalesforceWebhook
from adapters.tickets.webhook import TicketWebhook
from adapters.tickets.zendesk_webhook import ZendeskWebhook


def webhooks(app: App, platforms: Sequence[Platform]) -> list[TicketWebhook]:
    """One mount per ticket system with a webhook secret: they act in the chat platforms served here."""
    settings = app.settings
    found: list[TicketWebhook] = []
    if settings.zendesk_webhook_secret:
        found.append(ZendeskWebhook(app, platforms))
    if settings.salesforce_webhook_secret:
        found.append(SalesforceWebhook(app, platforms))
    if settings.jira_webhook_secret:
        found.append(JiraWebhook(app, platforms))
    return found
