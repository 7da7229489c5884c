"""The private calendar feed over HTTP: the token is the only key, and it can be revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from kendama.extensions import db
from kendama.models import utcnow

from ..conftest import csrf_token_from
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def _feed_uids(response) -> set[str]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return {str(event["UID"]) for event in Calendar.from_ical(response.data).walk("VEVENT")}


def _session(fan, player, days: float, **kwargs):
    start = (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)
    return LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        **kwargs,
    )


def test_feed_lists_the_users_sessions_as_fan_and_player_and_nobody_elses(client):
    fan, player, stranger = FanFactory(), PlayerFactory(), FanFactory()
    upcoming = _session(fan, player, 3)
    cancelled = _session(fan, player, 5, status="cancelled", ics_sequence=1)
    recent = _session(fan, player, -10, status="completed")
    too_old = _session(fan, player, -40, status="completed")
    other = _session(stranger, player, 4)

    fan_uids = _feed_uids(client.get(f"/calendar/{fan.calendar_token}.ics"))
    player_uids = _feed_uids(client.get(f"/calendar/{player.calendar_token}.ics"))

    def uid(s):
        return f"session-{s.id}@localhost"

    assert fan_uids == {uid(upcoming), uid(cancelled), uid(recent)}
    assert uid(too_old) not in player_uids
    assert player_uids == {uid(upcoming), uid(cancelled), uid(recent), uid(other)}
    events = {
        str(e["UID"]): e
        for e in Calendar.from_ical(client.get(f"/calendar/{fan.calendar_token}.ics").data).walk("VEVENT")
    }
    assert events[uid(cancelled)].status == "CANCELLED"
    assert events[uid(cancelled)].sequence == 1
    assert events[uid(upcoming)].start == upcoming.starts_at


def test_feed_has_no_method_and_is_not_cached_by_shared_caches(client):
    fan = FanFactory()
    response = client.get(f"/calendar/{fan.calendar_token}.ics")
    calendar = Calendar.from_ical(response.data)
    assert "METHOD" not in calendar  # a published feed, not an invitation
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["ETag"]
    again = client.get(f"/calendar/{fan.calendar_token}.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("token", ["nope", "x" * 43, "", "a" * 200])
def test_unknown_token_is_404(client, token):
    FanFactory()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_deactivated_account_has_no_feed(client):
    fan = FanFactory(is_active_account=False)
    assert client.get(f"/calendar/{fan.calendar_token}.ics").status_code == 404


def test_regenerating_the_token_kills_the_old_address(client, login):
    fan = FanFactory()
    old = fan.calendar_token
    login(fan)
    response = client.post("/account/calendar-token", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    db.session.refresh(fan)
    assert fan.calendar_token != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{fan.calendar_token}.ics").status_code == 200


def test_settings_and_dashboard_show_the_absolute_feed_address(client, login):
    player = PlayerFactory()
    login(player)
    expected = f"http://localhost/calendar/{player.calendar_token}.ics"
    assert expected in client.get("/account").get_data(as_text=True)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert expected in dashboard
    assert "/dashboard/calendar" in dashboard  # players get the link to connect their own calendar


def test_the_feed_is_rate_limited(app, client):
    fan = FanFactory()
    app.config["RATELIMIT_CALENDAR_FEED"] = "2 per minute"
    try:
        codes = [client.get(f"/calendar/{fan.calendar_token}.ics").status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_CALENDAR_FEED"] = "1000 per minute"
    assert codes == [200, 200, 429]
