"""Time-zone names and conversions (zoneinfo does the arithmetic; nothing here is hand-rolled)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import InvalidInput


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted, for pickers."""
    return tuple(sorted(z for z in _known_zone_names() if "/" in z or z == "UTC"))


@lru_cache(maxsize=1)
def _known_zone_names() -> frozenset[str]:
    """Every name zoneinfo knows (available_timezones() reads the zone files on each call)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; raises InvalidInput for an unknown one."""
    if not is_valid_zone(name):
        raise InvalidInput({"timezone": "Choose a time zone from the list (an IANA name such as Europe/Prague)."})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput({"timezone": "Unknown time zone."}) from exc


def is_valid_zone(name: str) -> bool:
    return bool(name) and name in _known_zone_names()


def zone_from_cookie(value: str | None) -> str | None:
    """The zone a browser's `tz` cookie names, or None when it names none.

    The script writes the name as it is (America/New_York); earlier versions wrote it
    URL-encoded (America%2FNew_York), and browsers keep such cookies for a year.
    """
    name = unquote(value or "")
    return name if is_valid_zone(name) else None


# Every time and date read from a request is bounded to these years (parse_aware, parse_day): no
# booking, availability or feed reaches outside them, and the arithmetic done on what is read
# (lengths, zones, ranges of days) stays far from datetime's own ends at years 1 and 9999.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "Give a time between the years 2000 and 2100."


def parse_aware(value: str, field: str = "start") -> datetime:
    """Parse ISO 8601 with an offset into UTC; no offset, or a year outside 2000-2099, is refused (422)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if isinstance(value, str) else "")
    except ValueError as exc:
        raise InvalidInput({field: "Give a date and time in ISO 8601 with an offset."}) from exc
    if parsed.tzinfo is None:
        raise InvalidInput({field: "Give the time with an offset, e.g. 2026-12-01T17:00:00+01:00."})
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise InvalidInput({field: OUT_OF_RANGE}, OUT_OF_RANGE) from exc
    if not EARLIEST <= instant < LATEST:
        raise InvalidInput({field: OUT_OF_RANGE}, OUT_OF_RANGE)
    return instant


def parse_day(value: object) -> date | None:
    """A calendar date (YYYY-MM-DD, or a date a form already parsed) in 2000-2099; None for anything else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def iso_utc(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, as the API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_zone(value: datetime, zone_name: str) -> datetime:
    """The same instant on the wall clock of `zone_name`."""
    return value.astimezone(zone(zone_name))


PERSON_FORMAT = "%a %d %b %Y, %H:%M"


def for_person(value: datetime, zone_name: str, fmt: str = PERSON_FORMAT) -> str:
    """An instant as a person reads it: on the wall clock of `zone_name`, with the zone named.

    Every time shown to people goes through here, on pages (the local_datetime filter), in
    emails and in messages; iso_utc is for machines (the JSON API).
    """
    return f"{in_zone(value, zone_name).strftime(fmt)} ({zone_name})"
