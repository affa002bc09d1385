"""The web pages (`/kb`, `/dashboard`, …), their sign-in, and `/metrics`: server-rendered, on Swarm's aiohttp server."""

from adapters.webui.pages import WebPages

__all__ = ["WebPages"]
