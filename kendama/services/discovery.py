"""Finding players: the listing behind the discovery page and GET /api/players.

A search reads light rows (id, name, the cheapest and shortest matching offering) for the
matches, orders and slices them, and loads full profiles only for the page it shows. Sorting by
the soonest free time, or filtering by it, needs every match's next free start; that is
computed in bulk (slots.next_available: a fixed number of queries for any number of players),
so a page costs the same number of statements whether it lists one player or a hundred.
Each row also carries the player's rating (the count and sum of their shown reviews, joined in
the same query), so cards show it and the listing sorts by it at no extra cost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Float, cast, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import Offering, PlayerLanguage, PlayerTrick, Profile, Role, Trick, User, VerificationState, utcnow
from .booking import slot_cache, slots
from .coaching import catalog
from .errors import NotFound
from .marketplace import languages, reviews
from .marketplace.reviews import NO_RATING, RatingSummary
from .text_search import LIKE_ESCAPE, contains_pattern
from .timezones import parse_aware, zone

WEEK = timedelta(days=7)


class PlayerSort(enum.StrEnum):
    NAME = "name"  # A to Z
    SOONEST = "soonest"  # the earliest free start first; players with no free time last
    PRICE = "price"  # the cheapest matching offering first (amounts compared as they are, per currency)
    RATING = "rating"  # the best average of shown reviews first, more reviews first on a tie; unrated last


@dataclass(frozen=True)
class PlayerSearch:
    text: str | None = None
    free: bool | None = None  # True: has a free offering; False: has a paid one
    max_price: int | None = None  # minor units
    duration: int | None = None
    available_before: str | datetime | None = None  # only players with a free start before this
    sort: PlayerSort = PlayerSort.NAME
    trick_id: int | None = None  # only players who list this trick as one they teach
    language: str | None = None  # only players who teach in this ISO 639-1 language


@dataclass(frozen=True)
class PlayerCard:
    profile: Profile
    next_available: datetime | None
    # The length the next free start was looked up for (the searched one, else the shortest matching).
    duration_minutes: int | None = None
    rating: RatingSummary = NO_RATING

    @property
    def language_names(self) -> list[str]:
        """The languages the player teaches in, by English name ("English, Japanese")."""
        return languages.names(self.profile.language_codes)


@dataclass(frozen=True)
class PlayerPage:
    items: list[PlayerCard]
    total: int
    page: int = 1
    per_page: int = 20

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one, so 'page 1 of 1' reads right when empty)."""
        return max(1, -(-self.total // self.per_page))


def available_this_week(now: datetime | None = None) -> datetime:
    """The `available_before` bound of the "available in the next seven days" filter."""
    return (now or utcnow()) + WEEK


def listing_conditions():
    """Players fans may find: verified, active, taking bookings (offerings are checked by the caller)."""
    return (
        User.role == Role.PLAYER.value,
        User.is_active_account.is_(True),
        Profile.verification_state == VerificationState.VERIFIED.value,
        Profile.accepts_bookings.is_(True),
    )


def _matching_offerings(search: PlayerSearch):
    """Per player, the cheapest and the shortest offering that fits the search's offering filters."""
    conditions = []
    if search.free is True:
        conditions.append(Offering.price_amount == 0)
    elif search.free is False:
        conditions.append(Offering.price_amount > 0)
    if search.max_price is not None:
        conditions.append(Offering.price_amount <= search.max_price)
    if search.duration is not None:
        conditions.append(Offering.duration_minutes == search.duration)
    return (
        select(
            Offering.player_id,
            func.min(Offering.price_amount).label("min_price"),
            func.min(Offering.duration_minutes).label("min_duration"),
        )
        .where(*conditions)
        .group_by(Offering.player_id)
        .subquery()
    )


def _matches(search: PlayerSearch):
    """Light rows of every listed player matching the search: id, name, cheapest price, shortest
    length, and the count and sum of their shown reviews' stars."""
    offered = _matching_offerings(search)
    rated = reviews.rating_totals()
    query = (
        select(
            Profile.user_id,
            User.display_name,
            offered.c.min_price,
            offered.c.min_duration,
            rated.c.review_count,
            rated.c.rating_total,
        )
        .join(User, User.id == Profile.user_id)
        .join(offered, offered.c.player_id == Profile.user_id)
        .outerjoin(rated, rated.c.player_id == Profile.user_id)
        .where(*listing_conditions())
    )
    if search.trick_id is not None:
        teaches = select(PlayerTrick.player_id).where(PlayerTrick.trick_id == search.trick_id)
        query = query.where(Profile.user_id.in_(teaches))
    if search.language is not None:
        speaks = select(PlayerLanguage.player_id).where(PlayerLanguage.code == search.language)
        query = query.where(Profile.user_id.in_(speaks))
    text = (search.text or "").strip().lower()
    if text:
        pattern = contains_pattern(text)
        query = query.where(
            or_(
                func.lower(User.display_name).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Profile.bio).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return query


def _by_rating(query):
    """Best average first (unrated players last, as -1), then more reviews, then by name."""
    rated = query.selected_columns
    average = func.coalesce(cast(rated.rating_total, Float) / rated.review_count, -1)
    return query.order_by(
        average.desc(), func.coalesce(rated.review_count, 0).desc(), func.lower(User.display_name), Profile.user_id
    )


_SQL_ORDER = {
    PlayerSort.NAME: lambda q: q.order_by(func.lower(User.display_name), Profile.user_id),
    PlayerSort.PRICE: lambda q: q.order_by("min_price", func.lower(User.display_name), Profile.user_id),
    PlayerSort.RATING: _by_rating,
}


def _before(search: PlayerSearch) -> datetime | None:
    if search.available_before is None or isinstance(search.available_before, datetime):
        return search.available_before
    return parse_aware(search.available_before, field="available_before")


def search_players(search: PlayerSearch, *, page: int = 1, per_page: int = 20) -> PlayerPage:
    """One page of listed players matching the search, in a fixed number of queries."""
    page = max(page, 1)
    languages.check_filter(search.language)
    before = _before(search)
    matches = _matches(search)
    if before is not None or search.sort == PlayerSort.SOONEST:
        # Free time is computed, not stored: order and filter every match by it (in bulk).
        rows = db.session.execute(matches).all()
        durations = {row.user_id: row.min_duration for row in rows}
        first = slots.cached_next_available(list(durations), durations, before=before)
        if before is not None:
            rows = [row for row in rows if first[row.user_id] is not None]
        rows.sort(key=_row_order(search.sort, first))
        total = len(rows)
        shown = rows[(page - 1) * per_page : page * per_page]
    else:
        total = db.session.scalar(select(func.count()).select_from(matches.subquery())) or 0
        shown = db.session.execute(_SQL_ORDER[search.sort](matches).limit(per_page).offset((page - 1) * per_page)).all()
        durations = {row.user_id: row.min_duration for row in shown}
        first = slots.cached_next_available(list(durations), durations)
    profiles = _profiles([row.user_id for row in shown])
    items = [
        PlayerCard(
            profiles[row.user_id],
            first.get(row.user_id),
            row.min_duration,
            RatingSummary.of(row.rating_total, row.review_count),
        )
        for row in shown
    ]
    return PlayerPage(items=items, total=total, page=page, per_page=per_page)


def _row_order(sort: PlayerSort, first: dict[int, datetime | None]):
    far = datetime.max.replace(tzinfo=UTC)

    def name(row):
        return (row.display_name.lower(), row.user_id)

    if sort == PlayerSort.SOONEST:
        return lambda row: (first[row.user_id] or far, *name(row))
    if sort == PlayerSort.PRICE:
        return lambda row: (row.min_price, *name(row))
    if sort == PlayerSort.RATING:
        # As _by_rating orders it in SQL: the exact average (not the rounded one shown), then the count.
        return lambda row: (
            -(row.rating_total / row.review_count) if row.review_count else 1,
            -(row.review_count or 0),
            *name(row),
        )
    return name


def _profiles(player_ids: list[int]) -> dict[int, Profile]:
    """Full profiles with their user and offerings for a page of ids (two queries)."""
    if not player_ids:
        return {}
    found = db.session.scalars(
        select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(Profile.user_id.in_(player_ids))
        .options(contains_eager(Profile.user), selectinload(Profile.offerings), selectinload(Profile.languages))
    ).unique()
    return {profile.user_id: profile for profile in found}


def listed_profile(player_id: int) -> Profile:
    """A listed player's profile with offerings, or NotFound (unverified players are not public)."""
    profile = db.session.scalar(
        select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(*listing_conditions(), Profile.user_id == player_id, Profile.offerings.any())
        .options(contains_eager(Profile.user), selectinload(Profile.offerings), selectinload(Profile.languages))
    )
    if profile is None:
        raise NotFound("No such player.")
    return profile


def player_card(player_id: int, duration_minutes: int | None = None) -> PlayerCard:
    """One listed player with their next free start (for that length, else their shortest), or NotFound."""
    profile = listed_profile(player_id)
    offered = [o.duration_minutes for o in profile.offerings]
    duration = duration_minutes if duration_minutes in offered else min(offered)
    first = slots.cached_next_available([player_id], {player_id: duration})
    return PlayerCard(profile, first[player_id], duration, reviews.rating_of(player_id))


def _require_listed(player_id: int) -> None:
    found = db.session.scalar(
        select(Profile.user_id)
        .join(User, User.id == Profile.user_id)
        .where(*listing_conditions(), Profile.user_id == player_id, Profile.offerings.any())
    )
    if found is None:
        raise NotFound("No such player.")


def player_reviews(player_id: int, *, page: int = 1, per_page: int = reviews.PER_PAGE) -> reviews.ReviewPage:
    """A listed player's shown reviews, newest first, a page at a time; NotFound for anyone not listed."""
    _require_listed(player_id)
    return reviews.public_reviews(player_id, page=page, per_page=per_page)


# --- The profile page's week ahead ------------------------------------------------------------


@dataclass(frozen=True)
class OpenDay:
    """One day (in the viewer's zone) with free starts: how many, and the spans they cover."""

    day: date
    count: int
    spans: list[tuple[datetime, datetime]]  # from the first start to the end of the last slot of a run


def week_ahead(player_id: int, duration_minutes: int, zone_name: str, *, now: datetime | None = None) -> list[OpenDay]:
    """The next seven days of a player's free slots, grouped by the viewer's local date.

    Runs of back-to-back starts (every 15 minutes) read as one span, so a day reads
    "09:00-12:00, 18:00-21:00" instead of two dozen separate times.
    """
    if now is not None:  # a what-if at another moment: computed, not cached
        return _week_ahead(player_id, duration_minutes, zone_name, now)[0]
    now = utcnow()
    today = now.astimezone(zone(zone_name)).date()
    return slot_cache.remember(
        player_id,
        "week",
        (duration_minutes, zone_name, today),
        lambda: _week_ahead(player_id, duration_minutes, zone_name, now),
        now=now,
    )


def _week_ahead(
    player_id: int, duration_minutes: int, zone_name: str, now: datetime
) -> tuple[list[OpenDay], datetime | None]:
    tz = zone(zone_name)
    today = now.astimezone(tz).date()
    range_start = datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC)
    range_end = datetime.combine(today + WEEK, time(0), tzinfo=tz).astimezone(UTC)
    free = slots.free_slots(player_id, duration_minutes, range_start, range_end, now=now)
    found = free.slots
    length = timedelta(minutes=duration_minutes)
    days = []
    for day, day_slots in slots.group_by_day(found, zone_name).items():
        spans: list[tuple[datetime, datetime]] = []
        for slot in day_slots:
            if spans and slot.start - (spans[-1][1] - length) == slots.GRID:
                spans[-1] = (spans[-1][0], slot.end)
            else:
                spans.append((slot.start, slot.end))
        days.append(OpenDay(day, len(day_slots), spans))
    return days, free.fresh_until


@dataclass(frozen=True)
class PlayerProfileView:
    card: PlayerCard
    week: list[OpenDay]
    zone_name: str
    tricks: list[Trick]  # the tricks the player teaches


def player_page(player_id: int, duration_minutes: int | None, zone_name: str) -> PlayerProfileView:
    """What a player's public page shows: the profile, the next free start and the week ahead."""
    card = player_card(player_id, duration_minutes)
    week = week_ahead(player_id, card.duration_minutes, zone_name)
    return PlayerProfileView(card, week, zone_name, catalog.tricks_of(player_id))
