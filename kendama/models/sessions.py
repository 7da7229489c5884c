"""Booked live sessions and the consent given for their recording."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DDL, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import User


class SessionStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses that occupy the player's time; the exclusion constraint covers exactly these.
ACTIVE_STATUSES = (SessionStatus.PENDING_PAYMENT, SessionStatus.CONFIRMED, SessionStatus.IN_PROGRESS)
_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES)


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
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Current consent; every change is also logged in session_consents with who and when.
    fan_recording_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    player_recording_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    fan_sharing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    player_sharing_consent: Mapped[bool] = mapped_column(Boolean, default=False)

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


# PostgreSQL only: no two active sessions of one player may overlap (buffers included).
# The same statements are in the initial migration; this listener serves create_all() in tests.
EXCLUSION_CONSTRAINT_SQL = (
    "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_player_no_overlap "
    "EXCLUDE USING gist (player_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
    f"WHERE (status IN ({_ACTIVE_SQL}))"
)
event.listen(
    LiveSession.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
event.listen(LiveSession.__table__, "after_create", DDL(EXCLUSION_CONSTRAINT_SQL).execute_if(dialect="postgresql"))


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
    """A rating and comment one participant leaves after a session."""

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
