"""Bookable start times: availability minus sessions, buffers and imported busy times.

The rules, in one place:

- Windows. A weekly window (or the date's override, which replaces the weekly hours) is a pair
  of wall-clock times in the player's zone; zoneinfo turns them into instants. On a DST switch
  day an edge that falls in the repeated hour (clocks go back) is read at its first occurrence
  for a start and its second for an end, so the window covers the whole repeated hour; an edge
  that falls in the skipped hour (clocks go forward) does not exist and is read so the window
  shrinks rather than grows (a start with the offset before the change, an end with the offset
  after it). Windows that touch or overlap are joined.
- Grid. Slot starts lie every 15 minutes of elapsed time from the start of a (joined) window,
  and the whole slot must fit inside it. Counting elapsed time means a skipped wall-clock time
  is never offered and a repeated one is offered twice: they are different instants, and the
  API writes them in UTC. Every DST shift in use is a multiple of 15 minutes, so the starts also
  read as quarter hours on the wall clock.
- Limits. A start must be at least the minimum notice after now, and on or before the last day
  of the booking window: today plus `max_days_ahead` days, counted on the player's calendar.
- Conflicts. With the player's buffer b, a slot [s, e) is free when [s, e + b) overlaps no active
  session's [starts_at, blocked_until) (exactly what the database's exclusion constraint checks;
  unpaid holds past their expiry do not count, booking expires them first) and [s - b, e + b)
  overlaps no busy time imported from the player's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ACTIVE_STATUSES, CalendarBusyTime, LiveSession, SessionAvailability, SessionStatus, utcnow
from .timezones import zone

GRID = timedelta(minutes=15)
MAX_RANGE = timedelta(days=62)
_ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Rules:
    """A player's availability as plain values (read once, used for many computations)."""

    zone: ZoneInfo
    weekly: dict[int, tuple[tuple[time, time], ...]]
    overrides: dict[date, tuple[tuple[time, time], ...]]  # an empty tuple is a day off
    buffer: timedelta
    min_notice: timedelta
    max_days_ahead: int

    def booking_window(self, now: datetime) -> tuple[datetime, datetime]:
        """[earliest start, end of the booking window) for a booking made at `now`."""
        last_day = now.astimezone(self.zone).date() + timedelta(days=self.max_days_ahead)
        window_end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(UTC)
        return now + self.min_notice, window_end


def rules_of(availability: SessionAvailability) -> Rules:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for window in availability.windows:
        weekly.setdefault(window.weekday, []).append((window.start_time, window.end_time))
    overrides: dict[date, list[tuple[time, time]]] = {}
    for override in availability.overrides:
        hours = overrides.setdefault(override.date, [])
        if override.start_time is not None and override.end_time is not None:
            hours.append((override.start_time, override.end_time))
    return Rules(
        zone=zone(availability.timezone),
        weekly={day: tuple(sorted(hours)) for day, hours in weekly.items()},
        overrides={day: tuple(sorted(hours)) for day, hours in overrides.items()},
        buffer=timedelta(minutes=availability.buffer_minutes),
        min_notice=timedelta(minutes=availability.min_notice_minutes),
        max_days_ahead=availability.max_days_ahead,
    )


# --- Pure computation ----------------------------------------------------------------------


def _edges(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A wall-clock window of `day` as UTC instants (see the module docstring for DST edges)."""
    start_at = datetime.combine(day, start, tzinfo=tz).replace(fold=0)
    if end == time(0):
        end_at = datetime.combine(day + timedelta(days=1), end, tzinfo=tz).replace(fold=1)
    else:
        end_at = datetime.combine(day, end, tzinfo=tz).replace(fold=1)
    return start_at.astimezone(UTC), end_at.astimezone(UTC)


def windows(rules: Rules, first_day: date, last_day: date) -> Iterator[tuple[datetime, datetime]]:
    """Availability of the local dates first_day..last_day as joined UTC intervals, in order."""
    pending: tuple[datetime, datetime] | None = None
    day = first_day
    while day <= last_day:
        hours = rules.overrides[day] if day in rules.overrides else rules.weekly.get(day.weekday(), ())
        for start, end in hours:
            start_at, end_at = _edges(day, start, end, rules.zone)
            if end_at <= start_at:  # the whole window fell into a skipped hour
                continue
            if pending is not None and start_at <= pending[1]:
                pending = (pending[0], max(pending[1], end_at))
                continue
            if pending is not None:
                yield pending
            pending = (start_at, end_at)
        day += timedelta(days=1)
    if pending is not None:
        yield pending


def _forbidden_starts(
    sessions: Iterable[tuple[datetime, datetime]],
    busy: Iterable[tuple[datetime, datetime]],
    duration: timedelta,
    buffer: timedelta,
) -> list[tuple[float, float]]:
    """Open intervals (lo, hi) of start times, as POSIX seconds, that would overlap something.

    A start s conflicts with a blocked range [x, y) when s < y and s + duration + buffer > x.
    """
    lead = (duration + buffer).total_seconds()
    pad = buffer.total_seconds()
    spans = [(x.timestamp() - lead, y.timestamp()) for x, y in sessions]
    spans += [(x.timestamp() - lead, y.timestamp() + pad) for x, y in busy]
    spans.sort()
    merged: list[tuple[float, float]] = []
    for lo, hi in spans:
        if merged and lo < merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def compute_slots(
    rules: Rules,
    duration: timedelta,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    sessions: Iterable[tuple[datetime, datetime]] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
) -> Iterator[Slot]:
    """Free slots whose start lies in [range_start, range_end), in order (no database access)."""
    earliest, window_end = rules.booking_window(now)
    lower = max(range_start, earliest)
    upper = min(range_end, window_end)
    if lower >= upper:
        return
    forbidden = _forbidden_starts(sessions, busy, duration, rules.buffer)
    step = GRID.total_seconds()
    length = duration.total_seconds()
    lower_ts, upper_ts = lower.timestamp(), upper.timestamp()
    index = 0
    first_day = lower.astimezone(rules.zone).date()
    last_day = upper.astimezone(rules.zone).date()
    for window_start, window_finish in windows(rules, first_day, last_day):
        base, finish = window_start.timestamp(), window_finish.timestamp()
        steps = 0 if base >= lower_ts else -int((base - lower_ts) // step)  # ceil onto the grid
        start = base + steps * step
        while start + length <= finish and start < upper_ts:
            while index < len(forbidden) and forbidden[index][1] <= start:
                index += 1
            if index < len(forbidden) and forbidden[index][0] < start:
                start = base + (-int((base - forbidden[index][1]) // step)) * step  # next grid point past it
                continue
            begins = datetime.fromtimestamp(start, UTC)
            yield Slot(begins, begins + duration)
            start += step


# --- Loading from the database (a fixed number of queries for any number of players) -------


def load_rules(player_ids: Iterable[int]) -> dict[int, Rules]:
    ids = list(set(player_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(SessionAvailability)
        .where(SessionAvailability.player_id.in_(ids))
        .options(selectinload(SessionAvailability.windows), selectinload(SessionAvailability.overrides))
    )
    return {row.player_id: rules_of(row) for row in rows}


def load_conflicts(
    player_ids: Iterable[int],
    lower: datetime,
    upper: datetime,
    now: datetime,
    exclude_session_id: int | None = None,
) -> tuple[dict[int, list[tuple[datetime, datetime]]], dict[int, list[tuple[datetime, datetime]]]]:
    """Active sessions' [starts_at, blocked_until) and imported busy times touching [lower, upper)."""
    ids = list(set(player_ids))
    sessions: dict[int, list[tuple[datetime, datetime]]] = {pid: [] for pid in ids}
    busy: dict[int, list[tuple[datetime, datetime]]] = {pid: [] for pid in ids}
    if not ids:
        return sessions, busy
    expired_hold = and_(LiveSession.status == SessionStatus.PENDING_PAYMENT.value, LiveSession.hold_expires_at <= now)
    query = select(LiveSession.player_id, LiveSession.starts_at, LiveSession.blocked_until).where(
        LiveSession.player_id.in_(ids),
        LiveSession.status.in_(_ACTIVE),
        not_(expired_hold),
        LiveSession.starts_at < upper,
        LiveSession.blocked_until > lower,
    )
    if exclude_session_id is not None:
        query = query.where(LiveSession.id != exclude_session_id)
    for player_id, starts_at, blocked_until in db.session.execute(query):
        sessions[player_id].append((starts_at, blocked_until))
    busy_query = select(CalendarBusyTime.player_id, CalendarBusyTime.starts_at, CalendarBusyTime.ends_at).where(
        CalendarBusyTime.player_id.in_(ids),
        CalendarBusyTime.starts_at < upper,
        CalendarBusyTime.ends_at > lower,
    )
    for player_id, starts_at, ends_at in db.session.execute(busy_query):
        busy[player_id].append((starts_at, ends_at))
    return sessions, busy


def _margin(rules: Rules, duration: timedelta) -> timedelta:
    """How far outside a range a conflict can still reach a slot inside it."""
    return duration + rules.buffer


def bookable_slots(
    player_id: int,
    duration_minutes: int,
    range_start: datetime,
    range_end: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> list[Slot]:
    """The player's free slots starting in [range_start, range_end) (no listing checks here)."""
    now = now or utcnow()
    rules = load_rules([player_id]).get(player_id)
    if rules is None:
        return []
    duration = timedelta(minutes=duration_minutes)
    margin = _margin(rules, duration)
    sessions, busy = load_conflicts(
        [player_id], range_start - margin, range_end + margin, now, exclude_session_id=exclude_session_id
    )
    return list(compute_slots(rules, duration, range_start, range_end, now, sessions[player_id], busy[player_id]))


def is_bookable(
    player_id: int,
    duration_minutes: int,
    start: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> bool:
    """Whether `start` is one of the player's free slots for that duration."""
    found = bookable_slots(
        player_id,
        duration_minutes,
        start,
        start + timedelta(seconds=1),
        now=now,
        exclude_session_id=exclude_session_id,
    )
    return any(slot.start == start for slot in found)


def next_available(
    player_ids: Iterable[int],
    durations: dict[int, int],
    *,
    before: datetime | None = None,
    now: datetime | None = None,
) -> dict[int, datetime | None]:
    """Each player's first free start for their duration (in `durations`), in five queries.

    Looks as far as each player's booking window reaches (or up to `before`).
    """
    now = now or utcnow()
    ids = [pid for pid in set(player_ids) if pid in durations]
    result: dict[int, datetime | None] = {pid: None for pid in player_ids}
    rules_by_player = load_rules(ids)
    if not rules_by_player:
        return result
    horizons = {pid: rules.booking_window(now)[1] for pid, rules in rules_by_player.items()}
    if before is not None:
        horizons = {pid: min(end, before) for pid, end in horizons.items()}
    longest = max(_margin(rules, timedelta(minutes=durations[pid])) for pid, rules in rules_by_player.items())
    sessions, busy = load_conflicts(rules_by_player, now - longest, max(horizons.values()) + longest, now)
    for pid, rules in rules_by_player.items():
        found = compute_slots(
            rules, timedelta(minutes=durations[pid]), now, horizons[pid], now, sessions[pid], busy[pid]
        )
        first = next(found, None)
        result[pid] = first.start if first else None
    return result


def group_by_day(slots: Iterable[Slot], zone_name: str) -> dict[date, list[Slot]]:
    """Slots grouped by the date they start on in the viewer's zone, in order."""
    tz = zone(zone_name)
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return days
