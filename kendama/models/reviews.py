"""Fans' reviews of their lessons, the reports people make about them, and admins' moderation log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .sessions import LiveSession
from .types import UTCDateTime, utcnow
from .users import User


class Review(db.Model):
    """The fan's review of a completed session: 1-5 stars and a text, public or private to the player.

    `player_id` repeats the session's player so ratings are summed per player without a join.
    The current hidden state is kept here; every hide and unhide is also logged in
    review_moderation with who, when and why.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    player: Mapped[User] = relationship(foreign_keys=[player_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    session: Mapped[LiveSession] = relationship()

    __table_args__ = (CheckConstraint("rating between 1 and 5", name="rating_range"),)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_shown(self) -> bool:
        """On the player's profile and in their rating: public and not hidden by an admin."""
        return self.public and self.hidden_at is None


class ReviewReport(db.Model):
    """Someone signed in telling the admins that a review should not be shown (once per person)."""

    __tablename__ = "review_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reporter: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_reporter"),)


class ReviewModeration(db.Model):
    """One admin action on a review: hidden (with the reason) or shown again."""

    __tablename__ = "review_moderation"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    admin: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("action in ('hide','unhide')", name="action"),)
