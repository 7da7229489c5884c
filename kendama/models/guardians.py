"""A young fan's guardian: the address asked, whether they approved, and what they allow."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import User


class GuardianState(enum.StrEnum):
    PENDING = "pending"  # asked; the guardian has not answered yet
    APPROVED = "approved"  # the guardian confirmed and chose the allowances below


class GuardianConsent(db.Model):
    """One young fan's guardian (one at a time: asking another replaces the row's address).

    The guardian has no account: they act through signed links minted for this row, which die
    when `link_version` moves on (the fan named another address).
    """

    __tablename__ = "guardian_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    guardian_email: Mapped[str] = mapped_column(String(254))
    state: Mapped[str] = mapped_column(String(8), default=GuardianState.PENDING.value)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    allow_free_lessons: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_paid_lessons: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_recording: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sharing the fan's progress with every player they book (coaching/progress.py). Recordings
    # of a young fan's sessions are never shared, whatever this says.
    allow_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fan: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("state in ('pending','approved')", name="guardian_state"),)

    @property
    def approved(self) -> bool:
        return self.state == GuardianState.APPROVED
