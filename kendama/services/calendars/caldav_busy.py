"""Busy times from the player's CalDAV calendars: cached by a job, re-checked live at booking.

The job reads each chosen calendar with a time-range query over the booking window and puts the
busy intervals in place of the account's earlier ones (CalendarBusyTime, source "caldav"), so
the slot pages read them like the iCal import's. They are refreshed every
CALDAV_BUSY_TTL_SECONDS; a failing server is asked again after a growing pause and, after
CALDAV_MAX_FAILURES in a row, not at all until the player reconnects.

A booking asks the server again for just its slot, with a short timeout, before it commits, as
an appointment made minutes ago is not in the cache yet. When the server does not answer, the
cached busy times decide (the slot query has already applied them) and the player is told.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import chain

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...integrations.caldav import CalDAVClient, CalDAVProblem, Unreachable
from ...models import CalendarConnection, utcnow
from . import caldav_accounts as connections
from . import imports

log = logging.getLogger(__name__)

LONGEST_PAUSE = timedelta(hours=6)
# All-day and floating events have no zone: ask the server a day wider on each side, then clip
# in the player's zone (imports.busy_intervals does), so no server's reading of them matters.
MARGIN = timedelta(days=1)


def read(dav: CalDAVClient, calendar_urls: list[str], start: datetime, end: datetime, zone_name: str):
    """Busy intervals in [start, end) of the calendars, merged (transparent and cancelled events skipped)."""
    bodies = chain.from_iterable(dav.events_between(url, start - MARGIN, end + MARGIN) for url in calendar_urls)
    try:
        return imports.merge(
            chain.from_iterable(imports.busy_intervals(body, zone_name, start, end) for body in bodies)
        )
    except imports.CalendarUnreadable as exc:
        raise Unreachable(str(exc)) from exc


def _due(connection: CalendarConnection) -> bool:
    return connection.stopped_at is None and bool(connection.busy_calendar_urls)


def sync(player_id: int, now: datetime | None = None) -> None:
    """Read the account's busy times for the booking window and replace the cached ones (a job)."""
    now = now or utcnow()
    connection = connections.get(player_id)
    if connection is None or not _due(connection):
        return
    start, end, zone_name = imports.booking_window(player_id, now)
    account, urls = connections.account_of(connection), list(connection.busy_calendar_urls)
    fingerprint = (connection.server_url, connection.username, tuple(urls))
    db.session.commit()  # hold no transaction open while the server is asked
    try:
        with connections.client(account, current_app.config["CALDAV_TIMEOUT"]) as dav:
            intervals = read(dav, urls, start, end, zone_name)
    except CalDAVProblem as problem:
        log.info("CalDAV sync of player %s failed: %s", player_id, problem)
        _record_failure(player_id, problem, now)
        return
    connection = _locked(player_id)
    if connection is None or (connection.server_url, connection.username, tuple(connection.busy_calendar_urls)) != (
        fingerprint
    ):
        db.session.rollback()  # changed meanwhile; the job the change enqueued reads it afresh
        return
    imports.replace_busy(player_id, connections.SOURCE, intervals)
    connections.record_success(connection, now)
    connection.busy_synced_at = now
    connection.next_sync_at = now + timedelta(seconds=current_app.config["CALDAV_BUSY_TTL_SECONDS"])
    db.session.commit()


def _locked(player_id: int) -> CalendarConnection | None:
    return db.session.scalar(
        select(CalendarConnection).where(CalendarConnection.player_id == player_id).with_for_update()
    )


def pause_after(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: the TTL, doubling, at most 6 hours."""
    ttl = timedelta(seconds=current_app.config["CALDAV_BUSY_TTL_SECONDS"])
    return min(ttl * 2 ** min(failures - 1, 16), LONGEST_PAUSE)


def _record_failure(player_id: int, problem: CalDAVProblem, now: datetime) -> None:
    connection = _locked(player_id)
    if connection is None:
        db.session.rollback()
        return
    connections.record_problem(connection, problem)
    connection.failures += 1
    if connection.failures >= current_app.config["CALDAV_MAX_FAILURES"]:
        connection.stopped_at, connection.next_sync_at = now, None
    else:
        connection.next_sync_at = now + pause_after(connection.failures)
    db.session.commit()


def recheck(player_id: int, lower: datetime, upper: datetime, now: datetime | None = None) -> bool:
    """Whether the player's CalDAV calendars, asked now, are busy in [lower, upper).

    False when the player has no account, or when the server does not answer in
    CALDAV_BOOKING_TIMEOUT (the cached busy times have decided then); the trouble is noted on the
    connection, and committed with the booking.
    """
    connection = connections.get(player_id)
    if connection is None or not _due(connection):
        return False
    zone_name = imports.booking_window(player_id, now or utcnow())[2]
    try:
        with connections.client(
            connections.account_of(connection), current_app.config["CALDAV_BOOKING_TIMEOUT"]
        ) as dav:
            busy = read(dav, list(connection.busy_calendar_urls), lower, upper, zone_name)
    except CalDAVProblem as problem:
        log.info("CalDAV re-check for player %s failed: %s", player_id, problem)
        connections.record_problem(connection, problem)
        connection.next_sync_at = now or utcnow()
        return False
    if busy:
        # Remember it at once, so the slot leaves the pages before the next sync.
        imports.add_busy(player_id, connections.SOURCE, busy)
        db.session.commit()
    return bool(busy)


def hand_out_due(now: datetime | None = None) -> list[int]:
    """Players whose cached busy times are due for a refresh, each leased for one TTL meanwhile."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(CalendarConnection).where(
                CalendarConnection.next_sync_at <= now, CalendarConnection.stopped_at.is_(None)
            )
        )
    )
    lease = timedelta(seconds=current_app.config["CALDAV_BUSY_TTL_SECONDS"])
    for connection in due:
        connection.next_sync_at = now + lease
    db.session.commit()
    return [connection.player_id for connection in due]
