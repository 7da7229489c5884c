"""Who did not come to a session: the report, the other side's dispute, and how it ended."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .sessions import LiveSession
from .types import UTCDateTime, utcnow


class NoShowOutcome(enum.StrEnum):
    FAN_ABSENT = "fan_absent"  # the player marked the fan: the policy gives nothing back
    OPEN = "open"  # the fan reported the player; the player may dispute until dispute_until
    DISPUTED = "disputed"  # the player disputed it: an administrator decides
    REFUNDED = "refunded"  # the player's absence stood (undisputed, or upheld): full refund
    REJECTED = "rejected"  # an administrator found the player did come: nothing back


class NoShowReport(db.Model):
    """One per session: who was absent, in the reporter's words, and the answer if any."""

    __tablename__ = "no_show_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), unique=True)
    absent: Mapped[str] = mapped_column(String(8))  # "fan" or "player"
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispute_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispute_statement: Mapped[str | None] = mapped_column(Text)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: settled by the platform
    resolution_note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[LiveSession] = relationship()

    __table_args__ = (
        CheckConstraint("absent in ('fan','player')", name="no_show_absent"),
        CheckConstraint("outcome in ('fan_absent','open','disputed','refunded','rejected')", name="no_show_outcome"),
    )
