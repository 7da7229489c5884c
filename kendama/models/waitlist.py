"""Fans waiting for a day with a player: their place in line and the slot offered to them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import User


class WaitlistState(enum.StrEnum):
    WAITING = "waiting"  # in line for the day
    OFFERED = "offered"  # a slot is held for this fan until offer_until
    BOOKED = "booked"  # the fan booked the day (the offered slot or another)
    LEFT = "left"  # the fan left the line
    LAPSED = "lapsed"  # the offer ran out unused; the next fan was told


class WaitlistEntry(db.Model):
    """One fan's place in one player's line for one day (as the fan's calendar has it) and length."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))  # the zone the day is a day in (the fan's)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8), default=WaitlistState.WAITING.value)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the place in line
    offer_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    player: Mapped[User] = relationship(foreign_keys=[player_id])

    __table_args__ = (
        db.UniqueConstraint("player_id", "fan_id", "day", "duration_minutes", name="uq_waitlist_place"),
        CheckConstraint("state in ('waiting','offered','booked','left','lapsed')", name="waitlist_state"),
        Index("ix_waitlist_entries_player_state", "player_id", "state"),
    )
