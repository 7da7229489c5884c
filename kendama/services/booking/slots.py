"""Bookable start times: availability minus sessions, buffers and imported busy times.

The rules, in one place:

- Windows. A weekly window (or the date's override, which replaces the weekly hours) is a pair
  of wall-clock times in the player's zone; zoneinfo turns them into instants. On a DST switch
  day when clocks go back, an instant is in the window when the clock reads inside it: a window
  over the whole repeated hour has both of its passes, and one with an edge inside it has each
  pass only where it reads inside the window (so it may be two runs of time); an edge
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
- Conflicts. With the player's buffer b, a slot [s, e) is free when [s, e + b) overlaps no
  [starts_at, blocked_until) of a session that holds its time (any not cancelled, whether it is
  still to come, under way, completed or a no-show: exactly what the database's overlap guard
  checks; unpaid holds past their expiry do not count, booking expires them first) and
  [s - b, e + b) overlaps no busy time imported from the player's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, literal, select, union_all

from ...dialects import epoch_seconds
from ...extensions import db
from ...models import CalendarBusyTime, DateOverride, LiveSession, SessionAvailability, WeeklyWindow, utcnow
from ..timezones import zone
from . import slot_cache

GRID = timedelta(minutes=15)
MAX_RANGE = timedelta(days=62)
FIRST_LOOK = timedelta(days=7)  # next_available reads this far first


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


def _rules(row, windows: list[tuple[int, time, time]], overrides: list[tuple[date, time | None, time | None]]) -> Rules:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in windows:
        weekly.setdefault(weekday, []).append((start, end))
    by_date: dict[date, list[tuple[time, time]]] = {}
    for day, start, end in overrides:
        hours = by_date.setdefault(day, [])
        if start is not None and end is not None:
            hours.append((start, end))
    return Rules(
        zone=zone(row.timezone),
        weekly={day: tuple(sorted(hours)) for day, hours in weekly.items()},
        overrides={day: tuple(sorted(hours)) for day, hours in by_date.items()},
        buffer=timedelta(minutes=row.buffer_minutes),
        min_notice=timedelta(minutes=row.min_notice_minutes),
        max_days_ahead=row.max_days_ahead,
    )


# --- Pure computation ----------------------------------------------------------------------


def _edges(day: date, start: time, end: time, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """A wall-clock window of `day` as UTC intervals, in order (see the module docstring for DST).

    Usually one interval. Where the clocks go back inside it and an edge falls in the repeated
    hour, the instants whose reading lies in the window are two runs: the first pass of the
    repeated hour up to the end, and the second pass from the start.
    """
    start_at = datetime.combine(day, start, tzinfo=tz)
    end_day = day + timedelta(days=1) if end == time(0) else day
    end_at = datetime.combine(end_day, end, tzinfo=tz)
    first, last = start_at.replace(fold=0).astimezone(UTC), end_at.replace(fold=1).astimezone(UTC)
    back_at = _clocks_go_back(first, last, tz)
    if back_at is None:
        return [(first, last)]
    runs = [
        (first, min(end_at.replace(fold=0).astimezone(UTC), back_at)),
        (max(start_at.replace(fold=1).astimezone(UTC), back_at), last),
    ]
    return [(lo, hi) for lo, hi in runs if lo < hi]


def _clocks_go_back(first: datetime, last: datetime, tz: ZoneInfo) -> datetime | None:
    """The instant in (first, last] at which the zone's clocks go back, if they do.

    zoneinfo has no public list of transitions, so the instant is found by halving the interval
    on its UTC offsets (to the second; a day holds at most one switch).
    """

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(tz).utcoffset()

    before, after = first, last
    if before >= after or offset(before) <= offset(after):
        return None
    while after - before > timedelta(seconds=1):  # before has the old offset, after the new
        middle = (before + (after - before) / 2).replace(microsecond=0)
        if offset(middle) == offset(first):
            before = middle
        else:
            after = middle
    return after


def windows(rules: Rules, first_day: date, last_day: date) -> Iterator[tuple[datetime, datetime]]:
    """Availability of the local dates first_day..last_day as joined UTC intervals, in order."""
    pending: tuple[datetime, datetime] | None = None
    day = first_day
    while day <= last_day:
        hours = rules.overrides[day] if day in rules.overrides else rules.weekly.get(day.weekday(), ())
        for start, end in hours:
            for start_at, end_at in _edges(day, start, end, rules.zone):
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
    sessions: Iterable[tuple[float, float]],
    busy: Iterable[tuple[float, float]],
    duration: timedelta,
    buffer: timedelta,
) -> list[tuple[float, float]]:
    """Open intervals (lo, hi) of start times that would overlap something, merged and in order.

    A start s conflicts with a blocked range [x, y) when s < y and s + duration + buffer > x.
    Times are POSIX seconds, as load_conflicts reads them.
    """
    lead = (duration + buffer).total_seconds()
    pad = buffer.total_seconds()
    spans = [(x - lead, y) for x, y in sessions]
    spans += [(x - lead, y + pad) for x, y in busy]
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
    sessions: Iterable[tuple[float, float]] = (),
    busy: Iterable[tuple[float, float]] = (),
) -> Iterator[Slot]:
    """Free slots whose start lies in [range_start, range_end), in order (no database access).

    `sessions` are the [starts_at, blocked_until) of sessions that hold their time and `busy` imported busy times,
    both as POSIX seconds.
    """
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


# The statements are built once with bind parameters: slot reads are the hot path, and this
# skips rebuilding (and re-keying) them on every request.
_RULES = (
    select(
        SessionAvailability.player_id,
        SessionAvailability.timezone,
        SessionAvailability.buffer_minutes,
        SessionAvailability.min_notice_minutes,
        SessionAvailability.max_days_ahead,
        WeeklyWindow.weekday,
        WeeklyWindow.start_time,
        WeeklyWindow.end_time,
    )
    .outerjoin(WeeklyWindow, WeeklyWindow.player_id == SessionAvailability.player_id)
    .where(SessionAvailability.player_id.in_(bindparam("ids", expanding=True)))
)
_OVERRIDES = select(DateOverride.player_id, DateOverride.date, DateOverride.start_time, DateOverride.end_time).where(
    DateOverride.player_id.in_(bindparam("ids", expanding=True))
)


def load_rules(player_ids: Iterable[int]) -> dict[int, Rules]:
    """Players' availability as Rules, in two queries of plain rows."""
    ids = list(set(player_ids))
    if not ids:
        return {}
    rows = db.session.execute(_RULES, {"ids": ids}).all()
    overrides: dict[int, list[tuple[date, time | None, time | None]]] = {}
    for player_id, day, start, end in db.session.execute(_OVERRIDES, {"ids": ids}).all():
        overrides.setdefault(player_id, []).append((day, start, end))
    first_row: dict[int, object] = {}
    windows: dict[int, list[tuple[int, time, time]]] = {}
    for row in rows:
        first_row.setdefault(row.player_id, row)
        if row.weekday is not None:
            windows.setdefault(row.player_id, []).append((row.weekday, row.start_time, row.end_time))
    return {pid: _rules(row, windows.get(pid, []), overrides.get(pid, [])) for pid, row in first_row.items()}


Spans = dict[int, list[tuple[float, float]]]


_CONFLICTS = union_all(
    select(
        literal(0).label("kind"),
        LiveSession.player_id,
        epoch_seconds(LiveSession.starts_at).label("starts"),
        epoch_seconds(LiveSession.blocked_until).label("ends"),
    ).where(
        LiveSession.player_id.in_(bindparam("ids", expanding=True)),
        LiveSession.holds_time(bindparam("now", type_=LiveSession.starts_at.type)),
        LiveSession.starts_at < bindparam("upper"),
        LiveSession.blocked_until > bindparam("lower"),
        LiveSession.id != bindparam("exclude"),
    ),
    select(
        literal(1).label("kind"),
        CalendarBusyTime.player_id,
        epoch_seconds(CalendarBusyTime.starts_at).label("starts"),
        epoch_seconds(CalendarBusyTime.ends_at).label("ends"),
    ).where(
        CalendarBusyTime.player_id.in_(bindparam("ids", expanding=True)),
        CalendarBusyTime.starts_at < bindparam("upper"),
        CalendarBusyTime.ends_at > bindparam("lower"),
    ),
)


def load_conflicts(
    player_ids: Iterable[int],
    lower: datetime,
    upper: datetime,
    now: datetime,
    exclude_session_id: int | None = None,
) -> tuple[Spans, Spans]:
    """Time-holding sessions' [starts_at, blocked_until) and imported busy times touching [lower, upper).

    One query for both; the times come back as POSIX seconds (see epoch_seconds).
    """
    ids = list(set(player_ids))
    sessions: Spans = {pid: [] for pid in ids}
    busy: Spans = {pid: [] for pid in ids}
    if not ids:
        return sessions, busy
    values = {"ids": ids, "now": now, "lower": lower, "upper": upper, "exclude": exclude_session_id or 0}
    for kind, player_id, starts, ends in db.session.execute(_CONFLICTS, values).all():
        (busy if kind else sessions)[player_id].append((starts, ends))
    return sessions, busy


def _margin(rules: Rules, duration: timedelta) -> timedelta:
    """How far outside a range a conflict can still reach a slot inside it."""
    return duration + rules.buffer


@dataclass(frozen=True)
class FreeSlots:
    slots: list[Slot]
    # When the clock alone makes this list wrong: its first slot falls inside the minimum
    # notice. Until then time only adds slots (a hold running out, the booking window growing
    # by a day); None when there is nothing to lose.
    fresh_until: datetime | None


def fresh_until(first_start: datetime | None, rules: Rules) -> datetime | None:
    """The moment a computed answer whose earliest start is `first_start` stops being right."""
    return None if first_start is None else first_start - rules.min_notice


def free_slots(
    player_id: int,
    duration_minutes: int,
    range_start: datetime,
    range_end: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> FreeSlots:
    """The player's free slots starting in [range_start, range_end) and how long they stay right."""
    now = now or utcnow()
    rules = load_rules([player_id]).get(player_id)
    if rules is None:
        return FreeSlots([], None)
    duration = timedelta(minutes=duration_minutes)
    margin = _margin(rules, duration)
    sessions, busy = load_conflicts(
        [player_id], range_start - margin, range_end + margin, now, exclude_session_id=exclude_session_id
    )
    found = list(compute_slots(rules, duration, range_start, range_end, now, sessions[player_id], busy[player_id]))
    return FreeSlots(found, fresh_until(found[0].start if found else None, rules))


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
    return free_slots(
        player_id, duration_minutes, range_start, range_end, now=now, exclude_session_id=exclude_session_id
    ).slots


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
    """Each player's first free start for their duration (in `durations`), in at most four queries.

    Looks as far as each player's booking window reaches (or up to `before`): first over the
    next week, then, only for players with nothing free in it, over the rest of their window,
    so a page of busy players does not read months of sessions it does not need.
    """
    return {pid: first for pid, (first, _) in _first_free(player_ids, durations, before, now or utcnow()).items()}


def _first_free(
    player_ids: Iterable[int], durations: dict[int, int], before: datetime | None, now: datetime
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """next_available's work: each player's first free start and until when it stays right."""
    result: dict[int, datetime | None] = dict.fromkeys(player_ids)
    rules_by_player = load_rules(pid for pid in result if pid in durations)
    horizons = {pid: rules.booking_window(now)[1] for pid, rules in rules_by_player.items()}
    if before is not None:
        horizons = {pid: min(end, before) for pid, end in horizons.items()}
    pending = {pid for pid, end in horizons.items() if end > now}
    start = now
    for end_of_look in (now + FIRST_LOOK, None):
        if not pending:
            break
        ends = {pid: horizons[pid] if end_of_look is None else min(horizons[pid], end_of_look) for pid in pending}
        margin = max(timedelta(minutes=durations[pid]) + rules_by_player[pid].buffer for pid in pending)
        sessions, busy = load_conflicts(pending, start - margin, max(ends.values()) + margin, now)
        for pid in list(pending):
            duration = timedelta(minutes=durations[pid])
            first = next(
                compute_slots(rules_by_player[pid], duration, start, ends[pid], now, sessions[pid], busy[pid]), None
            )
            if first is not None or ends[pid] >= horizons[pid]:
                result[pid] = first.start if first else None
                pending.discard(pid)
        start = end_of_look
    return {pid: (first, fresh_until(first, rules_by_player[pid]) if first else None) for pid, first in result.items()}


def cached_next_available(
    player_ids: Iterable[int], durations: dict[int, int], *, before: datetime | None = None
) -> dict[int, datetime | None]:
    """next_available for what pages show, through the slot cache (never for booking decisions).

    The first free start over the whole booking window is what is cached; `before` filters it,
    which gives the same answer as looking only up to `before`.
    """
    now = utcnow()
    found: dict[int, datetime | None] = dict.fromkeys(player_ids)

    def compute(missing: list[int]) -> dict[int, tuple[datetime | None, datetime | None]]:
        return _first_free(missing, durations, None, now)

    wanted = {pid: durations[pid] for pid in found if pid in durations}
    found.update(slot_cache.remember_many("next", wanted, compute, now=now))
    if before is not None:
        found = {pid: first if first is not None and first < before else None for pid, first in found.items()}
    return found


def group_by_day(slots: Iterable[Slot], zone_name: str) -> dict[date, list[Slot]]:
    """Slots grouped by the date they start on in the viewer's zone, in order."""
    tz = zone(zone_name)
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return days
