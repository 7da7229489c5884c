"""Shared helpers for booking tests: future slot times and paid-session fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kendama.extensions import db
from kendama.models import Payment, utcnow


def weekday_at(hour: int, minute: int = 0, zone: str = "Europe/Prague", days_ahead: int = 3) -> datetime:
    """The first Monday-to-Friday at least `days_ahead` days from now, at hour:minute local, in UTC."""
    tz = ZoneInfo(zone)
    day = (utcnow() + timedelta(days=days_ahead)).astimezone(tz).date()
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def mark_paid(session, amount: int | None = None) -> Payment:
    """Record that the fan paid for a session, as the payment side would after Checkout."""
    payment = Payment(
        session_id=session.id,
        amount=session.price_amount if amount is None else amount,
        currency=session.currency,
        application_fee_amount=session.platform_fee_amount,
        status="paid",
        idempotency_key=f"test-payment-{session.id}",
        paid_at=utcnow(),
    )
    session.status = "confirmed"
    session.hold_expires_at = None
    db.session.add(payment)
    db.session.commit()
    return payment


def lesson_at(start: datetime, *, price: int = 4000, status: str = "confirmed", minutes: int = 30):
    """A session from `start`, paid when it has a price (platform fee 10 %)."""
    from .factories import LiveSessionFactory  # factories import this module

    session = LiveSessionFactory(
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        blocked_until=start + timedelta(minutes=minutes),
        price_amount=price,
        platform_fee_amount=price // 10,
        player_share_amount=price - price // 10,
    )
    if price:
        mark_paid(session)
    return session


_days_back = iter(range(2, 100_000))


def past_lesson(player=None, fan=None, status: str = "completed"):
    """A finished 30-minute lesson, each a day further back than the last (so one player's never overlap)."""
    from .factories import FanFactory, LiveSessionFactory, PlayerFactory

    start = (utcnow() - timedelta(days=next(_days_back))).replace(hour=10, minute=0, second=0, microsecond=0)
    return LiveSessionFactory(
        player=player or PlayerFactory(),
        fan=fan or FanFactory(),
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status=status,
    )
