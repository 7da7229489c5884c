"""Waitlists: fans in line for a day with a player who has no open time on it.

When a time opens on that day (a cancellation, a hold that ran out, new availability), the first
fan in line is offered it: the slot is held for them alone for WAITLIST_OFFER_MINUTES and they are
emailed. If they do not book it in time the offer lapses and the next fan in line is told. A fan
who books the day by any time leaves the line as booked.

What drives it is written state, not events: `run(player_id)` looks at the line and the free
slots as they are now, so the periodic sweep (every minute) and the prompt job after a
cancellation do the same thing, and a lost job only delays an offer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import User, WaitlistEntry, WaitlistState, utcnow
from ..errors import Conflict, InvalidInput, NotAllowed, NotFound, SlotUnavailable
from ..notifications import outbox
from ..timezones import for_person, is_valid_zone, zone  # noqa: F401  (zone: tests build days with it)
from . import slots, waitlist_holds
from .offers import bookable_offering

OFFER_KIND = "waitlist_offer"
LIVE = (WaitlistState.WAITING.value, WaitlistState.OFFERED.value)


def _offer_minutes() -> int:
    return int(current_app.config["WAITLIST_OFFER_MINUTES"])


def day_range(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in a zone, in UTC (23 or 25 hours across a DST change)."""
    tz = zone(zone_name)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def _free_on(entry: WaitlistEntry, now: datetime) -> list[slots.Slot]:
    start, end = day_range(entry.day, entry.zone)
    return slots.bookable_slots(entry.player_id, entry.duration_minutes, max(start, now), end, now=now)


# --- Fans ----------------------------------------------------------------------------------


def join(
    fan: User, player_id: int, day: date, duration_minutes: int, zone_name: str, *, now: datetime | None = None
) -> WaitlistEntry:
    """Put the fan in line for `day` (in `zone_name`); only a day inside the player's booking
    window that has no open time of that length now (otherwise: book one)."""
    now = now or utcnow()
    if fan.id == player_id:
        raise NotAllowed("You cannot join your own waitlist.")
    bookable_offering(player_id, duration_minutes)  # 404 for a player who is not listed, 422 for a length
    if not is_valid_zone(zone_name):
        raise InvalidInput({"zone": "Choose a time zone from the list."})
    start, end = day_range(day, zone_name)
    rules = slots.load_rules([player_id])[player_id]
    _first, window_end = rules.booking_window(now)
    if end <= now or start >= window_end:
        raise InvalidInput({"date": "Choose a day from today to the end of the player's booking window."})
    entry = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.player_id == player_id,
            WaitlistEntry.fan_id == fan.id,
            WaitlistEntry.day == day,
            WaitlistEntry.duration_minutes == duration_minutes,
        )
    )
    if entry is not None and entry.state in LIVE:
        raise Conflict("You are already on the waitlist for that day.", code="already_waiting")
    probe = entry or WaitlistEntry(
        player_id=player_id, fan_id=fan.id, day=day, zone=zone_name, duration_minutes=duration_minutes
    )
    if _free_on(probe, now):
        raise InvalidInput({"date": "There are open times on that day: book one of them."})
    if entry is None:
        db.session.add(probe)
    else:  # back in line, at the end of it
        entry.state, entry.zone, entry.joined_at = WaitlistState.WAITING.value, zone_name, now
        entry.offer_start = entry.offer_end = entry.offer_until = None
    db.session.commit()
    return probe


def leave(fan: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.fan_id != fan.id:
        raise NotFound("No such waitlist place.")
    if entry.state in LIVE:
        entry.state = WaitlistState.LEFT.value
        entry.offer_until = None  # an offer held for them is released with it
        db.session.commit()
    return entry


def place_of(fan: User, player_id: int, day: date, duration_minutes: int) -> WaitlistEntry:
    entry = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.player_id == player_id,
            WaitlistEntry.fan_id == fan.id,
            WaitlistEntry.day == day,
            WaitlistEntry.duration_minutes == duration_minutes,
            WaitlistEntry.state.in_(LIVE),
        )
    )
    if entry is None:
        raise NotFound("You are not on the waitlist for that day.")
    return entry


def entries_of(fan: User) -> list[WaitlistEntry]:
    """The fan's live places in line, soonest day first (the dashboard)."""
    query = (
        select(WaitlistEntry)
        .where(WaitlistEntry.fan_id == fan.id, WaitlistEntry.state.in_(LIVE))
        .order_by(WaitlistEntry.day, WaitlistEntry.id)
    )
    return list(db.session.scalars(query))


def position(entry: WaitlistEntry) -> int:
    """1 for the first fan in line for the entry's day and length."""
    ahead = db.session.scalars(
        select(WaitlistEntry.id).where(
            WaitlistEntry.player_id == entry.player_id,
            WaitlistEntry.day == entry.day,
            WaitlistEntry.duration_minutes == entry.duration_minutes,
            WaitlistEntry.state.in_(LIVE),
            WaitlistEntry.joined_at < entry.joined_at,
        )
    ).all()
    return len(ahead) + 1


# --- Booking ---------------------------------------------------------------------------------


def check_hold(player_id: int, fan_id: int, start: datetime, end: datetime, now: datetime) -> None:
    """Refuse a booking over a slot held for another fan from the waitlist (booking calls this)."""
    held = db.session.scalar(
        waitlist_holds.live_offers(player_id, start, end, now).where(WaitlistEntry.fan_id != fan_id).limit(1)
    )
    if held is not None:
        until = for_person(held.offer_until, held.zone, "%H:%M")
        message = f"That time is held for a fan from the waitlist until {until}. Pick another, or try again then."
        raise SlotUnavailable(message, code="held_for_waitlist", fields={"start": message})


def mark_booked(fan_id: int, player_id: int, start: datetime) -> None:
    """The fan booked with the player: their places for that day leave the line (the caller commits)."""
    for entry in db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.player_id == player_id, WaitlistEntry.fan_id == fan_id, WaitlistEntry.state.in_(LIVE)
        )
    ):
        day_start, day_end = day_range(entry.day, entry.zone)
        if day_start <= start < day_end:
            entry.state = WaitlistState.BOOKED.value


# --- Offering -----------------------------------------------------------------------------------


def players_to_run() -> list[int]:
    """Players with a line (the sweep's work)."""
    query = select(WaitlistEntry.player_id).where(WaitlistEntry.state.in_(LIVE)).distinct()
    return list(db.session.scalars(query))


def run(player_id: int, *, now: datetime | None = None) -> list[WaitlistEntry]:
    """Lapse run-out offers and offer free slots to the first fans in line; returns the new offers."""
    now = now or utcnow()
    live = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.player_id == player_id, WaitlistEntry.state.in_(LIVE))
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
            .with_for_update()
        )
    )
    held: list[tuple[datetime, datetime]] = []
    for entry in live:
        if entry.state == WaitlistState.OFFERED.value:
            if entry.offer_until > now:
                held.append((entry.offer_start, entry.offer_end))
            else:
                entry.state = WaitlistState.LAPSED.value
    offered = []
    for entry in live:
        if entry.state != WaitlistState.WAITING.value:
            continue
        if day_range(entry.day, entry.zone)[1] <= now:
            entry.state = WaitlistState.LAPSED.value  # the day is over
            continue
        free = [s for s in _free_on(entry, now) if not any(s.start < end and s.end > start for start, end in held)]
        if not free:
            continue
        slot = free[0]
        entry.state = WaitlistState.OFFERED.value
        entry.offer_start, entry.offer_end = slot.start, slot.end
        entry.offer_until = now + timedelta(minutes=_offer_minutes())
        held.append((slot.start, slot.end))
        outbox.queue(entry.fan_id, OFFER_KIND, session_id=None, payload={"entry_id": entry.id})
        offered.append(entry)
    db.session.commit()
    return offered
