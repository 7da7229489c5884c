"""iCalendar documents of sessions: email invitations (.ics) and each user's private feed.

Both use the same UID per session, so a calendar that received an invitation and also
subscribes to the feed shows one event, and a later invitation (higher SEQUENCE) replaces it.
Built with the `icalendar` library; nothing here writes iCalendar text by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vDuration
from icalendar.enums import PARTSTAT, ROLE, STATUS
from sqlalchemy import or_, select

from ...extensions import db
from ...models import LiveSession, SessionStatus, User, utcnow
from ..access import session_for_participant
from ..wording import plural

PRODID = "-//Kendama Live Sessions//Sessions//EN"
METHODS = ("REQUEST", "CANCEL")
# The feed shows sessions from this far back, so a client still shows what just happened.
FEED_PAST_DAYS = 30
# Subscription clients poll; ask for hourly (Google ignores it, Apple and Outlook honour it).
FEED_REFRESH = timedelta(hours=1)

_EVENT_STATUS = {
    SessionStatus.PENDING_PAYMENT: STATUS.TENTATIVE,
    SessionStatus.CANCELLED: STATUS.CANCELLED,
}


def uid_host() -> str:
    """The host part of our UIDs (BASE_URL's host), so other code can recognise our events."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def session_uid(session: LiveSession) -> str:
    """The stable UID of a session in every calendar document."""
    return f"session-{session.id}@{uid_host()}"


def _absolute_url(endpoint: str, **values) -> str:
    """An absolute link from BASE_URL; services run without a request (jobs, emails)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _summary(session: LiveSession, recipient_id: int | None) -> str:
    if recipient_id == session.fan_id:
        return f"Kendama session with {session.player.display_name}"
    if recipient_id == session.player_id:
        return f"Kendama session with {session.fan.display_name}"
    return f"Kendama session: {session.player.display_name} and {session.fan.display_name}"


def _description(session: LiveSession, cancelled: bool) -> str:
    dashboard = _absolute_url("dashboard.index")
    if cancelled:
        return f"This {session.duration_minutes}-minute live kendama session was cancelled.\n\nDetails: {dashboard}"
    return (
        f"A {session.duration_minutes}-minute live kendama lesson.\n\n"
        f"Join from your dashboard (the room opens {plural(current_app.config['VIDEO_JOIN_EARLY_MINUTES'], 'minute')} "
        f"before the start): {dashboard}"
    )


def _event(session: LiveSession, *, recipient_id: int | None, cancelled: bool, stamp: datetime) -> Event:
    status = STATUS.CANCELLED if cancelled else _EVENT_STATUS.get(session.status, STATUS.CONFIRMED)
    organizer = vCalAddress.new(session.player.email, cn=session.player.display_name, role=ROLE.CHAIR)
    attendee = vCalAddress.new(
        session.fan.email,
        cn=session.fan.display_name,
        role=ROLE.REQ_PARTICIPANT,
        partstat=PARTSTAT.DECLINED if cancelled else PARTSTAT.ACCEPTED,
        rsvp=False,  # the booking is the acceptance; there is nothing to reply to
    )
    return Event.new(
        uid=session_uid(session),
        sequence=session.ics_sequence,
        stamp=stamp,
        last_modified=session.updated_at,
        start=session.starts_at,
        end=session.ends_at,
        summary=_summary(session, recipient_id),
        description=_description(session, cancelled),
        url=_absolute_url("dashboard.index"),
        status=status,
        organizer=organizer,
        attendees=[attendee],
    )


def invitation(session: LiveSession, method: str = "REQUEST", *, recipient_id: int | None = None) -> bytes:
    """An iTIP message for one session: METHOD:REQUEST (new or changed) or METHOD:CANCEL.

    `recipient_id` names the other party in the SUMMARY ("with <player>" for the fan and the
    other way round); without it both names appear.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    event = _event(session, recipient_id=recipient_id, cancelled=method == "CANCEL", stamp=utcnow())
    calendar = Calendar.new(
        prodid=PRODID, method=method, uid=f"invitation-{session_uid(session)}", subcomponents=[event]
    )
    return calendar.to_ical()


def invitation_for_participant(viewer: User, session_id: int) -> bytes:
    """The session's invitation as its fan or player downloads it ("Add to calendar").

    The same document the emails attach (same UID and SEQUENCE), so opening it updates the event
    the email added rather than adding a second one. Strangers get NotFound, admins NotAllowed.
    """
    session = session_for_participant(viewer, session_id)
    method = "CANCEL" if session.status == SessionStatus.CANCELLED else "REQUEST"
    return invitation(session, method, recipient_id=viewer.id)


def feed_sessions(user_id: int, now: datetime | None = None) -> list[LiveSession]:
    """The user's sessions (as fan or player) from FEED_PAST_DAYS ago on, cancelled ones included."""
    since = (now or utcnow()) - timedelta(days=FEED_PAST_DAYS)
    query = (
        select(LiveSession)
        .where(or_(LiveSession.fan_id == user_id, LiveSession.player_id == user_id))
        .where(LiveSession.ends_at >= since)
        .order_by(LiveSession.starts_at, LiveSession.id)
    )
    return list(db.session.scalars(query))


def feed_for(user: User) -> bytes:
    """The user's private subscription feed (published, so no METHOD)."""
    events = [
        _event(s, recipient_id=user.id, cancelled=s.status == SessionStatus.CANCELLED, stamp=s.updated_at)
        for s in feed_sessions(user.id)
    ]
    calendar = Calendar.new(
        prodid=PRODID,
        name="Kendama sessions",
        description=f"Live kendama sessions of {user.display_name}",
        refresh_interval=FEED_REFRESH,
        uid=f"feed-{user.id}@{uid_host()}",
        subcomponents=events,
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # RFC 7986 requires the parameter
    # Outlook and older Apple clients read the refresh hint from this older property, as a duration.
    calendar.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH))
    return calendar.to_ical()


def calendar_copy(session: LiveSession) -> bytes:
    """The session as an event stored in the player's own calendar over CalDAV.

    The same UID as the invitations and the feed, but no ORGANIZER or ATTENDEE: with them a
    CalDAV server that does scheduling (RFC 6638) would email the fan an invitation of its own.
    """
    event = _event(session, recipient_id=session.player_id, cancelled=False, stamp=utcnow())
    del event["ORGANIZER"]
    del event["ATTENDEE"]
    return Calendar.new(prodid=PRODID, subcomponents=[event]).to_ical()
