"""Demo data for the embedded default: players with profiles, availability, languages and public
reviews (from a few past lessons with fans of their own), a fan, an admin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import (
    LessonPackage,
    LiveSession,
    Offering,
    PayoutState,
    PlayerLanguage,
    Profile,
    Review,
    SessionAvailability,
    SessionStatus,
    User,
    VerificationState,
    WeeklyWindow,
    utcnow,
)
from .accounts import accounts
from .booking import slot_cache

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
    languages: tuple[str, ...] = ()  # ISO 639-1 codes
    # (reviewer's email, stars, text, the player's reply or "") of past lessons, oldest first
    reviews: tuple[tuple[str, int, str, str], ...] = ()
    packages: tuple[tuple[int, int, int], ...] = ()  # (lessons, minutes, total price in minor units)


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
        ("en", "ja"),
        (
            ("rin@example.com", 5, "Ava broke lunar down into three small steps. I landed it the next day.", ""),
            (
                "noah@example.com",
                5,
                "Patient and precise. Worth every minute.",
                "Thank you, Noah! Keep the knees soft.",
            ),
            ("lucia@example.com", 4, "Great drills for spacewalk; the call dropped once but we carried on.", ""),
        ),
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
        ("en", "es", "pt"),
        (
            ("noah@example.com", 5, "Leo fixed my combo timing in fifteen minutes.", ""),
            (
                "rin@example.com",
                4,
                "Clear feedback, a little fast for me at first.",
                "Thanks Rin, next time we go slower.",
            ),
        ),
        packages=((3, 30, 6500), (5, 30, 10000)),
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
        ("en", "es"),
        (
            ("lucia@example.com", 5, "Perfect first lesson: grip, stance, and my first spike.", ""),
            ("rin@example.com", 5, "Maya makes beginners feel at home.", ""),
            ("noah@example.com", 4, "", ""),
        ),
    ),
)
# Fans who wrote the demo reviews (accounts of their own, so the demo fan's dashboard stays empty).
REVIEWERS = (
    ("rin@example.com", "Rin Sato", "Asia/Tokyo"),
    ("noah@example.com", "Noah Weber", "Europe/Berlin"),
    ("lucia@example.com", "Lucía Gómez", "America/Mexico_City"),
)


def seed() -> Iterator[str]:
    """Create the demo accounts once; running it again changes nothing."""
    for spec in PLAYERS:
        yield _seed_player(spec)
    for email, name, zone in REVIEWERS:
        _seed_account(email, name, "fan", zone)
    for index, spec in enumerate(PLAYERS):
        _seed_languages(spec)
        _seed_reviews(spec, index)
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
    db.session.add_all(
        LessonPackage(player_id=user.id, lessons=n, duration_minutes=m, price_amount=p, currency=spec.currency)
        for n, m, p in spec.packages
    )
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


def _player(spec: DemoPlayer) -> User:
    return db.session.scalar(select(User).where(User.email == spec.email))


def _seed_languages(spec: DemoPlayer) -> None:
    """The player's languages, once (a player who has chosen some keeps theirs)."""
    profile = db.session.get(Profile, _player(spec).id)
    if profile.languages or not spec.languages:
        return
    profile.languages = [PlayerLanguage(player_id=profile.user_id, code=code) for code in spec.languages]
    db.session.commit()


def _seed_reviews(spec: DemoPlayer, index: int) -> None:
    """Past free lessons with the reviewers, each reviewed publicly, once per player.

    Each player's lessons start at an hour of their own, so no fan has two at once; they are a
    week apart and at least two days ago, before anything that can be booked.
    """
    player = _player(spec)
    if db.session.scalar(select(Review.id).where(Review.player_id == player.id).limit(1)) is not None:
        return
    today = utcnow().replace(minute=0, second=0, microsecond=0)
    count = len(spec.reviews)
    for position, (email, stars, text, reply) in enumerate(spec.reviews):
        fan = db.session.scalar(select(User).where(User.email == email))
        start = (today - timedelta(days=2 + 7 * (count - position))).replace(hour=6 + index)
        end = start + timedelta(minutes=30)
        lesson = LiveSession(
            fan_id=fan.id,
            player_id=player.id,
            starts_at=start,
            ends_at=end,
            blocked_until=end,
            duration_minutes=30,
            status=SessionStatus.COMPLETED.value,
            price_amount=0,
            currency=spec.currency,
            started_at=start,
            completed_at=end,
        )
        db.session.add(lesson)
        db.session.flush()
        written = end + timedelta(hours=2)
        db.session.add(
            Review(
                session_id=lesson.id,
                author_id=fan.id,
                player_id=player.id,
                rating=stars,
                text=text,
                public=True,
                created_at=written,
                reply_text=reply or None,
                replied_at=written + timedelta(hours=5) if reply else None,
            )
        )
    slot_cache.touch([player.id])  # the profile and the listing show the rating at once
    db.session.commit()
