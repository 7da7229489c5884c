"""Lesson packages: a player's offer of N lessons at one price, a fan's purchase, and its credits."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .sessions import LiveSession
from .types import UTCDateTime, utcnow
from .users import User


class LessonPackage(db.Model):
    """What a player offers: `lessons` lessons of one length for `price_amount` in all.

    A package a player takes off their offer stays (inactive), since purchases point at it.
    """

    __tablename__ = "lesson_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lessons: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    player: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("lessons between 2 and 10", name="package_lessons"),
        CheckConstraint("price_amount > 0", name="package_price_positive"),
    )


class PurchaseStatus(enum.StrEnum):
    PENDING = "pending"  # a Checkout is open for it
    PAID = "paid"  # its credits exist
    UNPAID = "unpaid"  # the Checkout ended without a payment


class PackagePurchase(db.Model):
    """One fan's purchase of a package, with the price and fee split fixed when it was bought."""

    __tablename__ = "package_purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("lesson_packages.id"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lessons: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    platform_fee_amount: Mapped[int] = mapped_column(Integer)
    player_share_amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default=PurchaseStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set when paid

    player: Mapped[User] = relationship(foreign_keys=[player_id])
    fan: Mapped[User] = relationship(foreign_keys=[fan_id])
    credits: Mapped[list[PackageCredit]] = relationship(back_populates="purchase", order_by="PackageCredit.id")

    __table_args__ = (
        CheckConstraint("status in ('pending','paid','unpaid')", name="purchase_status"),
        CheckConstraint("platform_fee_amount + player_share_amount = price_amount", name="purchase_split"),
    )


class CreditState(enum.StrEnum):
    AVAILABLE = "available"
    USED = "used"  # a confirmed booking holds it (session_id)
    REFUNDED = "refunded"  # given back as money, pro rata
    EXPIRED = "expired"


class PackageCredit(db.Model):
    """One lesson of a purchase. A session holds at most one credit, and a credit one session."""

    __tablename__ = "package_credits"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("package_purchases.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(9), default=CreditState.AVAILABLE.value)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    purchase: Mapped[PackagePurchase] = relationship(back_populates="credits")
    # LiveSession.package_credit: the credit a session was booked with (None for the others).
    session: Mapped[LiveSession | None] = relationship(backref=backref("package_credit", uselist=False))

    __table_args__ = (
        CheckConstraint("state in ('available','used','refunded','expired')", name="credit_state"),
        CheckConstraint("(state = 'used') = (session_id is not null)", name="credit_used_by_session"),
        Index("ix_package_credits_purchase_state", "purchase_id", "state"),
    )
