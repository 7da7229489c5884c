"""A player's external calendar: the address they give us and the busy times imported from it.

The download happens only in a job (kendama/jobs.py), never in a request. Each successful sync
replaces the player's CalendarBusyTime rows in one transaction, so slot computation always sees
a whole calendar, the old one or the new one; a failed sync records why and keeps the old rows,
since blocking a little too much is better than letting fans book over a real appointment.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import recurring_ical_events
from flask import current_app
from icalendar import Calendar
from sqlalchemy import delete, func, insert, select

from ...extensions import db
from ...models import CalendarBusyTime, Profile, SessionAvailability, User, utcnow
from ...tasks.queue import after_commit
from ..accounts import profiles
from ..errors import InvalidInput
from ..timezones import zone
from . import fetch, ics

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
# Bounds on the work recurrences can cause (a hostile FREQ=SECONDLY, say). Expanding a series
# steps from its DTSTART (cheap, microseconds a step); each occurrence in the window becomes a
# component (costly, ~0.15 ms). Both limits keep a sync to a few seconds of CPU.
MAX_RECURRENCE_STEPS = 1_000_000
MAX_OCCURRENCES = 20000
# Busy times from this far back still count: an appointment that began yesterday may run on.
LOOKBACK = timedelta(days=1)
_URL_FIELD = "calendar_import_url"
SOURCE = "feed"  # CalendarBusyTime.source of the rows the iCal address gives


class CalendarUnreadable(fetch.FetchError):
    """The body is not an iCalendar file we can use."""


Interval = tuple[datetime, datetime]


# --- The address ----------------------------------------------------------------------


def _allow_private() -> bool:
    return bool(current_app.config["CALENDAR_FETCH_ALLOW_PRIVATE"])


def _player_profile(user: User) -> Profile:
    return profiles.own_player_profile(user)


def obviously_private(host: str) -> bool:
    """A literal private address or a local name; names are resolved (and checked) by the job."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        return not fetch.is_public_address(str(ipaddress.ip_address(host)))
    except ValueError:
        return False


def normalise_url(raw: str) -> str:
    """The address as we will fetch it; raises InvalidInput with a message for the form."""
    url = (raw or "").strip()
    if not url:
        raise InvalidInput({_URL_FIELD: "Paste the address of your calendar (it usually ends in .ics)."})
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise InvalidInput({_URL_FIELD: "This does not look like a calendar address."})
    # Apple and Google hand out webcal:// links; it is the same address over https.
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    problem = address_problem(url)
    if problem == "scheme":
        raise InvalidInput({_URL_FIELD: "Use a secret address that starts with https:// (or webcal://)."})
    if problem == "private":
        raise InvalidInput({_URL_FIELD: "This address points into a private network, so we cannot fetch it."})
    return url


def address_problem(url: str) -> str | None:
    """Why our server must not fetch from `url`: "scheme" (not https, or no host), "private", or None.

    Plain http and private hosts pass only where CALENDAR_FETCH_ALLOW_PRIVATE is on; names are
    resolved (and every address checked) when the connection is made.
    """
    schemes = ("https", "http") if _allow_private() else ("https",)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "scheme"
    if parts.scheme.lower() not in schemes or not host:
        return "scheme"
    if not _allow_private() and obviously_private(host):
        return "private"
    return None


def set_import_url(user: User, url: str) -> Profile:
    """Save the player's calendar address and sync it in a job once saved."""
    profile = _player_profile(user)
    clean = normalise_url(url)
    if clean != profile.calendar_import_url:
        # The old sync time belongs to the old calendar; its busy times stay until the first sync.
        profile.calendar_synced_at = None
    profile.calendar_import_url = clean
    profile.calendar_sync_error = None
    after_commit("kendama.jobs.sync_calendar", user.id)
    db.session.commit()
    return profile


def remove_import(user: User) -> Profile:
    """Forget the player's calendar and the busy times it gave."""
    profile = _player_profile(user)
    profile.calendar_import_url = None
    profile.calendar_synced_at = None
    profile.calendar_sync_error = None
    db.session.execute(delete(CalendarBusyTime).where(_feed_rows(user.id)))
    db.session.commit()
    return profile


def import_status(user: User) -> Profile:
    """The player's profile, for showing the address, last sync and last error."""
    return _player_profile(user)


def is_pending(profile: Profile) -> bool:
    """True while a saved address waits for its first sync."""
    return bool(profile.calendar_import_url) and profile.calendar_synced_at is None and not profile.calendar_sync_error


def _feed_rows(player_id: int):
    """The player's busy times that came from the iCal feed (not from a CalDAV account)."""
    return (CalendarBusyTime.player_id == player_id) & (CalendarBusyTime.source == SOURCE)


def busy_count(player_id: int) -> int:
    """How many busy intervals the feed gave the player (shown after a sync)."""
    return db.session.scalar(select(func.count()).where(_feed_rows(player_id)))


# --- Reading a calendar ---------------------------------------------------------------


def _to_utc(value: date | datetime, zone_name: str) -> datetime:
    """UTC for an iCalendar time; dates mean midnight and floating times the wall clock, both in the player's zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(zone_name))
        return value.astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=zone(zone_name)).astimezone(UTC)


def _is_busy(event, own_uid: re.Pattern[str]) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    # Our own feed pasted back in: those sessions block the player already, as sessions.
    return not own_uid.fullmatch(str(event.get("UID", "")))


# Occurrences a day one rule can make at most, and the BY* parts that multiply it (RFC 5545
# 3.3.10: a BY* part finer than FREQ expands the set; a coarser one only filters it).
_PER_DAY = {"SECONDLY": 86400, "MINUTELY": 1440, "HOURLY": 24}
_EXPANDING_PARTS = {"SECONDLY": (), "MINUTELY": ("BYSECOND",), "HOURLY": ("BYMINUTE", "BYSECOND")}


def _per_day(rule) -> int:
    """The most occurrences one RRULE can make in a day."""
    freq = str(rule.get("FREQ", ["DAILY"])[0]).upper()
    interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
    per_day = -(-_PER_DAY.get(freq, 1) // interval)
    for part in _EXPANDING_PARTS.get(freq, ("BYHOUR", "BYMINUTE", "BYSECOND")):
        per_day *= max(len(rule.get(part, [])), 1)
    return per_day


def _rule_cost(rule, series_start: datetime, window_start: datetime, window_end: datetime, zone_name: str):
    """Upper bounds on (steps the expansion walks from DTSTART, occurrences inside the window)."""
    until = _to_utc(rule["UNTIL"][0], zone_name) if rule.get("UNTIL") else window_end
    last = min(until, window_end)
    if series_start >= window_end or last < window_start:
        steps_days, window_days = max((last - series_start).days + 1, 0), 0
    else:
        steps_days = (last - series_start).days + 1
        window_days = (last - max(series_start, window_start)).days + 1
    per_day = _per_day(rule)
    count = int(rule["COUNT"][0]) if rule.get("COUNT") else None
    steps, in_window = per_day * steps_days, per_day * window_days
    return (min(steps, count), min(in_window, count)) if count is not None else (steps, in_window)


def _check_size(calendar: Calendar, window_start: datetime, window_end: datetime, zone_name: str) -> None:
    """Refuse a calendar whose recurrences would take too long to expand (FREQ=SECONDLY...)."""
    steps = occurrences = 0
    for event in calendar.walk("VEVENT"):
        for rule in event.rrules:
            rule_steps, rule_occurrences = _rule_cost(
                rule, _to_utc(event.start, zone_name), window_start, window_end, zone_name
            )
            steps, occurrences = steps + rule_steps, occurrences + rule_occurrences
            if occurrences > MAX_OCCURRENCES:
                raise CalendarUnreadable(f"The calendar has more than {MAX_OCCURRENCES} events in the coming weeks.")
            if steps > MAX_RECURRENCE_STEPS:
                raise CalendarUnreadable("The calendar has a repeating event that repeats too often to read.")


def _occurrences(
    calendar: Calendar, window_start: datetime, window_end: datetime, zone_name: str
) -> Iterable[Interval]:
    own_uid = re.compile(r"session-\d+@" + re.escape(ics.uid_host()))
    _check_size(calendar, window_start, window_end, zone_name)
    # One between() call: the library's lazy after() re-queries every series per day, which
    # took tens of seconds on a feed of a few thousand events (benchmarks/calendar_import.py).
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    for event in query.between(window_start, window_end):
        start, end = _to_utc(event.start, zone_name), _to_utc(event.end, zone_name)
        if end > start and start < window_end and end > window_start and _is_busy(event, own_uid):
            yield start, end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals joined, in start order (fewer rows for slot queries)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def busy_intervals(body: bytes, zone_name: str, window_start: datetime, window_end: datetime) -> list[Interval]:
    """Busy UTC intervals between the window's ends from an iCalendar body."""
    try:
        calendar = Calendar.from_ical(body)
    except ValueError as exc:
        raise CalendarUnreadable("The address did not return an iCalendar file.") from exc
    if calendar.name != "VCALENDAR":
        raise CalendarUnreadable("The address did not return an iCalendar file.")
    try:
        return merge(_occurrences(calendar, window_start, window_end, zone_name))
    except CalendarUnreadable:
        raise
    except Exception as exc:  # third-party input through library code: any failure means "unreadable"
        log.info("calendar could not be read", exc_info=True)
        raise CalendarUnreadable("The calendar could not be read (it may be damaged).") from exc


# --- Syncing --------------------------------------------------------------------------


def _limits() -> fetch.Limits:
    config = current_app.config
    connect, read = config["CALENDAR_IMPORT_CONNECT_TIMEOUT"], config["CALENDAR_IMPORT_READ_TIMEOUT"]
    return fetch.Limits(
        max_bytes=config["CALENDAR_IMPORT_MAX_BYTES"],
        connect_timeout=connect,
        read_timeout=read,
        total_seconds=connect + 2 * read,
        allow_private=_allow_private(),
    )


def booking_window(player_id: int, now: datetime) -> tuple[datetime, datetime, str]:
    user = db.session.get(User, player_id)
    rules = db.session.get(SessionAvailability, player_id)
    days = max(current_app.config["CALENDAR_IMPORT_DAYS"], rules.max_days_ahead if rules else 0)
    zone_name = rules.timezone if rules else user.timezone
    return now - LOOKBACK, now + timedelta(days=days + 1), zone_name


def _locked_profile(player_id: int, url: str) -> Profile | None:
    """The profile, row-locked, if it still has the address that was fetched (else None)."""
    profile = db.session.scalar(select(Profile).where(Profile.user_id == player_id).with_for_update())
    if profile is None or profile.calendar_import_url != url:
        return None  # removed or changed meanwhile; the job the change enqueued does the rest
    return profile


def _store(player_id: int, url: str, intervals: list[Interval], now: datetime) -> None:
    profile = _locked_profile(player_id, url)
    if profile is None:
        db.session.rollback()
        return
    replace_busy(player_id, SOURCE, intervals)
    profile.calendar_synced_at = now
    profile.calendar_sync_error = None
    db.session.commit()


def replace_busy(player_id: int, source: str, intervals: list[Interval]) -> None:
    """Put `intervals` in place of the player's busy times from `source` (the caller commits)."""
    db.session.execute(
        delete(CalendarBusyTime).where(CalendarBusyTime.player_id == player_id, CalendarBusyTime.source == source)
    )
    if intervals:
        db.session.execute(
            insert(CalendarBusyTime),
            [{"player_id": player_id, "starts_at": s, "ends_at": e, "source": source} for s, e in intervals],
        )


def add_busy(player_id: int, source: str, intervals: list[Interval]) -> None:
    """Add `intervals` to the player's busy times from `source` until its next sync (the caller commits)."""
    db.session.execute(
        insert(CalendarBusyTime),
        [{"player_id": player_id, "starts_at": s, "ends_at": e, "source": source} for s, e in intervals],
    )


def _record_failure(player_id: int, url: str, message: str) -> None:
    profile = _locked_profile(player_id, url)
    if profile is None:
        db.session.rollback()
        return
    profile.calendar_sync_error = message[:255]
    db.session.commit()


def sync(player_id: int, now: datetime | None = None) -> None:
    """Fetch the player's calendar and replace their busy times (a job; safe to run twice)."""
    now = now or utcnow()
    profile = db.session.get(Profile, player_id)
    if profile is None or not profile.calendar_import_url:
        return
    url = profile.calendar_import_url
    window_start, window_end, zone_name = booking_window(player_id, now)
    limits = _limits()
    db.session.commit()  # hold no transaction open while the download runs
    try:
        body = fetch.fetch(url, limits)
        intervals = busy_intervals(body, zone_name, window_start, window_end)
    except fetch.FetchError as exc:
        log.info("calendar sync of player %s failed: %s", player_id, exc)
        _record_failure(player_id, url, str(exc))
        return
    _store(player_id, url, intervals, now)


def players_to_sync() -> list[int]:
    """Ids of players who have an external calendar address."""
    return list(db.session.scalars(select(Profile.user_id).where(Profile.calendar_import_url.is_not(None))))
