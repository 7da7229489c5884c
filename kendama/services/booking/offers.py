"""What fans can book: a listed player's offerings and their free slots, as lists and as pickers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ...models import LiveSession, Offering, Profile, User, utcnow
from .. import discovery
from ..access import session_for_participant
from ..errors import InvalidInput
from ..timezones import zone
from . import slots, waitlist_holds


def bookable_offering(player_id: int, duration_minutes: int | None) -> tuple[Profile, Offering]:
    """A listed player's offering of that length (their shortest when None); 404 / 422 otherwise."""
    profile = discovery.listed_profile(player_id)
    if duration_minutes is None:
        return profile, profile.offerings[0]
    for offering in profile.offerings:
        if offering.duration_minutes == duration_minutes:
            return profile, offering
    raise not_offered(o.duration_minutes for o in profile.offerings)


def not_offered(durations: Iterable[int]) -> InvalidInput:
    offered = ", ".join(str(minutes) for minutes in durations)
    return InvalidInput({"duration_minutes": f"This player offers sessions of {offered} minutes."})


@dataclass(frozen=True)
class SlotList:
    player_id: int
    duration_minutes: int
    slots: list[slots.Slot]
    fresh_until: datetime | None = None  # see slots.FreeSlots


def offered_slots(
    player_id: int,
    duration_minutes: int | None,
    range_start: datetime,
    range_end: datetime,
    *,
    now: datetime | None = None,
) -> SlotList:
    """Free slots of a listed player for one of their durations; the range is at most 62 days."""
    check_slot_range(range_start, range_end)
    return listed_free_slots(player_id, duration_minutes, range_start, range_end, now=now)


def check_slot_range(range_start: datetime, range_end: datetime) -> None:
    """The range a client may ask slots for: not empty, at most 62 days (422 otherwise)."""
    if range_end <= range_start:
        raise InvalidInput({"to": "The end of the range must be after its start."})
    if range_end - range_start > slots.MAX_RANGE:
        raise InvalidInput({"to": "Ask for at most 62 days at a time."})


def listed_free_slots(
    player_id: int,
    duration_minutes: int | None,
    range_start: datetime,
    range_end: datetime,
    *,
    now: datetime | None = None,
) -> SlotList:
    """offered_slots without the range limit (callers that cut ranges themselves check it first)."""
    _, offering = bookable_offering(player_id, duration_minutes)
    found = slots.free_slots(player_id, offering.duration_minutes, range_start, range_end, now=now)
    return SlotList(player_id, offering.duration_minutes, found.slots, found.fresh_until)


@dataclass(frozen=True)
class DayChoices:
    """One page of days for a booking picker, in the viewer's zone, and the chosen day's slots."""

    duration_minutes: int
    zone_name: str
    first_day: date
    last_day: date
    days: dict[date, list[slots.Slot]]  # only days with at least one free slot, in order
    day: date | None  # the chosen day, or the first with free slots
    earlier: date | None  # first day of the previous page, when there is one
    later: date | None  # first day of the next page, when the booking window reaches it

    @property
    def day_slots(self) -> list[slots.Slot]:
        return self.days.get(self.day, []) if self.day else []


PICKER_DAYS = 7


def day_choices(
    player_id: int,
    duration_minutes: int,
    zone_name: str,
    first_day: date | None = None,
    day: date | None = None,
    *,
    exclude_session_id: int | None = None,
    viewer_id: int | None = None,
    now: datetime | None = None,
) -> DayChoices:
    """A week of the player's free slots grouped by the viewer's local date (for the pickers),
    without those held for another fan from the waitlist."""
    now = now or utcnow()
    tz = zone(zone_name)
    today = now.astimezone(tz).date()
    first_day = max(first_day or today, today)
    after_last = first_day + timedelta(days=PICKER_DAYS)
    range_start = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    range_end = datetime.combine(after_last, time(0), tzinfo=tz).astimezone(UTC)
    found = slots.bookable_slots(
        player_id, duration_minutes, range_start, range_end, now=now, exclude_session_id=exclude_session_id
    )
    held = waitlist_holds.held_for_others(player_id, viewer_id, range_start, range_end, now)
    found = [slot for slot in found if not any(slot.start < end and slot.end > start for start, end in held)]
    days = slots.group_by_day(found, zone_name)
    rules = slots.load_rules([player_id]).get(player_id)
    window_end = rules.booking_window(now)[1] if rules else now
    return DayChoices(
        duration_minutes=duration_minutes,
        zone_name=zone_name,
        first_day=first_day,
        last_day=after_last - timedelta(days=1),
        days=days,
        day=day if day in days else next(iter(days), None),
        earlier=max(first_day - timedelta(days=PICKER_DAYS), today) if first_day > today else None,
        later=after_last if range_end < window_end else None,
    )


def booking_choices(
    player_id: int,
    duration_minutes: int | None,
    zone_name: str,
    first_day: date | None = None,
    day: date | None = None,
    *,
    viewer_id: int | None = None,
) -> tuple[Profile, DayChoices]:
    """What a fan can pick on a listed player's booking page (404 / 422 as for booking)."""
    profile, offering = bookable_offering(player_id, duration_minutes)
    return profile, day_choices(player_id, offering.duration_minutes, zone_name, first_day, day, viewer_id=viewer_id)


def reschedule_choices(
    actor: User, session_id: int, zone_name: str, first_day: date | None = None, day: date | None = None
) -> tuple[LiveSession, DayChoices]:
    """Free slots a participant can move their session to (its own time does not block)."""
    session = session_for_participant(actor, session_id)
    choices = day_choices(
        session.player_id,
        session.duration_minutes,
        zone_name,
        first_day,
        day,
        exclude_session_id=session.id,
        viewer_id=session.fan_id,
    )
    return session, choices
