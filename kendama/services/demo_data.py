"""Demo data for the embedded default: players with profiles and availability, a fan, an admin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from ..extensions import db
from ..models import Offering, PayoutState, Profile, SessionAvailability, User, VerificationState, WeeklyWindow, utcnow
from .accounts import accounts

DEMO_PASSWORD = "kendama-demo-1"
DEMO_FAN_EMAIL = "fan@example.com"


@dataclass(frozen=True)
class DemoPlayer:
    email: str
    name: str
    timezone: str
    bio: str
    offerings: tuple[tuple[int, int], ...]  # (minutes, price in minor units)
    currency: str
    hours: tuple[tuple[int, int], ...]  # (start hour, end hour) on weekdays
    weekend: bool


PLAYERS = (
    DemoPlayer(
        "ava@example.com",
        "Ava Tamaki",
        "Asia/Tokyo",
        "Two-time national champion. Lunar, spacewalk and everything in between, explained slowly.",
        ((15, 0), (30, 0)),
        "usd",
        ((9, 12), (18, 21)),
        True,
    ),
    DemoPlayer(
        "leo@example.com",
        "Leo Martins",
        "Europe/Lisbon",
        "Freestyle judge and coach. Bring your trickiest combo and we will break it down together.",
        ((15, 1500), (30, 2500)),
        "eur",
        ((10, 13), (15, 19)),
        False,
    ),
    DemoPlayer(
        "maya@example.com",
        "Maya Brooks",
        "America/New_York",
        "Teaching beginners since 2015: grips, stance, and the first clean spike.",
        ((20, 0), (30, 1800)),
        "usd",
        ((8, 11), (17, 20)),
        True,
    ),
)


def seed() -> Iterator[str]:
    """Create the demo accounts once; running it again changes nothing."""
    for spec in PLAYERS:
        yield _seed_player(spec)
    yield _seed_account(DEMO_FAN_EMAIL, "Finn Fan", "fan", "Europe/Prague")
    if db.session.scalar(select(User).where(User.email == "admin@example.com")) is None:
        accounts.create_admin("admin@example.com", DEMO_PASSWORD, "Demo Admin")
    yield f"admin: admin@example.com / {DEMO_PASSWORD}"


def _seed_account(email: str, name: str, role: str, zone: str) -> str:
    if db.session.scalar(select(User).where(User.email == email)) is None:
        accounts.register_user(email, DEMO_PASSWORD, name, role, zone)
    return f"{role}: {email} / {DEMO_PASSWORD}"


def _seed_player(spec: DemoPlayer) -> str:
    line = _seed_account(spec.email, spec.name, "player", spec.timezone)
    user = db.session.scalar(select(User).where(User.email == spec.email))
    profile = db.session.get(Profile, user.id)
    if profile.offerings:
        return line
    profile.bio = spec.bio
    profile.currency = spec.currency
    profile.accepts_bookings = True
    profile.recording_default = True
    profile.verification_state = VerificationState.VERIFIED.value
    profile.verified_at = utcnow()
    if any(price for _, price in spec.offerings):
        # Demo payouts: the account is created in the Stripe sandbox on first use.
        profile.payout_state = PayoutState.ENABLED.value
        profile.charges_enabled = True
        profile.payouts_enabled = True
    profile.offerings = [Offering(duration_minutes=m, price_amount=p) for m, p in spec.offerings]
    availability = db.session.get(SessionAvailability, user.id)
    availability.timezone = spec.timezone
    availability.min_notice_minutes = 60
    availability.max_days_ahead = 30
    availability.buffer_minutes = 5
    weekdays = range(7) if spec.weekend else range(5)
    availability.windows = [
        WeeklyWindow(weekday=day, start_time=time(start), end_time=time(end))
        for day in weekdays
        for start, end in spec.hours
    ]
    db.session.commit()
    return line
