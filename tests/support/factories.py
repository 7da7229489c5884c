"""factory_boy factories for test data."""

from __future__ import annotations

import secrets
from datetime import time, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from kendama.extensions import db
from kendama.models import (
    LiveSession,
    Offering,
    PayoutState,
    Profile,
    SessionAvailability,
    User,
    VerificationState,
    WeeklyWindow,
    utcnow,
)
from kendama.services.accounts.passwords import hash_password

PASSWORD = "correct-horse-battery"


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - resolved per test
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    role = "fan"
    timezone = "Europe/Prague"
    calendar_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))


class FanFactory(UserFactory):
    role = "fan"


class AdminFactory(UserFactory):
    role = "admin"


class PlayerFactory(UserFactory):
    """A verified player with a free 30-minute offering and weekday availability 09:00-17:00."""

    role = "player"

    @factory.post_generation
    def setup(user, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        verified = kwargs.get("verified", True)
        paid = kwargs.get("paid", False)
        profile = Profile(
            user_id=user.id,
            bio="Teaches kendama.",
            accepts_bookings=True,
            currency=kwargs.get("currency", "usd"),
            verification_state=(VerificationState.VERIFIED if verified else VerificationState.PENDING).value,
            payout_state=(PayoutState.ENABLED if paid else PayoutState.NONE).value,
            charges_enabled=paid,
            payouts_enabled=paid,
            payout_account_id=f"acct_test{user.id}" if paid else None,
        )
        profile.offerings = [Offering(duration_minutes=30, price_amount=kwargs.get("price", 2500 if paid else 0))]
        availability = SessionAvailability(
            player_id=user.id,
            timezone=user.timezone,
            buffer_minutes=kwargs.get("buffer", 0),
            min_notice_minutes=kwargs.get("notice", 60),
            max_days_ahead=kwargs.get("days_ahead", 60),
        )
        availability.windows = [WeeklyWindow(weekday=day, start_time=time(9), end_time=time(17)) for day in range(5)]
        db.session.add_all([profile, availability])
        db.session.commit()


class LiveSessionFactory(Base):
    """A confirmed free 30-minute session tomorrow at 10:00 UTC between a new fan and player."""

    class Meta:
        model = LiveSession

    fan = factory.SubFactory(FanFactory)
    player = factory.SubFactory(PlayerFactory)
    starts_at = factory.LazyFunction(
        lambda: (utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=o.duration_minutes))
    blocked_until = factory.LazyAttribute(lambda o: o.ends_at)
    duration_minutes = 30
    status = "confirmed"
    price_amount = 0
    currency = "usd"
