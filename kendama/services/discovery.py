"""Finding players: the listing behind the discovery page and GET /api/players."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Offering, Profile, Role, User, VerificationState
from . import slots
from .errors import NotFound
from .timezones import parse_aware


@dataclass(frozen=True)
class PlayerSearch:
    text: str | None = None
    free: bool | None = None  # True: has a free offering; False: has a paid one
    max_price: int | None = None
    duration: int | None = None
    available_before: str | None = None


@dataclass(frozen=True)
class PlayerCard:
    profile: Profile
    next_available: datetime | None


@dataclass(frozen=True)
class PlayerPage:
    items: list[PlayerCard]
    total: int


def _listed():
    """Players fans may find: verified, active, taking bookings, with at least one offering."""
    return (
        select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(
            User.role == Role.PLAYER.value,
            User.is_active_account.is_(True),
            Profile.verification_state == VerificationState.VERIFIED.value,
            Profile.accepts_bookings.is_(True),
            exists().where(Offering.player_id == Profile.user_id),
        )
    )


def _offering_filter(search: PlayerSearch):
    conditions = [Offering.player_id == Profile.user_id]
    if search.free is True:
        conditions.append(Offering.price_amount == 0)
    elif search.free is False:
        conditions.append(Offering.price_amount > 0)
    if search.max_price is not None:
        conditions.append(Offering.price_amount <= search.max_price)
    if search.duration is not None:
        conditions.append(Offering.duration_minutes == search.duration)
    return exists().where(*conditions)


def _search_query(search: PlayerSearch):
    query = _listed().where(_offering_filter(search))
    if search.text:
        pattern = f"%{search.text.strip().lower()}%"
        query = query.where(or_(func.lower(User.display_name).like(pattern), func.lower(Profile.bio).like(pattern)))
    return query


def search_players(search: PlayerSearch, *, page: int = 1, per_page: int = 20) -> PlayerPage:
    """One page of listed players matching the search, in a fixed number of queries."""
    query = _search_query(search).options(selectinload(Profile.offerings), selectinload(Profile.user))
    ordered = query.order_by(User.display_name, Profile.user_id)
    if search.available_before:
        # Free time is computed, not stored, so this filter runs over every match (in bulk).
        before = parse_aware(search.available_before, field="available_before")
        cards = [
            card
            for card in _with_next_available(list(db.session.scalars(ordered)), search, before)
            if card.next_available
        ]
        return PlayerPage(items=cards[(page - 1) * per_page : page * per_page], total=len(cards))
    total = db.session.scalar(select(func.count()).select_from(_search_query(search).subquery()))
    profiles = list(db.session.scalars(ordered.limit(per_page).offset((page - 1) * per_page)))
    return PlayerPage(items=_with_next_available(profiles, search), total=total)


def _with_next_available(
    profiles: list[Profile], search: PlayerSearch, before: datetime | None = None
) -> list[PlayerCard]:
    """Cards with each player's first free start: for the searched duration, else their shortest."""
    durations: dict[int, int] = {}
    for profile in profiles:
        offered = [o.duration_minutes for o in profile.offerings]
        if search.duration is None:
            durations[profile.user_id] = min(offered)
        elif search.duration in offered:
            durations[profile.user_id] = search.duration
    first = slots.next_available([p.user_id for p in profiles], durations, before=before)
    return [PlayerCard(p, first.get(p.user_id)) for p in profiles]


def listed_profile(player_id: int) -> Profile:
    """A listed player's profile with offerings, or NotFound (unverified players are not public)."""
    profile = db.session.scalar(_listed().where(Profile.user_id == player_id).options(selectinload(Profile.offerings)))
    if profile is None:
        raise NotFound("No such player.")
    return profile


def player_card(player_id: int) -> PlayerCard:
    """One listed player with their next free start, or NotFound."""
    return _with_next_available([listed_profile(player_id)], PlayerSearch())[0]
