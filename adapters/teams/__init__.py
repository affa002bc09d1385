"""Microsoft Teams: the Bot Framework endpoint (`TeamsMount`), the ChatPort (`TeamsChat`), Adaptive Cards and the
app package. Setting it up: docs/teams.md."""

from adapters.teams.chat import TeamsChat
from adapters.teams.mount import TeamsMount

__all__ = ["TeamsChat", "TeamsMount"]
