"""Two-way CalDAV against a real Radicale server: busy times read, sessions written, outages survived."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from kendama import jobs
from kendama.extensions import db
from kendama.models import CalendarBusyTime, CalendarConnection, CalendarEventWrite, utcnow
from kendama.services.booking import lifecycle, slots
from kendama.services.calendars import caldav_accounts, caldav_busy, connections, secrets
from kendama.services.errors import InvalidInput, SlotUnavailable
from kendama.services.timezones import zone
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory
from ..support.radicale import USERS, Radicale

# Radicale listens on 127.0.0.1, which connecting refuses unless told otherwise.
pytestmark = [pytest.mark.usefixtures("private_calendar_hosts"), pytest.mark.both_databases]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def calendars(radicale, request):
    """Two fresh calendars of the player's account, removed after the test."""
    tag = f"{request.node.name[-40:]}-{id(request)}"
    made = [radicale.make_calendar(f"Work {tag}"), radicale.make_calendar(f"Kendama {tag}")]
    yield made
    for calendar in made:
        try:
            calendar.delete()
        except Exception:  # noqa: BLE001 - a test may have deleted it already
            pass


@pytest.fixture
def player(app):
    player = PlayerFactory(timezone="Europe/Prague")
    app.config["CALDAV_TIMEOUT"] = 5
    return player


def vevent(uid: str, *props: str) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Radicale//EN", "BEGIN:VEVENT", f"UID:{uid}"]
    return "\r\n".join([*lines, "DTSTAMP:20261101T000000Z", *props, "END:VEVENT", "END:VCALENDAR", ""])


def stamp(moment) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def connect(player, radicale, calendars):
    connections.connect(player, radicale.url, "player", USERS["player"])
    connection = connections.choose(player, [str(calendars[0].url)], str(calendars[1].url))
    dispatch_committed()  # the jobs queued after commit: the sync and writes (inline in tests)
    return connection


def done(result):
    """What a service call returned, once the jobs it queued after commit have run."""
    dispatch_committed()
    return result


def events_in(calendar) -> list:
    found = []
    for obj in calendar.events():
        found.extend(Calendar.from_ical(obj.data).walk("VEVENT"))
    return found


def test_connecting_lists_the_calendars_and_keeps_the_password_only_encrypted(player, radicale, calendars):
    connection = connect(player, radicale, calendars)
    names = {c["name"] for c in connection.calendars}
    assert {calendars[0].get_display_name(), calendars[1].get_display_name()} <= names
    assert connection.status == "ok"
    stored = db.session.get(CalendarConnection, player.id).password_secret
    assert USERS["player"] not in stored and caldav_accounts.account_of(connection).password == USERS["player"]
    assert USERS["player"] not in repr(caldav_accounts.account_of(connection))


def test_a_wrong_password_is_told_on_the_form_and_stores_nothing(player, radicale):
    with pytest.raises(InvalidInput) as refused:
        connections.connect(player, radicale.url, "player", "not-the-password")
    assert "password" in refused.value.fields
    assert db.session.get(CalendarConnection, player.id) is None


def test_busy_events_block_slots_recurring_all_day_and_in_another_zone(player, radicale, calendars):
    monday_10 = weekday_at(10)  # Europe/Prague
    work = calendars[0]
    # A daily series that began a week before, and an all-day event two days later (in the
    # player's zone, whatever the server thinks), and a New York meeting the next day at 10:00 Prague.
    work.add_event(
        vevent("daily", f"DTSTART:{stamp(monday_10 - timedelta(days=7))}", "DURATION:PT30M", "RRULE:FREQ=DAILY")
    )
    all_day = (monday_10 + timedelta(days=2)).astimezone(zone("Europe/Prague")).date()
    work.add_event(
        vevent(
            "offsite", f"DTSTART;VALUE=DATE:{all_day:%Y%m%d}", f"DTEND;VALUE=DATE:{all_day + timedelta(days=1):%Y%m%d}"
        )
    )
    ny = (monday_10 + timedelta(days=1)).astimezone(zone("America/New_York"))
    work.add_event(vevent("ny", f"DTSTART;TZID=America/New_York:{ny:%Y%m%dT%H%M%S}", "DURATION:PT1H"))
    work.add_event(
        vevent("free", f"DTSTART:{stamp(monday_10 + timedelta(hours=2))}", "DURATION:PT1H", "TRANSP:TRANSPARENT")
    )
    connect(player, radicale, calendars)  # the sync runs after commit (jobs are inline here)

    def bookable(start):
        return slots.is_bookable(player.id, 30, start, now=utcnow())

    assert not bookable(monday_10)  # the series
    assert not bookable(monday_10 + timedelta(days=3)) or (monday_10 + timedelta(days=3)).weekday() > 4
    assert bookable(monday_10 + timedelta(minutes=30))
    assert not bookable(monday_10 + timedelta(days=1, minutes=30))  # New York's hour, 10:00-11:00 Prague
    assert not bookable(monday_10 + timedelta(days=2, hours=5))  # the all-day event covers the day
    assert bookable(monday_10 + timedelta(hours=2))  # transparent: free
    rows = db.session.scalars(select(CalendarBusyTime).where(CalendarBusyTime.player_id == player.id)).all()
    assert rows and {row.source for row in rows} == {"caldav"}


def test_a_booking_appears_a_reschedule_moves_it_and_a_cancel_removes_it(player, radicale, calendars):
    connect(player, radicale, calendars)
    fan = FanFactory()
    session = done(lifecycle.create_session(fan, player.id, weekday_at(11), 30))
    (event,) = events_in(calendars[1])
    assert str(event["UID"]) == f"session-{session.id}@localhost"
    assert event.start == session.starts_at and "ATTENDEE" not in event and "ORGANIZER" not in event
    assert events_in(calendars[0]) == []

    done(lifecycle.reschedule(fan, session.id, weekday_at(14)))
    (moved,) = events_in(calendars[1])
    assert moved.start == weekday_at(14) and str(moved["UID"]) == str(event["UID"])

    done(lifecycle.cancel(fan, session.id))
    assert events_in(calendars[1]) == []
    assert db.session.get(CalendarEventWrite, session.id).due_at is None


def test_a_booking_rechecks_the_calendar_for_an_event_the_cache_has_not_seen(player, radicale, calendars):
    connect(player, radicale, calendars)
    start = weekday_at(13)
    calendars[0].add_event(vevent("just-now", f"DTSTART:{stamp(start)}", "DURATION:PT30M"))
    assert slots.is_bookable(player.id, 30, start, now=utcnow())  # the cache does not know yet
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, start, 30)
    assert not slots.is_bookable(player.id, 30, start, now=utcnow())  # and now it does


def test_a_stopped_server_delays_the_write_and_loses_nothing_when_it_comes_back(player, radicale, calendars):
    connect(player, radicale, calendars)
    radicale.stop()
    try:
        session = done(lifecycle.create_session(FanFactory(), player.id, weekday_at(15), 30))  # the cache decides
        connection = db.session.get(CalendarConnection, player.id)
        db.session.refresh(connection)
        assert connection.status == "unreachable"
        assert caldav_accounts.problem_message(connection).startswith("We could not reach your calendar server")
        write = db.session.get(CalendarEventWrite, session.id)
        assert write.due_at is not None and write.attempts == 1
        assert connections.writes_waiting(player.id) == (1, 0)
    finally:
        radicale.start()
    write.due_at = utcnow()  # the back-off has passed
    db.session.commit()
    jobs.refresh_caldav()
    dispatch_committed()
    assert [str(e["UID"]) for e in events_in(calendars[1])] == [f"session-{session.id}@localhost"]
    db.session.refresh(write)
    assert write.due_at is None


def test_a_changed_password_and_a_deleted_calendar_are_told_and_syncing_backs_off_then_stops(
    app, player, radicale, calendars
):
    connection = connect(player, radicale, calendars)
    connection.password_secret = secrets.seal("revoked-app-password")
    db.session.commit()
    app.config["CALDAV_MAX_FAILURES"] = 3
    moment = utcnow()
    caldav_busy.sync(player.id, now=moment)
    connection = db.session.get(CalendarConnection, player.id)
    assert connection.status == "wrong_password" and connection.failures == 1
    assert connection.next_sync_at > moment + timedelta(seconds=app.config["CALDAV_BUSY_TTL_SECONDS"] - 1)
    caldav_busy.sync(player.id, now=moment)
    caldav_busy.sync(player.id, now=moment)
    db.session.refresh(connection)
    assert connection.stopped_at is not None and connection.next_sync_at is None
    assert "stopped trying" in caldav_accounts.problem_message(connection)
    assert caldav_busy.hand_out_due(now=moment + timedelta(days=1)) == []

    done(connections.connect(player, radicale.url, "player", USERS["player"]))  # reconnecting starts again
    db.session.refresh(connection)
    assert connection.status == "ok" and connection.stopped_at is None

    calendars[0].delete()
    caldav_busy.sync(player.id)
    db.session.refresh(connection)
    assert connection.status == "calendar_missing"


def test_the_api_connects_chooses_refuses_without_saving_and_disconnects(
    client, api_token, player, radicale, calendars
):
    headers = api_token(player)
    url = "/api/users/me/calendar-connection"
    assert client.get(url, headers=headers).status_code == 404
    bad = client.put(
        url,
        headers=headers,
        json={"server_url": radicale.url, "username": "player", "password": USERS["player"], "write_calendar_url": "x"},
    )
    assert bad.status_code == 422 and "write_calendar" in bad.json["error"]["fields"]
    assert db.session.get(CalendarConnection, player.id) is None  # nothing half-saved

    made = client.put(
        url, headers=headers, json={"server_url": radicale.url, "username": "player", "password": USERS["player"]}
    )
    assert made.status_code == 200, made.json
    body = made.json
    assert body["status"] == "ok" and body["problem"] is None and "password" not in body
    assert str(calendars[0].url) in {c["url"] for c in body["calendars"]}

    chosen = client.put(
        url, headers=headers, json={"busy_calendar_urls": [str(calendars[0].url)], "write_calendar_url": None}
    )
    assert chosen.status_code == 200
    assert chosen.json["busy_calendar_urls"] == [str(calendars[0].url)] and chosen.json["write_calendar_url"] is None
    assert client.get(url, headers=headers).json["busy_calendar_urls"] == [str(calendars[0].url)]

    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("address", "said"),
    [("http://calendar.example/", "starts with https://"), ("https://127.0.0.1:5232/", "private network")],
)
def test_addresses_into_this_network_are_refused_where_the_switch_is_off(app, monkeypatch, player, address, said):
    monkeypatch.setitem(app.config, "CALENDAR_FETCH_ALLOW_PRIVATE", False)
    with pytest.raises(InvalidInput) as refused:
        connections.connect(player, address, "player", USERS["player"])
    assert said in refused.value.fields["server_url"]
    assert db.session.get(CalendarConnection, player.id) is None


def test_the_dashboard_and_the_calendar_page_tell_each_trouble_with_a_way_to_reconnect(
    client, login, player, radicale, calendars
):
    connect(player, radicale, calendars)
    login(player)
    assert "could not reach" not in client.get("/dashboard/").get_data(as_text=True)
    radicale.stop()
    try:
        caldav_busy.sync(player.id)
    finally:
        radicale.start()
    for path in ("/dashboard/", "/dashboard/calendar/caldav"):
        page = client.get(path).get_data(as_text=True)
        assert "We could not reach your calendar server" in page and "Reconnect" in page, path

    connection = db.session.get(CalendarConnection, player.id)
    connection.password_secret = secrets.seal("revoked-app-password")
    db.session.commit()
    caldav_busy.sync(player.id)
    page = client.get("/dashboard/calendar/caldav").get_data(as_text=True)
    assert "no longer accepts the app password" in page and "revoked-app-password" not in page

    form = client.get("/dashboard/calendar/caldav").get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    answer = client.post(
        "/dashboard/calendar/caldav",
        data={"server_url": radicale.url, "username": "player", "password": USERS["player"], "csrf_token": token},
    )
    assert answer.status_code == 303
    assert "no longer accepts" not in client.get("/dashboard/calendar/caldav").get_data(as_text=True)
