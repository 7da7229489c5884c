"""The role guards: one per role, one wording each, called by every service that a role gates.

Views that hide a page from other roles altogether (the admin console answers 404) do so before
the service is reached; these guards are the rule itself, so every caller (page, API, command)
meets the same refusal.
"""

from __future__ import annotations

from ..models import User
from .errors import NotAllowed

ADMINS_ONLY = "This is for administrators only."
PLAYERS_ONLY = "This is for players only."


def require_admin(user: User) -> None:
    """Refuse (NotAllowed) anyone who is not an administrator."""
    if not user.is_admin:
        raise NotAllowed(ADMINS_ONLY)


def require_player(user: User) -> None:
    """Refuse (NotAllowed) anyone who is not a player."""
    if not user.is_player:
        raise NotAllowed(PLAYERS_ONLY)
