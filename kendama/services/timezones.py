"""Time-zone names and conversions (zoneinfo does the arithmetic; nothing here is hand-rolled)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import InvalidInput


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted, for pickers."""
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; raises InvalidInput for an unknown one."""
    if not name or name not in available_timezones():
        raise InvalidInput({"timezone": "Choose a time zone from the list (an IANA name such as Europe/Prague)."})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput({"timezone": "Unknown time zone."}) from exc


def is_valid_zone(name: str) -> bool:
    return bool(name) and name in available_timezones()


def parse_aware(value: str, field: str = "start") -> datetime:
    """Parse ISO 8601 with an offset into UTC; a time without an offset is refused (422)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if isinstance(value, str) else "")
    except ValueError as exc:
        raise InvalidInput({field: "Give a date and time in ISO 8601 with an offset."}) from exc
    if parsed.tzinfo is None:
        raise InvalidInput({field: "Give the time with an offset, e.g. 2026-12-01T17:00:00+01:00."})
    return parsed.astimezone(UTC)


def iso_utc(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, as the API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_zone(value: datetime, zone_name: str) -> datetime:
    """The same instant on the wall clock of `zone_name`."""
    return value.astimezone(zone(zone_name))
