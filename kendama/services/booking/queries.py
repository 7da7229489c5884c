"""Reading sessions: one session, or the viewer's sessions listed (read-only, no locks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, Select, and_, func, not_, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import ACTIVE_STATUSES, LiveSession, User, utcnow
from ..access import session_for_viewer

_ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)


def get_session(viewer: User, session_id: int) -> LiveSession:
    """A session its fan, its player or an admin may see (404 for anyone else)."""
    return session_for_viewer(viewer, session_id)


def _visible_to(viewer: User) -> Select[tuple[LiveSession]]:
    query = select(LiveSession).options(
        selectinload(LiveSession.fan), selectinload(LiveSession.player), selectinload(LiveSession.goals)
    )
    if not viewer.is_admin:
        query = query.where(or_(LiveSession.fan_id == viewer.id, LiveSession.player_id == viewer.id))
    return query


@dataclass(frozen=True)
class SessionPage:
    items: list[LiveSession]
    total: int


def list_sessions(
    viewer: User,
    *,
    status: str | None = None,
    upcoming: bool | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> SessionPage:
    """The viewer's sessions (as fan or player; admins see all), newest first or, upcoming, soonest first."""
    now = now or utcnow()
    query = _visible_to(viewer)
    if status is not None:
        query = query.where(LiveSession.status == status)
    if upcoming is True:
        query = query.where(LiveSession.ends_at > now).order_by(LiveSession.starts_at, LiveSession.id)
    elif upcoming is False:
        query = query.where(LiveSession.ends_at <= now).order_by(LiveSession.starts_at.desc(), LiveSession.id.desc())
    else:
        query = query.order_by(LiveSession.starts_at.desc(), LiveSession.id.desc())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return SessionPage(items, total)


def _active_clause(now: datetime | BindParameter[datetime]):
    """Sessions still to take place or under way, not counting unpaid holds that have already expired."""
    return and_(LiveSession.status.in_(_ACTIVE), LiveSession.holds_time(now))


@dataclass(frozen=True)
class Overview:
    upcoming: list[LiveSession]
    past: list[LiveSession]


def sessions_overview(viewer: User, *, now: datetime | None = None, limit: int = 50) -> Overview:
    """The viewer's own sessions for the dashboard: active ones still to come, then the rest."""
    now = now or utcnow()
    own = _visible_to(viewer).where(or_(LiveSession.fan_id == viewer.id, LiveSession.player_id == viewer.id))
    ahead = and_(_active_clause(now), LiveSession.ends_at > now)
    upcoming = db.session.scalars(own.where(ahead).order_by(LiveSession.starts_at).limit(limit))
    past = db.session.scalars(
        own.where(not_(ahead)).order_by(LiveSession.starts_at.desc(), LiveSession.id.desc()).limit(limit)
    )
    return Overview(list(upcoming), list(past))
