"""Filters and globals for templates: times in the viewer's zone, money, counts, durations, the viewer's zone,
a session's "Add to calendar" links."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request
from flask_login import current_user

from ..models import LiveSession, utcnow
from ..services.calendars import links as add_to_calendar
from ..services.payments.money import format_amount, format_money
from ..services.timezones import PERSON_FORMAT, for_person, in_zone, zone_from_cookie
from ..services.wording import plural


def browser_zone() -> str | None:
    """The zone the visitor's browser reported (the `tz` cookie app.js writes), if it names one."""
    return zone_from_cookie(request.cookies.get("tz")) if request else None


def viewer_zone() -> str:
    """The zone to show times in: the signed-in user's, else the browser's (cookie), else UTC."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return browser_zone() or "UTC"


def calendar_links(session: LiveSession) -> add_to_calendar.AddToCalendar | None:
    """The signed-in viewer's "Add to calendar" links for a session they take part in, else None."""
    if not (current_user and current_user.is_authenticated):
        return None
    return add_to_calendar.for_session(session, current_user.id)


def local_datetime(value: datetime | None, fmt: str = PERSON_FORMAT, zone_name: str | None = None) -> str:
    """A UTC instant written on the viewer's wall clock (or `zone_name`'s), with the zone named."""
    if value is None:
        return ""
    return for_person(value, zone_name or viewer_zone(), fmt)


def local_day(value: datetime, fmt: str = "%d %b") -> str:
    """The day of a UTC instant on the viewer's calendar, for short labels (a chart's dates),
    where the page says once which zone its times are in."""
    return in_zone(value, viewer_zone()).strftime(fmt)


def next_attempt(value: datetime, zone_name: str | None = None) -> str:
    """When a retry runs, for people: its time, or "due now" once that time has come (a sweep
    picks it up shortly). Never a time in the past, which would read as a missed promise."""
    return "due now" if value <= utcnow() else local_datetime(value, zone_name=zone_name)


def local_time(value: datetime, zone_name: str | None = None) -> str:
    return in_zone(value, zone_name or viewer_zone()).strftime("%H:%M")


NBSP = "\u00a0"  # keeps a number and its unit on one line


def duration(seconds: int | None) -> str:
    """A length for people, written one way on every page: "4 s", "12 min 30 s", "1 h 2 min 5 s"."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    amounts = [(hours, "h"), (minutes, "min"), (secs, "s")]
    return " ".join(f"{amount}{NBSP}{unit}" for amount, unit in amounts if amount) or f"0{NBSP}s"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_day"] = local_day
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["next_attempt"] = next_attempt
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["money"] = lambda amount, currency="usd": format_money(amount, currency)
    app.jinja_env.filters["amount"] = lambda amount, currency="usd": format_amount(amount, currency)
    app.jinja_env.globals["viewer_zone"] = viewer_zone
    app.jinja_env.globals["calendar_links"] = calendar_links
    app.jinja_env.globals["now"] = utcnow
