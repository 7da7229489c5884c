"""Talking to a player's CalDAV account: its credentials unsealed, the guarded client, its health.

The low layer under connections.py (connecting, choosing), caldav_busy.py and writes.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import current_app

from ...extensions import db
from ...integrations.caldav import Account, CalDAVClient, CalDAVProblem
from ...models import CalendarConnection
from . import fetch, secrets

SOURCE = "caldav"  # CalendarBusyTime.source of the rows this account gives

# What the dashboard says for each kind of trouble, and what the player can do about it.
PROBLEMS = {
    "wrong_password": "Your calendar server no longer accepts the app password. Reconnect with a new app password.",
    "calendar_missing": "A calendar you chose was deleted on the server. Reconnect to choose your calendars again.",
    "unreachable": "We could not reach your calendar server. Until it answers, the busy times we read last count.",
}


def limits(seconds: float) -> fetch.Limits:
    """Bounds on one exchange with a server: `seconds` in all, the same SSRF rule as the iCal import."""
    return fetch.Limits(
        max_bytes=current_app.config["CALENDAR_IMPORT_MAX_BYTES"],
        connect_timeout=min(seconds, current_app.config["CALENDAR_IMPORT_CONNECT_TIMEOUT"]),
        read_timeout=seconds,
        total_seconds=seconds,
        allow_private=bool(current_app.config["CALENDAR_FETCH_ALLOW_PRIVATE"]),
    )


@contextmanager
def client(account: Account, seconds: float) -> Iterator[CalDAVClient]:
    """A CalDAV client for `account`, every request through the guarded session, within `seconds`."""
    bounds = limits(seconds)
    with fetch.guarded_session(bounds) as session:
        yield CalDAVClient(account, session, timeout=(bounds.connect_timeout, bounds.read_timeout))


def account_of(connection: CalendarConnection) -> Account:
    return Account(connection.server_url, connection.username, secrets.unseal(connection.password_secret))


def get(player_id: int) -> CalendarConnection | None:
    return db.session.get(CalendarConnection, player_id)


def record_success(connection: CalendarConnection, now: datetime) -> None:
    """The server answered: the trouble, the failure count and any stop are over (the caller commits)."""
    healthy(connection, now)


def healthy(connection: CalendarConnection, now: datetime) -> None:
    """The account works: clear its trouble and failure count, and sync it now."""
    connection.status, connection.last_error, connection.failures = "ok", None, 0
    connection.stopped_at, connection.next_sync_at = None, now


def record_problem(connection: CalendarConnection, problem: CalDAVProblem) -> None:
    """Note what went wrong for the dashboard (the caller commits)."""
    connection.status = problem.kind
    connection.last_error = str(problem)[:255]


def problem_message(connection: CalendarConnection) -> str | None:
    """The dashboard's sentence for the connection's trouble, or None when it is fine."""
    if connection.status == "ok":
        return None
    message = PROBLEMS.get(connection.status, PROBLEMS["unreachable"])
    if connection.stopped_at is not None:
        message += " We stopped trying after several failures in a row; reconnect to start again."
    return message
