"""Who may see a session: its fan, its player, and admins. Everyone else gets a 404."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import LiveSession, User
from .errors import NotAllowed, NotFound


def session_for_viewer(user: User, session_id: int, *, for_update: bool = False) -> LiveSession:
    """The session if `user` takes part in it or is an admin; NotFound otherwise (no leak)."""
    query = select(LiveSession).where(LiveSession.id == session_id)
    if for_update:
        query = query.with_for_update()
    session = db.session.scalar(query)
    if session is None or not (user.is_admin or session.participant_role(user.id)):
        raise NotFound("No such session.")
    return session


def session_for_participant(user: User, session_id: int, *, for_update: bool = False) -> LiveSession:
    """The session if `user` is its fan or player. Admins may look but not act as a participant."""
    session = session_for_viewer(user, session_id, for_update=for_update)
    if session.participant_role(user.id) is None:
        raise NotAllowed("Only the fan and the player of this session can do that.")
    return session
