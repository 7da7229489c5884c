"""Model -> API shape. Built through the response schemas so the output always matches them."""

from __future__ import annotations

from datetime import datetime

from flask import url_for

from ...models import Profile, User
from ...services.marketplace.reviews import NO_RATING, RatingSummary
from ...services.timezones import iso_utc
from .schemas import Money, OfferingOut, PlayerOut, ProfileOut, RatingOut, UserOut


def user_out(user: User) -> dict:
    return UserOut(
        id=user.id, email=user.email, display_name=user.display_name, role=user.role, timezone=user.timezone
    ).model_dump()


def avatar_url(profile: Profile) -> str | None:
    if not profile.avatar_key:
        return None
    return url_for("discovery.avatar", player_id=profile.user_id, v=profile.avatar_key[:8], _external=False)


def _offerings(profile: Profile) -> list[OfferingOut]:
    return [
        OfferingOut(duration_minutes=o.duration_minutes, price=Money(amount=o.price_amount, currency=profile.currency))
        for o in profile.offerings
    ]


def player_out(profile: Profile, next_available: datetime | None = None, rating: RatingSummary = NO_RATING) -> dict:
    return PlayerOut(
        id=profile.user_id,
        display_name=profile.user.display_name,
        bio=profile.bio,
        avatar_url=avatar_url(profile),
        verified=profile.is_verified,
        offerings=_offerings(profile),
        next_available=iso_utc(next_available),
        rating=RatingOut(average=rating.average, count=rating.count),
        languages=profile.language_codes,
    ).model_dump()


def profile_out(profile: Profile) -> dict:
    return ProfileOut(
        id=profile.user_id,
        display_name=profile.user.display_name,
        bio=profile.bio,
        avatar_url=avatar_url(profile),
        accepts_bookings=profile.accepts_bookings,
        currency=profile.currency,
        offerings=_offerings(profile),
        recording_default=profile.recording_default,
        sharing_default=profile.sharing_default,
        languages=profile.language_codes,
        verification_state=profile.verification_state,
        payout_state=profile.payout_state,
    ).model_dump()
