"""Importing a player's external calendar from a real local HTTP server, into CalendarBusyTime rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kendama import jobs
from kendama.extensions import db
from kendama.models import CalendarBusyTime, Profile, utcnow
from kendama.services.calendars import fetch, imports
from kendama.services.errors import InvalidInput, NotAllowed
from kendama.tasks.periodic import PERIODIC_JOBS
from kendama.tasks.queue import dispatch_committed

from ..support import calendar_server
from ..support.calendar_server import Route
from ..support.factories import FanFactory, PlayerFactory

# The calendars are served from 127.0.0.1, which the import refuses unless told otherwise.
pytestmark = pytest.mark.usefixtures("private_calendar_hosts")

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # five days before Europe leaves summer time


def ics(*events: str, extra: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Calendar//EN", extra, *events, "END:VCALENDAR"]
    return ("\r\n".join(line for line in lines if line) + "\r\n").encode()


def event(uid: str, *props: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261001T000000Z", *props, "END:VEVENT"])


NORMAL = ics(
    event("meeting", "DTSTART;TZID=Europe/Prague:20261021T090000", "DTEND;TZID=Europe/Prague:20261021T103000"),
    event("call", "DTSTART:20261022T150000Z", "DURATION:PT45M"),
)


@pytest.fixture(scope="module")
def server():
    state, httpd = calendar_server.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def player():
    return PlayerFactory(timezone="Europe/Prague")


def connect(player, url: str) -> None:
    """Store the address as the service would, without running the job yet."""
    profile = db.session.get(Profile, player.id)
    profile.calendar_import_url = url
    db.session.commit()


def busy(player) -> list[tuple[datetime, datetime]]:
    rows = db.session.scalars(
        select(CalendarBusyTime).where(CalendarBusyTime.player_id == player.id).order_by(CalendarBusyTime.starts_at)
    )
    return [(row.starts_at, row.ends_at) for row in rows]


def profile_of(player) -> Profile:
    profile = db.session.get(Profile, player.id)
    db.session.refresh(profile)
    return profile


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_normal_feed_becomes_busy_times_in_utc(server, player):
    server.routes["/normal.ics"] = Route(NORMAL)
    connect(player, server.url("/normal.ics"))

    imports.sync(player.id, now=NOW)

    assert busy(player) == [
        (at(2026, 10, 21, 7, 0), at(2026, 10, 21, 8, 30)),
        (at(2026, 10, 22, 15, 0), at(2026, 10, 22, 15, 45)),
    ]
    profile = profile_of(player)
    assert profile.calendar_synced_at == NOW
    assert profile.calendar_sync_error is None


def test_recurring_event_with_exdate_and_a_moved_occurrence_across_dst(server, player):
    # Weekly at 18:00 Prague time; 19 Oct is skipped, and 2 Nov moved to 20:00.
    server.routes["/recurring.ics"] = Route(
        ics(
            event(
                "training",
                "DTSTART;TZID=Europe/Prague:20261012T180000",
                "DTEND;TZID=Europe/Prague:20261012T190000",
                "RRULE:FREQ=WEEKLY;COUNT=5",
                "EXDATE;TZID=Europe/Prague:20261019T180000",
            ),
            event(
                "training",
                "RECURRENCE-ID;TZID=Europe/Prague:20261102T180000",
                "DTSTART;TZID=Europe/Prague:20261102T200000",
                "DTEND;TZID=Europe/Prague:20261102T210000",
            ),
        )
    )
    connect(player, server.url("/recurring.ics"))

    imports.sync(player.id, now=NOW)

    assert busy(player) == [
        # Summer time is over on 25 Oct: 18:00 in Prague is 17:00 UTC from then on.
        (at(2026, 10, 26, 17, 0), at(2026, 10, 26, 18, 0)),
        (at(2026, 11, 2, 19, 0), at(2026, 11, 2, 20, 0)),
        (at(2026, 11, 9, 17, 0), at(2026, 11, 9, 18, 0)),
    ]


def test_transparent_and_cancelled_events_do_not_block(server, player):
    server.routes["/free.ics"] = Route(
        ics(
            event("free", "DTSTART:20261021T090000Z", "DTEND:20261021T100000Z", "TRANSP:TRANSPARENT"),
            event("off", "DTSTART:20261021T110000Z", "DTEND:20261021T120000Z", "STATUS:CANCELLED"),
            event("busy", "DTSTART:20261021T130000Z", "DTEND:20261021T140000Z", "TRANSP:OPAQUE"),
        )
    )
    connect(player, server.url("/free.ics"))

    imports.sync(player.id, now=NOW)

    assert busy(player) == [(at(2026, 10, 21, 13, 0), at(2026, 10, 21, 14, 0))]


def test_all_day_event_blocks_the_whole_local_day_even_on_the_25_hour_dst_day(server, player):
    server.routes["/allday.ics"] = Route(
        ics(
            event("trip", "DTSTART;VALUE=DATE:20261025", "DTEND;VALUE=DATE:20261026"),
            event("floating", "DTSTART:20261027T100000", "DTEND:20261027T110000"),
        )
    )
    connect(player, server.url("/allday.ics"))

    imports.sync(player.id, now=NOW)

    assert busy(player) == [
        (at(2026, 10, 24, 22, 0), at(2026, 10, 25, 23, 0)),  # midnight CEST to midnight CET: 25 hours
        (at(2026, 10, 27, 9, 0), at(2026, 10, 27, 10, 0)),  # a floating time is the player's wall clock
    ]


def test_overlapping_events_are_stored_merged(server, player):
    server.routes["/overlap.ics"] = Route(
        ics(
            event("a", "DTSTART:20261021T090000Z", "DTEND:20261021T100000Z"),
            event("b", "DTSTART:20261021T093000Z", "DTEND:20261021T110000Z"),
            event("c", "DTSTART:20261021T110000Z", "DTEND:20261021T113000Z"),
        )
    )
    connect(player, server.url("/overlap.ics"))
    imports.sync(player.id, now=NOW)
    assert busy(player) == [(at(2026, 10, 21, 9, 0), at(2026, 10, 21, 11, 30))]


def test_events_outside_the_window_are_left_out(app, server, player):
    server.routes["/far.ics"] = Route(
        ics(
            event("past", "DTSTART:20261001T090000Z", "DTEND:20261001T100000Z"),
            event("daily", "DTSTART:20261020T060000Z", "DTEND:20261020T061500Z", "RRULE:FREQ=DAILY"),
        )
    )
    connect(player, server.url("/far.ics"))
    imports.sync(player.id, now=NOW)
    rows = busy(player)
    assert app.config["CALENDAR_IMPORT_DAYS"] == 62  # longer than the factory player's 60 days ahead
    assert rows[0][0] == at(2026, 10, 20, 6, 0)  # earlier today still counts; 1 October does not
    assert rows[-1][0] == at(2026, 12, 22, 6, 0)  # the window ends 63 days after NOW, at noon
    assert len(rows) == 64


def test_our_own_feed_pasted_back_is_not_double_counted(server, player):
    server.routes["/own.ics"] = Route(
        ics(
            event("session-12@localhost", "DTSTART:20261021T090000Z", "DTEND:20261021T093000Z"),
            event("dentist", "DTSTART:20261021T120000Z", "DTEND:20261021T130000Z"),
        )
    )
    connect(player, server.url("/own.ics"))
    imports.sync(player.id, now=NOW)
    assert busy(player) == [(at(2026, 10, 21, 12, 0), at(2026, 10, 21, 13, 0))]


def test_a_redirect_is_followed(server, player):
    server.routes["/normal.ics"] = Route(NORMAL)
    server.routes["/moved"] = Route(status=301, location="/normal.ics")
    connect(player, server.url("/moved"))
    imports.sync(player.id, now=NOW)
    assert len(busy(player)) == 2


@pytest.fixture
def synced(server, player):
    """A player whose first sync worked, so later failures must keep these busy times."""
    server.routes["/normal.ics"] = Route(NORMAL)
    connect(player, server.url("/normal.ics"))
    imports.sync(player.id, now=NOW)
    assert len(busy(player)) == 2
    return player


def _fail_with(server, player, route: Route, now=NOW) -> str:
    server.routes["/broken.ics"] = route
    before = busy(player)
    connect(player, server.url("/broken.ics"))
    imports.sync(player.id, now=now)
    assert busy(player) == before, "a failed sync must keep the old busy times"
    profile = profile_of(player)
    assert profile.calendar_synced_at == NOW
    return profile.calendar_sync_error


@pytest.fixture
def small_cap(app):
    app.config["CALENDAR_IMPORT_MAX_BYTES"] = 64 * 1024
    yield 64 * 1024
    app.config["CALENDAR_IMPORT_MAX_BYTES"] = 2 * 1024 * 1024


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_a_feed_over_the_size_cap_is_refused_and_old_times_kept(server, synced, small_cap, send_length):
    huge = ics(
        *(
            event(f"e{i}", "DTSTART:20261021T090000Z", "DTEND:20261021T100000Z", "DESCRIPTION:" + "x" * 60)
            for i in range(1500)
        )
    )
    assert len(huge) > small_cap
    error = _fail_with(server, synced, Route(huge, send_length=send_length))
    assert "larger than" in error


def test_a_stalling_server_times_out(app, server, synced):
    app.config["CALENDAR_IMPORT_READ_TIMEOUT"] = 0.3
    try:
        error = _fail_with(server, synced, Route(NORMAL, stall_seconds=2))
    finally:
        app.config["CALENDAR_IMPORT_READ_TIMEOUT"] = 15
    assert "did not answer in time" in error


def test_a_server_trickling_bytes_hits_the_overall_deadline(app, server, synced):
    """Each byte arrives well within the read timeout; only the wall-clock limit stops it."""
    app.config.update(CALENDAR_IMPORT_CONNECT_TIMEOUT=0.2, CALENDAR_IMPORT_READ_TIMEOUT=0.3)  # 0.8 s in all
    started = time.monotonic()
    try:
        error = _fail_with(server, synced, Route(NORMAL, trickle_seconds=0.05))
    finally:
        app.config.update(CALENDAR_IMPORT_CONNECT_TIMEOUT=5, CALENDAR_IMPORT_READ_TIMEOUT=15)
    assert "took too long" in error
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (
            Route(b"<!doctype html><html><body>Sign in</body></html>", content_type="text/html"),
            "did not return an iCalendar file",
        ),
        (Route(b""), "did not return an iCalendar file"),
        (Route(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jo\r\nEND:VCARD\r\n"), "did not return an iCalendar file"),
        (Route(b"Not found", status=404, content_type="text/plain"), "HTTP status 404"),
    ],
)
def test_a_body_that_is_not_a_calendar_records_an_error(server, synced, route, expected):
    assert expected in _fail_with(server, synced, route)


def test_an_unreachable_server_records_an_error(synced, server):
    profile = db.session.get(Profile, synced.id)
    profile.calendar_import_url = "http://127.0.0.1:9/closed.ics"  # the discard port: nothing listens
    db.session.commit()
    imports.sync(synced.id, now=NOW)
    assert profile_of(synced).calendar_sync_error == "Could not connect to the calendar server."
    assert len(busy(synced)) == 2


def test_a_hostile_recurrence_is_bounded(server, player):
    server.routes["/seconds.ics"] = Route(
        ics(event("flood", "DTSTART:20261020T120000Z", "DTEND:20261020T120001Z", "RRULE:FREQ=SECONDLY"))
    )
    connect(player, server.url("/seconds.ics"))
    imports.sync(player.id, now=NOW)
    assert "more than" in profile_of(player).calendar_sync_error
    assert busy(player) == []


def test_long_running_and_counted_recurrences_are_read(server, player):
    server.routes["/long.ics"] = Route(
        ics(
            event("since-2000", "DTSTART:20000103T070000Z", "DTEND:20000103T073000Z", "RRULE:FREQ=WEEKLY;BYDAY=MO"),
            event("burst", "DTSTART:20261021T090000Z", "DTEND:20261021T090100Z", "RRULE:FREQ=MINUTELY;COUNT=3"),
        )
    )
    connect(player, server.url("/long.ics"))
    imports.sync(player.id, now=NOW)
    assert profile_of(player).calendar_sync_error is None
    rows = busy(player)
    assert (at(2026, 10, 21, 9, 0), at(2026, 10, 21, 9, 3)) in rows
    assert (at(2026, 10, 26, 7, 0), at(2026, 10, 26, 7, 30)) in rows


def test_a_past_series_that_would_take_minutes_to_walk_is_refused_quickly(server, player):
    # Expanding walks from DTSTART: 31 million seconds of 2024 before reaching the window.
    server.routes["/walk.ics"] = Route(
        ics(
            event(
                "old",
                "DTSTART:20240101T000000Z",
                "DTEND:20240101T000001Z",
                "RRULE:FREQ=SECONDLY;UNTIL=20250101T000000Z",
            )
        )
    )
    connect(player, server.url("/walk.ics"))
    started = time.monotonic()
    imports.sync(player.id, now=NOW)
    assert time.monotonic() - started < 2
    assert "repeats too often" in profile_of(player).calendar_sync_error


def test_a_successful_sync_clears_the_last_error(server, synced):
    _fail_with(server, synced, Route(b"nope", content_type="text/plain"))
    connect(synced, server.url("/normal.ics"))
    imports.sync(synced.id, now=NOW)
    assert profile_of(synced).calendar_sync_error is None


def upcoming() -> bytes:
    """Two events tomorrow (the job syncs relative to the real clock)."""
    day = (utcnow() + timedelta(days=1)).strftime("%Y%m%d")
    return ics(
        event("a", f"DTSTART:{day}T090000Z", f"DTEND:{day}T100000Z"),
        event("b", f"DTSTART:{day}T140000Z", f"DTEND:{day}T150000Z"),
    )


def test_the_periodic_refresh_syncs_every_connected_player(server):
    server.routes["/upcoming.ics"] = Route(upcoming())
    connected, unconnected = PlayerFactory(), PlayerFactory()
    connect(connected, server.url("/upcoming.ics"))
    assert ("kendama.jobs.refresh_calendars", 30 * 60) in PERIODIC_JOBS

    jobs.refresh_calendars()  # jobs run inline in tests

    assert len(busy(connected)) == 2
    assert busy(unconnected) == []
    assert profile_of(connected).calendar_synced_at is not None


# --- The address a player gives ---------------------------------------------------------


def test_saving_an_address_enqueues_the_sync_after_commit(server, player):
    server.routes["/upcoming.ics"] = Route(upcoming())
    requests_before = len(server.requests)
    imports.set_import_url(player, server.url("/upcoming.ics"))
    assert len(server.requests) == requests_before, "nothing is fetched before the commit's jobs are dispatched"
    dispatch_committed()  # outside a request the caller dispatches what committed
    assert len(server.requests) == requests_before + 1
    assert len(busy(player)) == 2


def test_webcal_addresses_are_fetched_over_https(app):
    assert (
        imports.normalise_url(" webcal://p01-caldav.icloud.com/published/2/abc ")
        == "https://p01-caldav.icloud.com/published/2/abc"
    )


@pytest.mark.parametrize(
    "url",
    ["", "ftp://example.com/a.ics", "https://", "not a url", "javascript:alert(1)", "https://example.com:notaport/x"],
)
def test_bad_addresses_are_refused(app, url):
    with pytest.raises(InvalidInput) as caught:
        imports.normalise_url(url)
    assert "calendar_import_url" in caught.value.fields


def test_only_players_import_calendars(app):
    with pytest.raises(NotAllowed):
        imports.set_import_url(FanFactory(), "https://example.com/a.ics")


def test_removing_the_calendar_removes_its_busy_times(synced):
    imports.remove_import(synced)
    assert busy(synced) == []
    assert profile_of(synced).calendar_import_url is None


def test_a_sync_for_an_address_changed_meanwhile_stores_nothing(server, player, monkeypatch):
    server.routes["/normal.ics"] = Route(NORMAL)
    connect(player, server.url("/normal.ics"))
    real_fetch = fetch.fetch

    def fetch_then_player_removes_calendar(url, limits):
        body = real_fetch(url, limits)
        imports.remove_import(player)
        return body

    monkeypatch.setattr(fetch, "fetch", fetch_then_player_removes_calendar)
    imports.sync(player.id, now=NOW)
    assert busy(player) == []


# --- The SSRF guard in production configuration -----------------------------------------


@pytest.fixture
def production_guard(app, monkeypatch):
    monkeypatch.setitem(app.config, "CALENDAR_FETCH_ALLOW_PRIVATE", False)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/calendar.ics",  # plain http
        "https://127.0.0.1/calendar.ics",
        "https://localhost/calendar.ics",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/calendar.ics",
        "https://10.0.0.5/calendar.ics",
    ],
)
def test_production_refuses_private_and_plain_http_addresses_when_saved(production_guard, url):
    with pytest.raises(InvalidInput):
        imports.normalise_url(url)


def test_production_sync_refuses_a_name_that_resolves_to_loopback(server, player, production_guard):
    server.routes["/normal.ics"] = Route(NORMAL)
    requests_before = len(server.requests)
    # Saved before the guard existed, or a name that resolves to loopback later.
    connect(player, f"http://localhost:{server.port}/normal.ics")
    imports.sync(player.id, now=NOW)
    assert "private network" in profile_of(player).calendar_sync_error
    assert len(server.requests) == requests_before
    assert busy(player) == []


def test_the_connected_address_is_checked_even_when_dns_looked_public(server, monkeypatch):
    """DNS rebinding: the name passed the early check, then resolved to loopback on connect."""
    server.routes["/normal.ics"] = Route(NORMAL)
    requests_before = len(server.requests)
    monkeypatch.setattr(fetch, "check_host", lambda host, port: None)
    limits = fetch.Limits(max_bytes=1024 * 1024, connect_timeout=2, read_timeout=2, total_seconds=5)
    with pytest.raises(fetch.BlockedAddress):
        fetch.fetch(server.url("/normal.ics"), limits)
    assert len(server.requests) == requests_before, "not a byte of the request may reach the private address"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_public_address_rules(address, public):
    assert fetch.is_public_address(address) is public
