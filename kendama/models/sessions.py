"""Booked live sessions and the consent given for their recording."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    event,
    false,
    not_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dialects import overlap_guard_ddl
from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import User

if TYPE_CHECKING:
    from .coaching import SessionGoal


class SessionStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Sessions still to happen or happening (listings, counts).
ACTIVE_STATUSES = (SessionStatus.PENDING_PAYMENT, SessionStatus.CONFIRMED, SessionStatus.IN_PROGRESS)
# A session holds its time (plus buffer) whatever its status, until it is cancelled: one that was
# completed or marked a no-show early still took place then, so the slot is not free for another
# booking, nor the fan free for another session. The database's overlap guard says the same.
RELEASED_STATUSES = (SessionStatus.CANCELLED,)


class LiveSession(db.Model):
    """One booked lesson between a fan and a player. Times are UTC.

    `blocked_until` is the end plus the player's buffer at booking time: the database refuses
    two active sessions of one player whose [starts_at, blocked_until) ranges overlap, so the
    buffer holds under races too.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.CONFIRMED.value)
    price_amount: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    platform_fee_amount: Mapped[int] = mapped_column(Integer, default=0)
    player_share_amount: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    # What the fan wants from the lesson, beside the goal tricks (coaching.SessionGoal).
    goal_note: Mapped[str] = mapped_column(Text, default="")
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Current consent; every change is also logged in session_consents with who and when.
    fan_recording_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    player_recording_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    fan_sharing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    player_sharing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The fan was under the guardian age when booking: the recording is never shared or reused,
    # players see "minor", and the guardian gets copies (services/booking/young_fans.py).
    fan_is_minor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_by_role: Mapped[str | None] = mapped_column(String(16))  # fan, player, admin, system
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0)
    # iCalendar SEQUENCE: bumped on every change attendees must see (reschedule, cancel).
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)

    room_name: Mapped[str | None] = mapped_column(String(128), index=True)  # webhooks look sessions up by it
    room_url: Mapped[str | None] = mapped_column(String(512))
    fan_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    player_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fan: Mapped[User] = relationship(foreign_keys=[fan_id])
    player: Mapped[User] = relationship(foreign_keys=[player_id])
    # The fan's goal tricks, in their order (written by services/coaching/goals.py).
    goals: Mapped[list[SessionGoal]] = relationship(order_by="SessionGoal.position", viewonly=True)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("blocked_until >= ends_at", name="blocked_after_end"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint(
            "status in ('pending_payment','confirmed','in_progress','completed','cancelled','no_show')",
            name="status",
        ),
        db.Index("ix_sessions_player_starts", "player_id", "starts_at"),
        db.Index("ix_sessions_status_hold", "status", "hold_expires_at"),
    )

    @property
    def is_free(self) -> bool:
        return self.price_amount == 0

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @classmethod
    def holds_time(cls, now) -> ColumnElement[bool]:
        """Sessions that block their [starts_at, blocked_until): all but cancelled ones.

        An unpaid hold past its expiry no longer counts (booking expires it first, so the
        database's guard, which cannot know the time, agrees by then).
        """
        expired_hold = and_(cls.status == SessionStatus.PENDING_PAYMENT.value, cls.hold_expires_at <= now)
        return and_(cls.status.not_in([status.value for status in RELEASED_STATUSES]), not_(expired_hold))

    def mark_cancelled(self, now: datetime, by_role: str, reason: str | None, by_id: int | None = None) -> None:
        """The one place a cancellation is written: by a person, or by the system for an unpaid
        hold that ran out or a payment that came too late. Its time is released, and calendars
        see a new sequence."""
        self.status = SessionStatus.CANCELLED.value
        self.cancelled_at = now
        self.cancelled_by_id = by_id
        self.cancelled_by_role = by_role
        self.cancellation_reason = reason or None
        self.hold_expires_at = None
        self.ics_sequence += 1

    @property
    def recording_allowed(self) -> bool:
        return self.fan_recording_consent and self.player_recording_consent

    @property
    def sharing_allowed(self) -> bool:
        return self.recording_allowed and self.fan_sharing_consent and self.player_sharing_consent

    def participant_role(self, user_id: int) -> str | None:
        if user_id == self.fan_id:
            return "fan"
        if user_id == self.player_id:
            return "player"
        return None


# No two sessions of one player that hold their time may overlap (buffers included): an
# exclusion constraint on PostgreSQL, triggers on SQLite (kendama/dialects.py). The migrations
# hold frozen copies of these statements; this listener serves create_all() in tests.
_RELEASED = [status.value for status in RELEASED_STATUSES]
for _dialect in ("postgresql", "sqlite"):
    for _statement in overlap_guard_ddl(_dialect, _RELEASED):
        event.listen(LiveSession.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class ConsentRecord(db.Model):
    """An audit row for each consent given or withdrawn: who, what, when."""

    __tablename__ = "session_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # recording | sharing
    granted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("kind in ('recording','sharing')", name="kind"),)


class SessionFeedback(db.Model):
    """The player's private rating and comment about the fan after a session, read by admins.

    Fans' post-session feedback is their review (models/reviews.py); rows from fans moved there in 0006.
    """

    __tablename__ = "session_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("session_id", "author_id", name="uq_session_feedback_author"),
        CheckConstraint("rating between 1 and 5", name="rating_range"),
    )
