"""A player's availability: weekly wall-clock windows, date overrides and booking limits.

Weekly windows are wall-clock times in the player's zone ("Monday 09:00-12:00"), so they stay
put across DST changes. An override replaces the weekly hours of its date; an override without
times makes the date a day off. An end of 00:00 (or 24:00) means midnight at the end of the day.
Every rule is checked here, so the availability editor and the JSON API refuse the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import DateOverride, Role, SessionAvailability, User, WeeklyWindow
from ..access import require_player
from ..errors import InvalidInput, NotFound
from ..timezones import is_valid_zone, parse_day

# The same ranges as the table's check constraints, so a bad value is a 422, never a 500.
BUFFER_RANGE = (0, 240)
NOTICE_RANGE = (0, 20160)  # two weeks, in minutes
DAYS_AHEAD_RANGE = (1, 365)
MAX_WEEKLY_WINDOWS = 50
MAX_OVERRIDES = 400
END_OF_DAY = time(0)  # stored end_time for "midnight at the end of the day"


@dataclass(frozen=True)
class WeeklyInput:
    weekday: int  # 0 = Monday
    start: str  # "HH:MM"
    end: str  # "HH:MM"; "24:00" or "00:00" = midnight at the end of the day


@dataclass(frozen=True)
class OverrideInput:
    date: str  # "YYYY-MM-DD"
    start: str | None = None  # both empty: unavailable that day
    end: str | None = None


@dataclass(frozen=True)
class AvailabilityInput:
    timezone: str
    weekly: list[WeeklyInput] = field(default_factory=list)
    overrides: list[OverrideInput] = field(default_factory=list)
    buffer_minutes: int = 0
    min_notice_minutes: int = 120
    max_days_ahead: int = 30


def get_availability(player_id: int) -> SessionAvailability:
    """A player's availability with its windows and overrides, or NotFound."""
    availability = db.session.scalar(
        select(SessionAvailability)
        .join(User, User.id == SessionAvailability.player_id)
        .where(SessionAvailability.player_id == player_id, User.role == Role.PLAYER.value)
        .options(selectinload(SessionAvailability.windows), selectinload(SessionAvailability.overrides))
    )
    if availability is None:
        raise NotFound("No such player.")
    return availability


def set_availability(actor: User, data: AvailabilityInput) -> SessionAvailability:
    """Replace the acting player's availability; nothing changes unless every rule holds."""
    require_player(actor)
    errors: dict[str, str] = {}
    if not is_valid_zone(data.timezone):
        errors["timezone"] = "Choose a time zone from the list (an IANA name such as Europe/Prague)."
    errors.update(_check_number("buffer_minutes", data.buffer_minutes, BUFFER_RANGE, "minutes"))
    errors.update(_check_number("min_notice_minutes", data.min_notice_minutes, NOTICE_RANGE, "minutes"))
    errors.update(_check_number("max_days_ahead", data.max_days_ahead, DAYS_AHEAD_RANGE, "days"))
    windows, window_errors = _weekly_windows(data.weekly)
    overrides, override_errors = _date_overrides(data.overrides)
    errors.update(window_errors)
    errors.update(override_errors)
    if errors:
        raise InvalidInput(errors)

    availability = get_availability(actor.id)
    availability.timezone = data.timezone
    availability.buffer_minutes = data.buffer_minutes
    availability.min_notice_minutes = data.min_notice_minutes
    availability.max_days_ahead = data.max_days_ahead
    availability.windows = windows
    availability.overrides = overrides
    db.session.commit()
    return availability


def _check_number(name: str, value: object, bounds: tuple[int, int], unit: str) -> dict[str, str]:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return {name: f"Enter a whole number of {unit} from {low} to {high}."}
    return {}


def parse_clock(text: str | None, *, is_end: bool = False) -> time | None:
    """'HH:MM' as a time; for an end, '24:00' is midnight at the end of the day. None if invalid."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return None
    if is_end and text == "24:00":
        return END_OF_DAY
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def minutes_of(start: time, end: time) -> tuple[int, int]:
    """A window as minutes from the day's midnight; an end of 00:00 is 1440 (the next midnight)."""
    start_minutes = start.hour * 60 + start.minute
    end_minutes = end.hour * 60 + end.minute
    return start_minutes, 1440 if end_minutes == 0 else end_minutes


def _interval(prefix: str, start_text: str | None, end_text: str | None, errors: dict[str, str]):
    """Parse and order one start/end pair; adds field messages and returns None when bad."""
    start = parse_clock(start_text)
    end = parse_clock(end_text, is_end=True)
    if start is None:
        errors[f"{prefix}.start"] = "Enter a start time as HH:MM (24-hour clock)."
    if end is None:
        errors[f"{prefix}.end"] = "Enter an end time as HH:MM (24-hour clock; 24:00 for midnight)."
    if start is None or end is None:
        return None
    start_minutes, end_minutes = minutes_of(start, end)
    if end_minutes <= start_minutes:
        errors[f"{prefix}.end"] = "The end must be after the start."
        return None
    return start, end, start_minutes, end_minutes


def _overlap_errors(prefix: str, spans: list[tuple[int, int, int]], what: str) -> dict[str, str]:
    """(index, start, end) spans of one day: a message on each window that overlaps an earlier one."""
    errors: dict[str, str] = {}
    ordered = sorted(spans, key=lambda span: (span[1], span[2]))
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if current[1] < previous[2]:
            errors[f"{prefix}.{current[0]}.start"] = f"This overlaps another window on the same {what}."
    return errors


def _weekly_windows(items: list[WeeklyInput]) -> tuple[list[WeeklyWindow], dict[str, str]]:
    errors: dict[str, str] = {}
    if len(items) > MAX_WEEKLY_WINDOWS:
        return [], {"weekly": f"Use at most {MAX_WEEKLY_WINDOWS} weekly windows."}
    windows: list[WeeklyWindow] = []
    by_day: dict[int, list[tuple[int, int, int]]] = {}
    for index, item in enumerate(items):
        prefix = f"weekly.{index}"
        if isinstance(item.weekday, bool) or not isinstance(item.weekday, int) or not 0 <= item.weekday <= 6:
            errors[f"{prefix}.weekday"] = "Choose a weekday from 0 (Monday) to 6 (Sunday)."
            continue
        parsed = _interval(prefix, item.start, item.end, errors)
        if parsed is None:
            continue
        start, end, start_minutes, end_minutes = parsed
        by_day.setdefault(item.weekday, []).append((index, start_minutes, end_minutes))
        windows.append(WeeklyWindow(weekday=item.weekday, start_time=start, end_time=end))
    for spans in by_day.values():
        errors.update(_overlap_errors("weekly", spans, "weekday"))
    return windows, errors


def _date_overrides(items: list[OverrideInput]) -> tuple[list[DateOverride], dict[str, str]]:
    errors: dict[str, str] = {}
    if len(items) > MAX_OVERRIDES:
        return [], {"overrides": f"Use at most {MAX_OVERRIDES} date overrides."}
    overrides: list[DateOverride] = []
    by_date: dict[date, list[tuple[int, int, int]]] = {}
    days_off: dict[date, int] = {}
    for index, item in enumerate(items):
        prefix = f"overrides.{index}"
        day = parse_day(item.date)
        if day is None:
            errors[f"{prefix}.date"] = "Enter a date as YYYY-MM-DD, in the years 2000 to 2099."
            continue
        if not item.start and not item.end:
            days_off[day] = index
            overrides.append(DateOverride(date=day, start_time=None, end_time=None))
            continue
        parsed = _interval(prefix, item.start, item.end, errors)
        if parsed is None:
            continue
        start, end, start_minutes, end_minutes = parsed
        by_date.setdefault(day, []).append((index, start_minutes, end_minutes))
        overrides.append(DateOverride(date=day, start_time=start, end_time=end))
    for day, spans in by_date.items():
        errors.update(_overlap_errors("overrides", spans, "date"))
        if day in days_off:
            errors[f"overrides.{days_off[day]}.date"] = "This date has hours in another override; remove one."
    return overrides, errors
