"""Who may do what: one guard per role, and who may see or act on a session.

The role guards have one wording each and are called by every service that a role gates. Views
that hide a page from other roles altogether (the admin console answers 404) do so before the
service is reached; these guards are the rule itself, so every caller (page, API, command) meets
the same refusal. A session is seen by its fan, its player and admins; everyone else gets a 404.
"""

from __future__ import annotations

from sqlalchemy import Row, Select, bindparam, select

from ..extensions import db
from ..models import LiveSession, User
from .errors import NotAllowed, NotFound

ADMINS_ONLY = "This is for administrators only."
PLAYERS_ONLY = "This is for players only."

# Built once: nearly every session page and API call reads its session through here.
_SESSION = select(LiveSession).where(LiveSession.id == bindparam("session_id"))
_SESSION_FOR_UPDATE = _SESSION.with_for_update()


def require_admin(user: User) -> None:
    """Refuse (NotAllowed) anyone who is not an administrator."""
    if not user.is_admin:
        raise NotAllowed(ADMINS_ONLY)


def require_player(user: User) -> None:
    """Refuse (NotAllowed) anyone who is not a player."""
    if not user.is_player:
        raise NotAllowed(PLAYERS_ONLY)


def session_for_viewer(user: User, session_id: int, *, for_update: bool = False) -> LiveSession:
    """The session if `user` takes part in it or is an admin; NotFound otherwise (no leak)."""
    session = db.session.scalar(_SESSION_FOR_UPDATE if for_update else _SESSION, {"session_id": session_id})
    _check_viewer(user, session)
    return session


def session_for_participant(user: User, session_id: int, *, for_update: bool = False) -> LiveSession:
    """The session if `user` is its fan or player. Admins may look but not act as a participant."""
    session = session_for_viewer(user, session_id, for_update=for_update)
    _check_participant(user, session)
    return session


def participant_row(user: User, session_id: int, query: Select) -> Row:
    """Some of a session's columns, as one plain row, under the rules of session_for_participant.

    For hot paths that need a few values and no ORM object. `query` selects columns of the
    sessions table, fan_id and player_id among them, where the id is the bind param `session_id`.
    """
    row = db.session.execute(query, {"session_id": session_id}).first()
    _check_viewer(user, row)
    _check_participant(user, row)
    return row


def _takes_part(user: User, session: LiveSession | Row) -> bool:
    return user.id in (session.fan_id, session.player_id)


def _check_viewer(user: User, session: LiveSession | Row | None) -> None:
    if session is None or not (user.is_admin or _takes_part(user, session)):
        raise NotFound("No such session.")


def _check_participant(user: User, session: LiveSession | Row) -> None:
    if not _takes_part(user, session):
        raise NotAllowed("Only the fan and the player of this session can do that.")
