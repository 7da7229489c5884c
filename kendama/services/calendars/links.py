"""The "Add to calendar" links of one session: our .ics download, Google Calendar and Outlook on the web.

Google and Outlook are third parties: what their links carry ends up in their logs and in the
person's calendar, which may be shared. So the event text names the lesson and links to the
session page (which asks the reader to sign in), never to a signed join link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import current_app

from ...models import LiveSession
from ..notifications.links import absolute_url

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar app needs to add the event; the times are aware (any zone)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    details: str
    location: str


@dataclass(frozen=True)
class AddToCalendar:
    """The three links a participant is offered for one session."""

    ics_url: str
    google_url: str
    outlook_url: str


def _utc(value: datetime) -> datetime:
    # A naive time would be read in the server's zone by astimezone(): refuse it instead.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Calendar links need aware datetimes.")
    return value.astimezone(UTC)


def _query(params: dict[str, str]) -> str:
    # %20 rather than "+" for spaces: Outlook's deeplink shows a "+" literally. "/" may stay as it
    # is in a query, as the providers document their `dates` and `path`.
    return urlencode(params, safe="/", quote_via=quote)


def google_calendar_url(event: CalendarEvent) -> str:
    """Google Calendar's event template, times as UTC basic format (YYYYMMDDTHHMMSSZ)."""
    dates = f"{_utc(event.starts_at):%Y%m%dT%H%M%SZ}/{_utc(event.ends_at):%Y%m%dT%H%M%SZ}"
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": event.details,
        "location": event.location,
    }
    return f"{GOOGLE_CALENDAR}?{_query(params)}"


def outlook_calendar_url(event: CalendarEvent) -> str:
    """Outlook on the web's compose form, times as ISO 8601 in UTC with a Z."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": f"{_utc(event.starts_at):%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{_utc(event.ends_at):%Y-%m-%dT%H:%M:%SZ}",
        "body": event.details,
        "location": event.location,
    }
    return f"{OUTLOOK_COMPOSE}?{_query(params)}"


def session_event(session: LiveSession, viewer_id: int) -> CalendarEvent:
    """The session as the viewer's calendar shows it: named after the other participant."""
    other = session.fan if viewer_id == session.player_id else session.player
    page = absolute_url("booking.booked", session_id=session.id)
    early = current_app.config["VIDEO_JOIN_EARLY_MINUTES"]
    details = (
        f"A {session.duration_minutes}-minute live kendama lesson on Kendama Live.\n\n"
        f"Session page: {page}\n"
        f"Join the video call from your dashboard; the room opens {early} minutes before the start."
    )
    return CalendarEvent(
        title=f"Kendama lesson with {other.display_name}",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        details=details,
        location=page,
    )


def for_session(session: LiveSession, viewer_id: int) -> AddToCalendar | None:
    """The links for one of the session's participants; None for anyone else (an admin looking)."""
    if viewer_id not in (session.fan_id, session.player_id):
        return None
    event = session_event(session, viewer_id)
    return AddToCalendar(
        ics_url=absolute_url("calendar.session_invitation", session_id=session.id),
        google_url=google_calendar_url(event),
        outlook_url=outlook_calendar_url(event),
    )
