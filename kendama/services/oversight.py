"""What the admin console shows: the platform at a glance and every session, searchable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    TROUBLED_REFUNDS,
    LiveSession,
    Notification,
    Profile,
    Refund,
    Role,
    SessionRecording,
    SessionStatus,
    User,
    VerificationState,
    utcnow,
)
from .access import require_admin
from .errors import InvalidInput
from .text_search import LIKE_ESCAPE, contains_pattern
from .timezones import zone

PROBLEM_NOTIFICATIONS = ("failed", "dead")


@dataclass(frozen=True)
class Overview:
    players_listed: int
    players_waiting: int
    fans: int
    sessions_upcoming: int
    sessions_awaiting_payment: int
    sessions_completed: int
    refunds_needing_attention: int
    notifications_failed: int
    recordings: int


def overview(admin: User, *, now: datetime | None = None) -> Overview:
    """The console's counts, in three queries."""
    require_admin(admin)
    now = now or utcnow()
    is_player = User.role == Role.PLAYER.value
    people = db.session.execute(
        select(
            func.count().filter(User.role == Role.FAN.value),
            func.count().filter(
                is_player,
                Profile.verification_state == VerificationState.VERIFIED.value,
                Profile.accepts_bookings.is_(True),
            ),
            func.count().filter(
                is_player,
                Profile.verification_state.in_([VerificationState.PENDING.value, VerificationState.UNVERIFIED.value]),
            ),
        )
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
    ).one()
    sessions = db.session.execute(
        select(
            func.count().filter(LiveSession.status.in_([s.value for s in ACTIVE_STATUSES]), LiveSession.ends_at > now),
            func.count().filter(LiveSession.status == SessionStatus.PENDING_PAYMENT.value),
            func.count().filter(LiveSession.status == SessionStatus.COMPLETED.value),
        ).select_from(LiveSession)
    ).one()
    problems = db.session.execute(
        select(
            select(func.count()).select_from(Refund).where(Refund.status.in_(TROUBLED_REFUNDS)).scalar_subquery(),
            select(func.count())
            .select_from(Notification)
            .where(Notification.status.in_(PROBLEM_NOTIFICATIONS))
            .scalar_subquery(),
            select(func.count()).select_from(SessionRecording).scalar_subquery(),
        )
    ).one()
    return Overview(
        players_listed=people[1],
        players_waiting=people[2],
        fans=people[0],
        sessions_upcoming=sessions[0],
        sessions_awaiting_payment=sessions[1],
        sessions_completed=sessions[2],
        refunds_needing_attention=problems[0],
        notifications_failed=problems[1],
        recordings=problems[2],
    )


@dataclass(frozen=True)
class SessionFilter:
    status: str | None = None
    start_date: date | None = None  # the first local day shown, in the admin's zone
    end_date: date | None = None  # the last local day shown (inclusive)
    person: str | None = None  # part of the player's or the fan's name or email


@dataclass(frozen=True)
class SessionResults:
    items: list[LiveSession]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_sessions(
    admin: User, search: SessionFilter, zone_name: str, *, page: int = 1, per_page: int = 25
) -> SessionResults:
    """Every session matching the filter, latest start first, one page at a time.

    The dates are whole days on the admin's wall clock: zoneinfo turns each local midnight
    into the instant it is, so a day across a DST change is 23 or 25 hours long, as it should be.
    """
    require_admin(admin)
    if search.status is not None and search.status not in {s.value for s in SessionStatus}:
        raise InvalidInput({"status": "Choose a status from the list."})
    if search.start_date and search.end_date and search.end_date < search.start_date:
        raise InvalidInput({"end_date": "The last day must be on or after the first day."})
    tz = zone(zone_name)
    conditions = []
    if search.status:
        conditions.append(LiveSession.status == search.status)
    if search.start_date:
        conditions.append(
            LiveSession.starts_at >= datetime.combine(search.start_date, time(0), tzinfo=tz).astimezone(UTC)
        )
    if search.end_date:
        after = search.end_date + timedelta(days=1)
        conditions.append(LiveSession.starts_at < datetime.combine(after, time(0), tzinfo=tz).astimezone(UTC))
    fan, player = aliased(User), aliased(User)
    if search.person and search.person.strip():
        pattern = contains_pattern(search.person)
        columns = (fan.display_name, fan.email, player.display_name, player.email)
        conditions.append(or_(*(func.lower(column).like(pattern, escape=LIKE_ESCAPE) for column in columns)))
    # Each session has one fan and one player, so these joins never repeat a row.
    joined = (
        select(LiveSession).join(fan, fan.id == LiveSession.fan_id).join(player, player.id == LiveSession.player_id)
    )
    joined = joined.where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    items = db.session.scalars(
        joined.options(selectinload(LiveSession.fan), selectinload(LiveSession.player))
        .order_by(LiveSession.starts_at.desc(), LiveSession.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return SessionResults(list(items), total, page, per_page)
