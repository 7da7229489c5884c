"""Player profiles: what players edit about themselves, and what admins verify."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Offering, PayoutState, PlayerLanguage, Profile, Role, User, VerificationState, utcnow
from ..access import require_admin, require_player
from ..booking import slot_cache
from ..errors import InvalidInput, NotFound
from ..marketplace import languages as language_list
from ..notifications import outbox
from ..payments.money import SUPPORTED_CURRENCIES
from . import avatars
from .accounts import display_name_problem

MIN_DURATION, MAX_DURATION = 15, 30
# The lengths the pages offer (the profile form, discovery's filter); the API takes any minute between.
LESSON_LENGTHS = (15, 20, 25, 30)
MAX_BIO_LENGTH = 4000
MAX_PRICE = 1_000_000  # minor units; a sanity cap against typos


@dataclass(frozen=True)
class OfferingInput:
    duration_minutes: int
    price_amount: int


def get_player_profile(player_id: int) -> Profile:
    """A player's profile (any state), or NotFound."""
    profile = db.session.scalar(
        select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(Profile.user_id == player_id, User.role == Role.PLAYER.value)
        .options(selectinload(Profile.offerings), selectinload(Profile.languages))
    )
    if profile is None:
        raise NotFound("No such player.")
    return profile


def own_player_profile(user: User) -> Profile:
    """The acting user's own player profile; NotAllowed for anyone who is not a player."""
    require_player(user)
    return get_player_profile(user.id)


def get_public_player(player_id: int) -> Profile:
    """A player that fans may see: verified and active, or NotFound."""
    profile = get_player_profile(player_id)
    if not profile.is_verified or not profile.user.is_active_account:
        raise NotFound("No such player.")
    return profile


def _check_offerings(offerings: list[OfferingInput]) -> dict[str, str]:
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for index, offering in enumerate(offerings):
        key = f"offerings.{index}"
        if (
            not isinstance(offering.duration_minutes, int)
            or not MIN_DURATION <= offering.duration_minutes <= MAX_DURATION
        ):
            errors[f"{key}.duration_minutes"] = f"Sessions last {MIN_DURATION} to {MAX_DURATION} minutes."
        elif offering.duration_minutes in seen:
            errors[f"{key}.duration_minutes"] = "Each duration can be offered once."
        seen.add(offering.duration_minutes)
        if not isinstance(offering.price_amount, int) or not 0 <= offering.price_amount <= MAX_PRICE:
            errors[f"{key}.price_amount"] = "Enter a price of 0 (free) or more, in minor units."
    return errors


def paid_offerings_allowed(profile: Profile) -> bool:
    """Paid sessions need a payout account that can take charges."""
    return profile.charges_enabled and profile.payout_state == PayoutState.ENABLED


def update_profile(
    actor: User,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    accepts_bookings: bool | None = None,
    currency: str | None = None,
    offerings: list[OfferingInput] | None = None,
    recording_default: bool | None = None,
    sharing_default: bool | None = None,
    avatar: bytes | None = None,
    remove_avatar: bool = False,
    languages: list[str] | None = None,
) -> Profile:
    """Change the acting player's own profile; every rule is checked before anything changes.

    A new photo (`avatar`) or its removal is part of the same save: all of it is kept, or none.
    The photo no longer shown is deleted once the change is committed.
    """
    require_player(actor)
    profile = get_player_profile(actor.id)
    errors: dict[str, str] = {}
    if display_name is not None and (problem := display_name_problem(display_name)):
        errors["display_name"] = problem
    if bio is not None and len(bio) > MAX_BIO_LENGTH:
        errors["bio"] = f"Keep the bio under {MAX_BIO_LENGTH} characters."
    if currency is not None and currency.lower() not in SUPPORTED_CURRENCIES:
        errors["currency"] = "Choose one of: " + ", ".join(c.upper() for c in SUPPORTED_CURRENCIES) + "."
    if avatar is not None:
        try:
            avatars.checked_kind(avatar)
        except InvalidInput as exc:
            errors.update(exc.fields)
    codes: list[str] | None = None
    if languages is not None:
        try:
            codes = language_list.checked_codes(languages)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if offerings is not None:
        errors.update(_check_offerings(offerings))
        if not errors and any(o.price_amount > 0 for o in offerings) and not paid_offerings_allowed(profile):
            errors["offerings"] = "Set up payouts before you offer paid sessions; free sessions work now."
    if errors:
        raise InvalidInput(errors)

    if display_name is not None:
        actor.display_name = display_name.strip()
    if bio is not None:
        profile.bio = bio.strip()
    if accepts_bookings is not None:
        profile.accepts_bookings = accepts_bookings
    if currency is not None:
        profile.currency = currency.lower()
    if recording_default is not None:
        profile.recording_default = recording_default
    if sharing_default is not None:
        profile.sharing_default = sharing_default
    if offerings is not None:
        _replace_offerings(profile, offerings)
    if codes is not None and codes != profile.language_codes:
        _replace_languages(profile, codes)
        slot_cache.touch([profile.user_id])  # the listing filters by language and profiles name them
    if profile.verification_state == VerificationState.UNVERIFIED and profile.bio and profile.offerings:
        # A complete profile enters the admins' verification queue by itself.
        profile.verification_state = VerificationState.PENDING.value
    previous_avatar = profile.avatar_key
    if avatar is not None:
        profile.avatar_key = avatars.store(avatar)
    elif remove_avatar:
        profile.avatar_key = None
    shown_avatar = profile.avatar_key
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        avatars.discard_unless_used(shown_avatar if shown_avatar != previous_avatar else None)  # the file just written
        raise
    if previous_avatar != shown_avatar:
        avatars.discard_unless_used(previous_avatar)
    return profile


def _replace_offerings(profile: Profile, offerings: list[OfferingInput]) -> None:
    by_duration = {o.duration_minutes: o for o in profile.offerings}
    wanted = {o.duration_minutes: o.price_amount for o in offerings}
    for duration, existing in by_duration.items():
        if duration not in wanted:
            profile.offerings.remove(existing)
    for duration, price in wanted.items():
        if duration in by_duration:
            by_duration[duration].price_amount = price
        else:
            profile.offerings.append(Offering(duration_minutes=duration, price_amount=price))


def _replace_languages(profile: Profile, codes: list[str]) -> None:
    # Rows that stay are kept, not deleted and added again (one primary key must not be both at once).
    for existing in [language for language in profile.languages if language.code not in codes]:
        profile.languages.remove(existing)
    for code in sorted(set(codes) - set(profile.language_codes)):
        profile.languages.append(PlayerLanguage(player_id=profile.user_id, code=code))


def verify_player(admin: User, player_id: int, *, approve: bool = True, note: str = "") -> Profile:
    """An admin marks a player verified (listed and bookable) or rejected."""
    require_admin(admin)
    profile = get_player_profile(player_id)
    if approve:
        profile.verification_state = VerificationState.VERIFIED.value
        profile.verified_at = utcnow()
        profile.verified_by_id = admin.id
    else:
        profile.verification_state = VerificationState.REJECTED.value
        profile.verified_at = None
    profile.verification_note = note
    _notify_verification(profile, approve)
    db.session.commit()
    return profile


def _notify_verification(profile: Profile, approved: bool) -> None:
    """Tell the player, in the same transaction as the decision."""
    if approved:
        stamp = profile.verified_at.isoformat()
        outbox.queue(profile.user_id, "player_verified", dedupe_key=f"player_verified:{profile.user_id}:{stamp}")


def verification_queue() -> list[Profile]:
    """Players waiting for an admin's decision, oldest first."""
    return list(
        db.session.scalars(
            select(Profile)
            .where(
                Profile.verification_state.in_([VerificationState.PENDING.value, VerificationState.UNVERIFIED.value])
            )
            .join(User, User.id == Profile.user_id)
            .order_by(User.created_at)
            .options(selectinload(Profile.offerings), selectinload(Profile.user))
        )
    )
