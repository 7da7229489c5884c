"""The CalDAV adapter: list calendars, read events in a time range, put and delete one event.

Built on the `caldav` library, which speaks WebDAV/CalDAV (RFC 4791) to any server: iCloud,
Fastmail, Nextcloud, Radicale. The caller hands in the `requests` session to talk through, so
the calendar service decides what may be reached and for how long (its SSRF guard and deadline).
Every failure comes out as one of three problems a player can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import caldav
import requests
from caldav.lib import error as dav_error
from lxml.etree import LxmlError

from ..services.calendars.fetch import FetchError


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, wherever an account is printed or logged
        return f"Account(url={self.url!r}, username={self.username!r})"


@dataclass(frozen=True)
class CalendarInfo:
    url: str
    name: str


class CalDAVProblem(Exception):
    """Why talking to the calendar server failed; `kind` names it for the dashboard."""

    kind = "unreachable"


class WrongPassword(CalDAVProblem):
    kind = "wrong_password"


class CalendarMissing(CalDAVProblem):
    kind = "calendar_missing"


class Unreachable(CalDAVProblem):
    kind = "unreachable"


_CALENDAR_TYPE = {"Content-Type": "text/calendar; charset=utf-8"}


class CalDAVClient:
    """One conversation with the account's server, through `session`."""

    def __init__(self, account: Account, session: requests.Session, timeout: tuple[float, float]):
        # Basic credentials up front: waiting for a 401 first costs a round trip (and a second on
        # servers that delay failed logins, as Radicale does).
        self._client = caldav.DAVClient(
            account.url, username=account.username, password=account.password, auth_type="basic"
        )
        self._client.session = session
        self._client.timeout = timeout

    def calendars(self) -> list[CalendarInfo]:
        """The account's calendars that hold events, by URL and display name."""
        with _translated():
            found = self._client.principal().calendars()
            return [CalendarInfo(str(c.url), c.get_display_name() or _last_segment(str(c.url))) for c in found]

    def events_between(self, calendar_url: str, start: datetime, end: datetime) -> list[bytes]:
        """The iCalendar text of each event overlapping [start, end); recurring series unexpanded."""
        with _translated(calendar_missing=True):
            calendar = caldav.Calendar(client=self._client, url=calendar_url)
            found = calendar.search(start=start, end=end, event=True, expand=False, post_filter=False)
            return [obj.data.encode() if isinstance(obj.data, str) else obj.data for obj in found]

    def put_event(self, calendar_url: str, uid: str, body: bytes) -> None:
        """Create or replace the event stored under `uid` (its URL is derived from the UID)."""
        with _translated(calendar_missing=True):
            response = self._client.put(_event_url(calendar_url, uid), body.decode(), _CALENDAR_TYPE)
        if response.status in (404, 409):  # 409: the collection to put into no longer exists
            raise CalendarMissing("The calendar we write your sessions into no longer exists.")
        if response.status not in (200, 201, 204):
            raise Unreachable(f"The calendar server refused the event (HTTP {response.status}).")

    def delete_event(self, calendar_url: str, uid: str) -> None:
        """Remove the event stored under `uid`; an event that is already gone is fine."""
        with _translated():
            response = self._client.delete(_event_url(calendar_url, uid))
        if response.status not in (200, 204, 404, 410):
            raise Unreachable(f"The calendar server refused to delete the event (HTTP {response.status}).")


def _event_url(calendar_url: str, uid: str) -> str:
    return calendar_url.rstrip("/") + "/" + quote(uid, safe="") + ".ics"


def _last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1] or url


@contextmanager
def _translated(calendar_missing: bool = False) -> Iterator[None]:
    """Turn library, HTTP and guard failures into the three CalDAVProblems."""
    try:
        yield
    except CalDAVProblem:
        raise
    except dav_error.AuthorizationError as exc:
        raise WrongPassword("The calendar server did not accept the username and app password.") from exc
    except (dav_error.NotFoundError, dav_error.ReportError) as exc:
        if calendar_missing and (isinstance(exc, dav_error.NotFoundError) or "404" in str(exc)):
            raise CalendarMissing("A calendar you chose no longer exists on the server.") from exc
        raise Unreachable("The address did not answer like a CalDAV calendar server.") from exc
    except FetchError as exc:
        raise Unreachable(str(exc)) from exc
    except requests.exceptions.Timeout as exc:
        raise Unreachable("The calendar server did not answer in time.") from exc
    except requests.exceptions.RequestException as exc:
        raise Unreachable("Could not connect to the calendar server.") from exc
    except (dav_error.DAVError, LxmlError, ValueError) as exc:
        raise Unreachable("The address did not answer like a CalDAV calendar server.") from exc
