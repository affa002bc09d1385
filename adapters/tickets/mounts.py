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
    """Every ticket system's webhook, acting in the chat platforms served here. One whose secret is set neither in
    the environment nor in any workspace's own account refuses every request (401)."""
    return [hook(app, platforms) for hook in (ZendeskWebhook, JiraWebhook, SalesforceWebhook)]
