"""Money movements: Checkout payments and refunds, in integer minor units."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .sessions import LiveSession
from .types import UTCDateTime, utcnow


class PaymentStatus(enum.StrEnum):
    """A Checkout's outcome as this platform records it (Stripe's own words are mapped onto these)."""

    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"


class RefundStatus(enum.StrEnum):
    """Where a granted refund stands: to be sent, done, to be retried, or given up (admins see it)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"


# Refunds that need an administrator's eye: retrying by themselves, or given up.
TROUBLED_REFUNDS = (RefundStatus.FAILED, RefundStatus.DEAD)


class Payment(db.Model):
    """A Checkout Session opened for a paid booking or a lesson package, and what became of it."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    package_purchase_id: Mapped[int | None] = mapped_column(ForeignKey("package_purchases.id"), index=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2048))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    application_fee_amount: Mapped[int] = mapped_column(Integer, default=0)
    destination_account_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.OPEN)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[LiveSession | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("(session_id is null) <> (package_purchase_id is null)", name="pays_for_one_thing"),
    )


class Refund(db.Model):
    """A refund the policy granted; carried out (and retried) against the payment provider."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)  # None: a package's
    package_purchase_id: Mapped[int | None] = mapped_column(ForeignKey("package_purchases.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # The part of the platform fee given back with it (in proportion), for the books.
    fee_refund_amount: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(64), default="requested_by_customer")
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.PENDING)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
