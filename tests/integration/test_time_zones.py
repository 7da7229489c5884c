"""Times for people: the zone an anonymous visitor's browser reported, and time-zone pickers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import SessionAvailability, User, utcnow
from kendama.services.notifications import outbox

from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def footer_zone(html: str) -> str:
    return re.search(r"Times are shown in ([^.]+)\.", html).group(1)


def test_an_anonymous_visitor_sees_times_in_the_zone_their_browser_cookie_names(client):
    player = PlayerFactory()
    for written in ("America/New_York", "America%2FNew_York"):  # as app.js writes it, and as it once did
        client.set_cookie("tz", written)
        html = client.get(f"/players/{player.id}").get_data(as_text=True)
        assert footer_zone(html) == "America/New_York"
        assert "(America/New_York)" in html  # the next free time, on the visitor's clock


def test_a_cookie_that_names_no_zone_shows_utc(client):
    client.set_cookie("tz", "Mars%2FOlympus")
    assert footer_zone(client.get("/").get_data(as_text=True)) == "UTC"


# --- Time-zone selects: none starts on a zone nobody chose ---------------------------------


def zone_select(html: str) -> str:
    return re.search(r'<select[^>]*id="timezone".*?</select>', html, re.S).group(0)


def selected_zones(html: str) -> list[str]:
    return re.findall(r'<option selected value="([^"]*)">', zone_select(html))


def test_registration_without_a_zone_cookie_starts_on_an_empty_required_choice(client):
    html = client.get("/register").get_data(as_text=True)
    select = zone_select(html)
    assert " required" in select.split(">")[0]
    assert re.search(r'<option[^>]*value="">Choose your time zone</option>', select)
    assert selected_zones(html) == [""]


def test_registration_preselects_the_zone_the_browser_reported(client):
    client.set_cookie("tz", "America%2FNew_York")
    html = client.get("/register").get_data(as_text=True)
    assert selected_zones(html) == ["America/New_York"]
    # ...and asks the script to prefer the browser's zone, which it knows even before any cookie.
    assert "data-prefer-browser-zone" in zone_select(html).split(">")[0]


def test_registering_without_choosing_a_zone_is_a_clear_field_error(client):
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/register").get_data(as_text=True)
    )
    form = {
        "csrf_token": token.group(1),
        "display_name": "No Zone",
        "email": "no.zone@example.com",
        "password": "long-enough-password",
        "role": "fan",
        "timezone": "",
    }
    response = client.post("/register", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="timezone-error">Choose your time zone\.</p>', html)
    assert 'href="#timezone">Time zone: Choose your time zone.' in html  # in the error summary too
    assert "data-prefer-browser-zone" not in zone_select(html)  # the script leaves a posted choice alone
    assert User.query.filter_by(email="no.zone@example.com").first() is None


def test_settings_start_on_the_saved_zone_even_one_the_list_leaves_out(login):
    for saved in ("America/New_York", "GMT"):  # GMT is a valid zone name the picker does not list
        client = login(FanFactory(timezone=saved))
        assert selected_zones(client.get("/account").get_data(as_text=True)) == [saved]


def test_the_availability_editor_starts_on_the_saved_zone_even_one_the_list_leaves_out(login):
    player = PlayerFactory()
    db.session.get(SessionAvailability, player.id).timezone = "GMT"
    db.session.commit()
    client = login(player)
    assert selected_zones(client.get("/dashboard/availability").get_data(as_text=True)) == ["GMT"]


def test_an_email_retry_that_is_due_shows_as_due_now_never_as_a_past_time(client, login):
    notice = outbox.queue(FanFactory().id, "password_reset")
    notice.status, notice.attempts, notice.due_at = "failed", 1, utcnow() - timedelta(minutes=5)
    db.session.commit()
    login(AdminFactory())
    html = client.get("/admin/notifications").get_data(as_text=True)
    assert "Failed, next try due now" in html
