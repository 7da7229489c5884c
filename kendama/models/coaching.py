"""The coaching layer: the trick catalog, what players teach, a lesson's goals, practice clips,
coach notes on the recording, and each fan's progress per trick."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .trick_seed import SEED_TRICKS
from .types import UTCDateTime, utcnow


class TrickFamily(enum.StrEnum):
    CUPS = "cups"
    SPIKE = "spike"
    AIRPLANE_LIGHTHOUSE = "airplane_lighthouse"
    JUGGLES = "juggles"
    BALANCE = "balance"


class ProgressState(enum.StrEnum):
    LANDED = "landed"
    CLOSER = "closer"
    NOT_YET = "not_yet"


class Trick(db.Model):
    """One trick of the catalog. A retired trick stays for history but is offered no more; a
    merged one is retired and points at the trick that absorbed it."""

    __tablename__ = "tricks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    level: Mapped[int] = mapped_column(SmallInteger)
    family: Mapped[str] = mapped_column(String(24))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tricks.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("level between 1 and 10", name="level_range"),
        CheckConstraint(
            "family in ('cups','spike','airplane_lighthouse','juggles','balance')",
            name="family",
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


@event.listens_for(Trick.__table__, "after_create")
def _seed(table, connection, **_kw) -> None:
    """create_all() (tests) starts with the same catalog migration 0005 seeds."""
    now = utcnow()
    rows = [
        {"name": name, "aliases": list(aliases), "level": level, "family": family, "created_at": now}
        for name, aliases, level, family in SEED_TRICKS
    ]
    connection.execute(insert(table), rows)


class PlayerTrick(db.Model):
    """A trick a player lists as one they teach."""

    __tablename__ = "player_tricks"

    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    trick_id: Mapped[int] = mapped_column(ForeignKey("tricks.id", ondelete="CASCADE"), primary_key=True, index=True)


class SessionGoal(db.Model):
    """One of the (at most three) tricks a fan books a lesson for, in the fan's order."""

    __tablename__ = "session_goals"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    trick_id: Mapped[int] = mapped_column(ForeignKey("tricks.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)

    trick: Mapped[Trick] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("position between 1 and 3", name="position_range"),
        UniqueConstraint("session_id", "position", name="uq_session_goals_position"),
    )


class PracticeClip(db.Model):
    """A short video the fan uploads before the lesson; the bytes are in storage under `storage_key`."""

    __tablename__ = "practice_clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClipAccess(db.Model):
    """Who looked at which practice clip, and when (as recording_access_log does for recordings)."""

    __tablename__ = "clip_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the log outlives a clip deleted with its session's data.
    clip_id: Mapped[int] = mapped_column(Integer, index=True)
    session_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoachNote(db.Model):
    """A player's note at a moment of the lesson: a marker dropped in the call, or a note written
    on the recording page. The fan sees it once the player publishes it."""

    __tablename__ = "coach_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recording part the moment belongs to (None: the call's first part, before it is known).
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("session_recordings.id", ondelete="SET NULL"))
    at_seconds: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    trick_id: Mapped[int | None] = mapped_column(ForeignKey("tricks.id"))
    source: Mapped[str] = mapped_column(String(8), default="note")  # note | marker
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trick: Mapped[Trick | None] = relationship()

    __table_args__ = (
        CheckConstraint("at_seconds >= 0", name="at_not_negative"),
        CheckConstraint("source in ('note','marker')", name="source"),
    )


class ProgressMark(db.Model):
    """How a fan stands on one trick after one session, as the session's player marked it."""

    __tablename__ = "progress_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    trick_id: Mapped[int] = mapped_column(ForeignKey("tricks.id"))
    state: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(280), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trick: Mapped[Trick] = relationship()

    __table_args__ = (
        UniqueConstraint("session_id", "trick_id", name="uq_progress_marks_session_trick"),
        CheckConstraint("state in ('landed','closer','not_yet')", name="state"),
    )
