"""When a player can be booked: weekly wall-clock windows, date overrides, imported busy times."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, SmallInteger, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class SessionAvailability(db.Model):
    """A player's booking rules; the windows are wall-clock times in `timezone`."""

    __tablename__ = "session_availability"

    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    windows: Mapped[list[WeeklyWindow]] = relationship(
        cascade="all, delete-orphan", order_by="(WeeklyWindow.weekday, WeeklyWindow.start_time)"
    )
    overrides: Mapped[list[DateOverride]] = relationship(
        cascade="all, delete-orphan", order_by="(DateOverride.date, DateOverride.start_time)"
    )

    __table_args__ = (
        CheckConstraint("buffer_minutes between 0 and 240", name="buffer_range"),
        CheckConstraint("min_notice_minutes between 0 and 20160", name="notice_range"),
        CheckConstraint("max_days_ahead between 1 and 365", name="days_ahead_range"),
    )


class WeeklyWindow(db.Model):
    """A recurring window, e.g. Monday 09:00-12:00 in the player's zone."""

    __tablename__ = "availability_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("session_availability.player_id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)  # 00:00 means midnight at the end of the day

    __table_args__ = (CheckConstraint("weekday between 0 and 6", name="weekday_range"),)


class DateOverride(db.Model):
    """Hours for one date that replace the weekly windows; no times means a day off."""

    __tablename__ = "availability_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("session_availability.player_id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)


class CalendarBusyTime(db.Model):
    """A busy interval from the player's external calendars: the iCal feed or the CalDAV account.

    Each source's sync replaces only its own rows.
    """

    __tablename__ = "calendar_busy_times"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="feed", server_default="feed")

    __table_args__ = (db.Index("ix_calendar_busy_player_range", "player_id", "starts_at", "ends_at"),)
