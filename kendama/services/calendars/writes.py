"""Booked sessions written into the player's CalDAV calendar, through an outbox row per session.

`mark()` runs in the transaction that confirms, moves or cancels a session and says "this
session's copy is out of date"; `push()` (a job) then makes the calendar match the session as it
is when the job runs: a confirmed session is PUT under its stable UID (so a retry or a
reschedule replaces the same event), anything else is deleted. An outage only delays it: the row
stays due, each failure backs off, the sweep hands due rows to the worker again, and after
CALDAV_MAX_FAILURES in a row the row stops until the player reconnects.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...integrations.caldav import CalDAVProblem, CalendarMissing
from ...models import CalendarConnection, CalendarEventWrite, LiveSession, utcnow
from ...models.sessions import SessionStatus
from ...tasks.queue import after_commit
from . import caldav_accounts as connections
from . import ics

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# A job handed out by the sweep has this long to finish before the sweep hands the row out again.
LEASE = timedelta(minutes=5)
_WRITTEN = (SessionStatus.CONFIRMED.value, SessionStatus.IN_PROGRESS.value, SessionStatus.COMPLETED.value)


def mark(session: LiveSession, now: datetime | None = None) -> None:
    """Owe the player's calendar an update for `session` (when the player has a calendar to write to)."""
    connection = db.session.get(CalendarConnection, session.player_id)
    if connection is None:
        return
    write = db.session.get(CalendarEventWrite, session.id)
    if write is None and (session.status not in _WRITTEN or connection.write_calendar_url is None):
        return  # nothing written, nothing to write
    write = write or CalendarEventWrite(session_id=session.id, player_id=session.player_id, attempts=0)
    write.due_at, write.attempts, write.stopped_at, write.last_error = now or utcnow(), 0, None, None
    db.session.add(write)
    after_commit("kendama.jobs.push_calendar_event", session.id)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure in a row: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), LONGEST_RETRY)


def push(session_id: int, now: datetime | None = None) -> None:
    """Make the player's calendar match the session (a job; running it twice does no harm)."""
    now = now or utcnow()
    write = db.session.get(CalendarEventWrite, session_id)
    if write is None or write.due_at is None:
        return
    # The row as this job found it: a mark() while the server is asked changes due_at, and then
    # this job's outcome must not close the row (it wrote what the session was before the change).
    token = write.due_at
    session = db.session.get(LiveSession, session_id)
    connection = connections.get(write.player_id)
    target = connection.write_calendar_url if connection is not None else None
    wanted = session is not None and session.status in _WRITTEN and target is not None
    if connection is None or (not wanted and write.written_calendar_url is None):
        _settle(session_id, token, written_to=None)
        return
    account = connections.account_of(connection)
    body = ics.calendar_copy(session) if wanted else b""
    uid = f"session-{session_id}@{ics.uid_host()}"
    previous = write.written_calendar_url
    db.session.commit()  # hold no transaction open while the server is asked
    try:
        with connections.client(account, current_app.config["CALDAV_TIMEOUT"]) as dav:
            if previous is not None and previous != (target if wanted else None):
                _delete_from(dav, previous, uid)
            if wanted:
                dav.put_event(target, uid, body)
    except CalDAVProblem as problem:
        log.info("calendar write of session %s failed: %s", session_id, problem)
        _failed(session_id, token, problem, now)
        return
    _settle(session_id, token, written_to=target if wanted else None)


def _delete_from(dav, calendar_url: str, uid: str) -> None:
    try:
        dav.delete_event(calendar_url, uid)
    except CalendarMissing:
        pass  # the calendar it was in is gone, and the event with it


def _settle(session_id: int, token: datetime, written_to: str | None) -> None:
    write = db.session.get(CalendarEventWrite, session_id)
    if write is not None:
        write.written_calendar_url = written_to
        if write.due_at == token:
            write.due_at, write.attempts, write.last_error = None, 0, None
    db.session.commit()


def _failed(session_id: int, token: datetime, problem: CalDAVProblem, now: datetime) -> None:
    write = db.session.get(CalendarEventWrite, session_id)
    if write is None:
        db.session.rollback()
        return
    write.last_error = str(problem)[:255]
    if write.due_at == token:
        write.attempts += 1
        if write.attempts >= current_app.config["CALDAV_MAX_FAILURES"]:
            write.due_at, write.stopped_at = None, now
        else:
            write.due_at = now + backoff(write.attempts)
    connection = connections.get(write.player_id)
    if connection is not None:
        connections.record_problem(connection, problem)
    db.session.commit()


def hand_out_due(now: datetime | None = None) -> list[int]:
    """Ids of sessions whose write is due, each leased so the next sweep does not hand it out twice."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(CalendarEventWrite).where(CalendarEventWrite.due_at <= now).order_by(CalendarEventWrite.due_at)
        )
    )
    for write in due:
        write.due_at = now + LEASE
    db.session.commit()
    return [write.session_id for write in due]
