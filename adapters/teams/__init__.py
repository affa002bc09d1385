"""Microsoft Teams: the Bot Framework endpoint (`TeamsMount`), the ChatPort (`TeamsChat`), Adaptive Cards and the
app package. See README, "Microsoft Teams"."""

from adapters.teams.chat import TeamsChat
from adapters.teams.mount import TeamsMount

__all__ = ["TeamsChat", "TeamsMount"]
