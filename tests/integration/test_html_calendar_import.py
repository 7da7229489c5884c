"""The player's calendar page through the test client: real forms, CSRF, the job after the response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import CalendarBusyTime, Profile, utcnow

from ..conftest import csrf_token_from
from ..support import calendar_server
from ..support.calendar_server import Route
from ..support.factories import FanFactory, PlayerFactory

# The calendars are served from 127.0.0.1, which the import refuses unless told otherwise.
pytestmark = pytest.mark.usefixtures("private_calendar_hosts")


@pytest.fixture(scope="module")
def server():
    state, httpd = calendar_server.start()
    day = (utcnow() + timedelta(days=2)).strftime("%Y%m%d")
    state.routes["/mine.ics"] = Route(
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{day}T090000Z\r\nDTEND:{day}T100000Z\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n"
        ).encode()
    )
    yield state
    httpd.shutdown()
    httpd.server_close()


def post(client, url, data=None):
    return client.post(url, data={"csrf_token": csrf_token_from(client), **(data or {})})


def busy_rows(player_id):
    return db.session.scalars(select(CalendarBusyTime).where(CalendarBusyTime.player_id == player_id)).all()


def test_player_connects_a_calendar_and_sees_the_result(client, login, server):
    player = PlayerFactory()
    login(player)
    page = client.get("/dashboard/calendar")
    assert page.status_code == 200
    assert 'for="calendar_import_url"' in page.get_data(as_text=True)

    response = post(client, "/dashboard/calendar", {"calendar_import_url": server.url("/mine.ics")})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dashboard/calendar")
    # The job ran after the response was ready (inline in tests), not inside the view.
    assert len(busy_rows(player.id)) == 1
    html = client.get("/dashboard/calendar").get_data(as_text=True)
    assert "Last read" in html and "1 busy time" in html
    assert server.url("/mine.ics") in html
    fragment = client.get("/dashboard/calendar/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "data-announce" in fragment and "hx-get" not in fragment  # done: no more polling


def test_a_pending_sync_fragment_polls(client, login):
    player = PlayerFactory()
    profile = db.session.get(Profile, player.id)
    profile.calendar_import_url = "https://calendar.example/secret.ics"
    db.session.commit()
    login(player)
    fragment = client.get("/dashboard/calendar/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-get="/dashboard/calendar/status"' in fragment
    assert "Reading your calendar" in fragment


def test_a_bad_address_is_shown_by_its_field(client, login):
    login(PlayerFactory())
    response = post(client, "/dashboard/calendar", {"calendar_import_url": "ftp://example.com/cal.ics"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-summary"' in html
    assert 'aria-describedby="calendar_import_url-help calendar_import_url-error"' in html
    assert "https://" in html


def test_a_failed_sync_is_shown(client, login, server):
    player = PlayerFactory()
    login(player)
    post(client, "/dashboard/calendar", {"calendar_import_url": server.url("/missing.ics")})
    html = client.get("/dashboard/calendar").get_data(as_text=True)
    assert "The last attempt to read your calendar failed" in html
    assert "HTTP status 404" in html


def test_removing_the_calendar(client, login, server):
    player = PlayerFactory()
    login(player)
    post(client, "/dashboard/calendar", {"calendar_import_url": server.url("/mine.ics")})
    assert busy_rows(player.id)

    response = post(client, "/dashboard/calendar/remove")

    assert response.status_code == 303
    assert busy_rows(player.id) == []
    assert db.session.get(Profile, player.id).calendar_import_url is None


def test_posts_without_csrf_are_refused(client, login, server):
    player = PlayerFactory()
    login(player)
    response = client.post("/dashboard/calendar", data={"calendar_import_url": server.url("/mine.ics")})
    assert response.status_code == 400
    assert db.session.get(Profile, player.id).calendar_import_url is None


@pytest.mark.parametrize("path", ["/dashboard/calendar", "/dashboard/calendar/status"])
def test_fans_have_no_calendar_import(client, login, path):
    login(FanFactory())
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/dashboard/calendar", "/dashboard/calendar/status"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    assert client.get(path).status_code == 302
