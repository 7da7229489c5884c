"""Waitlists through the booking page, the dashboard, the API and the offer email."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import DateOverride, Notification, WaitlistEntry
from kendama.services.booking import lifecycle, waitlist
from kendama.services.notifications import emails

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

ZONE = "Europe/Prague"


@pytest.fixture
def full_day():
    """A player whose chosen day has one time, already booked; the day and that booking."""
    player = PlayerFactory(display_name="Paula Player")
    start = weekday_at(10)
    day = start.astimezone(waitlist.zone(ZONE)).date()
    db.session.add(DateOverride(player_id=player.id, date=day, start_time=time(10), end_time=time(10, 30)))
    db.session.commit()
    return player, day, lifecycle.create_session(FanFactory(), player.id, start, 30)


def test_a_fan_joins_from_the_booking_page_sees_the_place_and_leaves_it(client, login, full_day):
    player, day, _booked = full_day
    fan = FanFactory()
    login(fan)
    page = client.get(f"/players/{player.id}/book").get_data(as_text=True)
    assert '<label for="waitlist-day">The day you want (30 minutes)</label>' in page
    response = client.post(
        f"/players/{player.id}/waitlist",
        data={"csrf_token": csrf_token_from(client), "duration": "30", "day": day.isoformat()},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are on the waitlist for" in page and "number 1 in line" in page

    again = client.post(
        f"/players/{player.id}/waitlist",
        data={"csrf_token": csrf_token_from(client), "duration": "30", "day": day.isoformat()},
    )
    assert "already on the waitlist" in client.get(again.headers["Location"]).get_data(as_text=True)

    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert '<h2 id="waitlist-title">Waitlists</h2>' in dashboard and "waiting for a time to open." in dashboard
    entry = db.session.scalar(select(WaitlistEntry))
    response = client.post(f"/waitlist/{entry.id}/leave", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303 and entry.state == "left"
    assert "Waitlists</h2>" not in client.get("/dashboard/").get_data(as_text=True)


def test_a_day_with_open_times_is_refused_on_the_page(client, login, full_day):
    player, day, _booked = full_day
    login(FanFactory())
    response = client.post(
        f"/players/{player.id}/waitlist",
        data={
            "csrf_token": csrf_token_from(client),
            "duration": "30",
            "day": weekday_at(10, days_ahead=10).date().isoformat(),
        },
    )
    assert "There are open times on that day" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(WaitlistEntry.id)) is None


def test_the_offer_email_names_the_time_the_hold_and_the_booking_link(full_day):
    player, day, booked = full_day
    fan = FanFactory(timezone="America/New_York")
    waitlist.join(fan, player.id, day, 30, ZONE)
    lifecycle.cancel(booked.fan, booked.id)
    waitlist.run(player.id)
    row = db.session.scalar(select(Notification).where(Notification.kind == "waitlist_offer"))
    message = emails.compose(row)
    assert message.subject.startswith("A time opened with Paula Player: held for you until ")
    assert "(America/New_York)" in message.body and "held for you alone until" in message.body
    assert f"/players/{player.id}/book?duration=30&day={day.isoformat()}" in message.body

    # Once the offer is gone, the email is not sent.
    waitlist.leave(fan, db.session.scalar(select(WaitlistEntry.id)))
    assert isinstance(emails.compose(row), emails.Skip)


def test_the_api_joins_lists_and_leaves(client, api_token, full_day):
    player, day, _booked = full_day
    fan = FanFactory()
    headers = api_token(fan)
    body = {"date": day.isoformat(), "duration_minutes": 30}
    response = client.post(f"/api/players/{player.id}/waitlist", headers=headers, json=body)
    assert response.status_code == 201, response.json
    assert {k: response.json[k] for k in ("player_id", "date", "state", "position", "offer_start")} == {
        "player_id": player.id,
        "date": day.isoformat(),
        "state": "waiting",
        "position": 1,
        "offer_start": None,
    }
    assert client.post(f"/api/players/{player.id}/waitlist", headers=headers, json=body).status_code == 409
    bad = client.post(
        f"/api/players/{player.id}/waitlist", headers=headers, json={"date": "nope", "duration_minutes": 30}
    )
    assert bad.status_code == 422 and "date" in bad.json["error"]["fields"]
    listed = client.get("/api/users/me/waitlist", headers=headers).json["items"]
    assert [item["date"] for item in listed] == [day.isoformat()]
    assert client.delete(f"/api/players/{player.id}/waitlist", headers=headers, json=body).status_code == 204
    assert client.get("/api/users/me/waitlist", headers=headers).json["items"] == []
    assert client.delete(f"/api/players/{player.id}/waitlist", headers=headers, json=body).status_code == 404
