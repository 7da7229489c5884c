"""A player's CalDAV account: connecting it, choosing its calendars, and how it is doing.

Connecting talks to the server at once (a bounded exchange), so a wrong address or password is
told on the form rather than later; busy times and event writes then run in jobs
(caldav_busy.py, writes.py). The app password is sealed (secrets.py) before it is stored, and
leaves this module only inside an `Account` handed to the adapter.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, update

from ...extensions import db
from ...integrations.caldav import Account, CalDAVProblem, CalendarInfo
from ...models import CalendarBusyTime, CalendarConnection, CalendarEventWrite, LiveSession, User, utcnow
from ...models.sessions import SessionStatus
from ...tasks.queue import after_commit
from ..accounts import profiles
from ..errors import InvalidInput, NotFound
from . import imports, secrets, writes
from .caldav_accounts import SOURCE, client, get, healthy

MAX_URL_LENGTH = 2048
MAX_USERNAME = 255
MAX_PASSWORD = 1024


def for_player(user: User) -> CalendarConnection | None:
    """The acting player's connection (NotAllowed for anyone who is not a player)."""
    profiles.own_player_profile(user)
    return get(user.id)


# --- Connecting -----------------------------------------------------------------------


def _server_url(raw: str) -> str:
    url = (raw or "").strip()
    field = "server_url"
    if not url:
        raise InvalidInput({field: "Enter your calendar server's address (your provider's CalDAV address)."})
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise InvalidInput({field: "This does not look like a server address."})
    problem = imports.address_problem(url)
    if problem == "scheme":
        raise InvalidInput({field: "Use the server's address that starts with https://."})
    if problem == "private":
        raise InvalidInput({field: "This address points into a private network, so we cannot connect to it."})
    return url


def _credentials(username: str, password: str) -> tuple[str, str]:
    username = (username or "").strip()
    errors = {}
    if not username or len(username) > MAX_USERNAME:
        errors["username"] = "Enter the username you sign in to your calendar with."
    if not password or len(password) > MAX_PASSWORD:
        errors["password"] = "Enter an app password (your provider creates one for calendar apps)."
    if errors:
        raise InvalidInput(errors)
    return username, password


def _discover(account: Account) -> list[CalendarInfo]:
    """The account's calendars, or InvalidInput saying on the form what went wrong."""
    try:
        with client(account, current_app.config["CALDAV_TIMEOUT"]) as dav:
            found = dav.calendars()
    except CalDAVProblem as problem:
        field = "password" if problem.kind == "wrong_password" else "server_url"
        raise InvalidInput({field: str(problem)}) from problem
    if not found:
        raise InvalidInput({"server_url": "This account has no calendars. Create one at your provider first."})
    return found


KEEP = object()  # connect(): leave the write calendar as it was (or the first one, for a new account)


def connect(
    user: User,
    server_url: str,
    username: str,
    password: str,
    *,
    busy_urls: list[str] | None = None,
    write_url: str | None | object = KEEP,
    now: datetime | None = None,
):
    """Connect (or reconnect) the player's CalDAV account; what syncing had stopped starts again.

    `busy_urls` and `write_url`, when given, choose calendars in the same step (checked against
    the calendars the server lists before anything is saved).
    """
    profiles.own_player_profile(user)
    account = Account(_server_url(server_url), *_credentials(username, password))
    found = _discover(account)
    listed_urls = {c.url for c in found}
    if busy_urls is not None or write_url is not KEEP:
        _check_choices(listed_urls, busy_urls or [], None if write_url is KEEP else write_url)
    now = now or utcnow()
    connection = get(user.id) or CalendarConnection(player_id=user.id)
    listed = [{"url": c.url, "name": c.name} for c in found]
    urls = [c.url for c in found]
    same_account = connection.server_url == account.url and connection.username == account.username
    kept_busy = [url for url in (connection.busy_calendar_urls or []) if url in urls] if same_account else []
    connection.server_url, connection.username = account.url, account.username
    connection.password_secret = secrets.seal(account.password)
    connection.calendars = listed
    connection.busy_calendar_urls = kept_busy or urls
    if not (same_account and connection.write_calendar_url in urls):
        connection.write_calendar_url = urls[0]
    if busy_urls is not None:
        connection.busy_calendar_urls = list(dict.fromkeys(busy_urls))
    if write_url is not KEEP:
        connection.write_calendar_url = write_url or None
    healthy(connection, now)
    db.session.add(connection)
    db.session.flush()
    _rearm_writes(user.id, now)
    _mark_upcoming(user.id, now)
    after_commit("kendama.jobs.sync_caldav_busy", user.id)
    db.session.commit()
    return connection


def _rearm_writes(player_id: int, now: datetime) -> None:
    """Writes that stopped or wait out a back-off are tried again now (and run after commit)."""
    db.session.execute(
        update(CalendarEventWrite)
        .where(CalendarEventWrite.player_id == player_id)
        .where((CalendarEventWrite.due_at.is_not(None)) | (CalendarEventWrite.stopped_at.is_not(None)))
        .values(due_at=now, stopped_at=None, attempts=0, last_error=None)
    )
    for session_id in db.session.scalars(
        select(CalendarEventWrite.session_id).where(
            CalendarEventWrite.player_id == player_id, CalendarEventWrite.due_at.is_not(None)
        )
    ):
        after_commit("kendama.jobs.push_calendar_event", session_id)


def _mark_upcoming(player_id: int, now: datetime) -> None:
    """Owe a write for each confirmed session still to come, so the calendar shows all of them."""
    upcoming = select(LiveSession).where(
        LiveSession.player_id == player_id,
        LiveSession.status == SessionStatus.CONFIRMED.value,
        LiveSession.ends_at > now,
    )
    for session in db.session.scalars(upcoming):
        writes.mark(session, now=now)


def choose(user: User, busy_urls: list[str], write_url: str | None, now: datetime | None = None):
    """Set which listed calendars count as busy and which one sessions are written into."""
    connection = for_player(user)
    if connection is None:
        raise NotFound("Connect a calendar account first.")
    busy = list(dict.fromkeys(busy_urls or []))
    _check_choices({c["url"] for c in connection.calendars}, busy, write_url)
    now = now or utcnow()
    moved = write_url != connection.write_calendar_url
    connection.busy_calendar_urls = busy
    connection.write_calendar_url = write_url or None
    connection.next_sync_at = now
    if moved:
        _mark_upcoming(user.id, now)
    after_commit("kendama.jobs.sync_caldav_busy", user.id)
    db.session.commit()
    return connection


def _check_choices(listed: set[str], busy_urls: list[str], write_url: str | None) -> None:
    if any(url not in listed for url in busy_urls):
        raise InvalidInput({"busy_calendars": "Choose calendars from the list."})
    if write_url and write_url not in listed:
        raise InvalidInput({"write_calendar": "Choose a calendar from the list."})


def disconnect(user: User) -> None:
    """Forget the account, its busy times and the writes still owed (events written stay there)."""
    if for_player(user) is None:
        raise NotFound("No calendar account is connected.")
    db.session.execute(delete(CalendarConnection).where(CalendarConnection.player_id == user.id))
    db.session.execute(delete(CalendarEventWrite).where(CalendarEventWrite.player_id == user.id))
    db.session.execute(
        delete(CalendarBusyTime).where(CalendarBusyTime.player_id == user.id, CalendarBusyTime.source == SOURCE)
    )
    db.session.commit()


# --- Health -------------------------------------------------------------------------


def writes_waiting(player_id: int) -> tuple[int, int]:
    """(sessions waiting to be written, sessions whose writing stopped) for the dashboard."""
    rows = db.session.execute(
        select(CalendarEventWrite.due_at, CalendarEventWrite.stopped_at).where(
            CalendarEventWrite.player_id == player_id
        )
    ).all()
    return sum(1 for due, _ in rows if due is not None), sum(1 for _, stopped in rows if stopped is not None)


def calendar_name(connection: CalendarConnection, url: str | None) -> str | None:
    return next((c["name"] for c in connection.calendars if c["url"] == url), None)
