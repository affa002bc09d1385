"""Slack: bolt's AsyncApp on the shared aiohttp server or over Socket Mode."""

from adapters.slack.mount import SlackMount

__all__ = ["SlackMount"]
