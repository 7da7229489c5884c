"""Input that once made 500s: JSON nested thousands deep, bodies of any size, and times no calendar
reaches (year 9999, year 1 with an offset). Each is a 4xx with a message, in the API and the pages,
and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kendama.extensions import db
from kendama.models import DateOverride, LiveSession
from kendama.services import timezones
from kendama.services.errors import InvalidInput

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

FAR_FUTURE = "9999-12-31T23:00:00+00:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC
OUT_OF_RANGE = [FAR_FUTURE, FAR_PAST, "2100-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"]


def sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(LiveSession))


# --- JSON bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/sessions"), ("PUT", "/api/users/me/availability")])
def test_json_nested_thousands_deep_is_a_400(client, api_token, method, path):
    headers = api_token(PlayerFactory())
    response = client.open(path, method=method, data="[" * 5000, headers=headers, content_type="application/json")
    assert response.status_code == 400, response.data[:300]
    assert response.json["error"]["message"] == "The body nests deeper than 32 levels."


def test_json_deeper_than_the_bound_is_refused_and_within_it_is_read(client, api_token):
    headers = api_token(FanFactory())
    deep = {"player_id": 1, "start": "x", "duration_minutes": 30}
    for _ in range(40):
        deep = {"player_id": 1, "notes": deep}
    response = client.post("/api/sessions", json=deep, headers=headers)
    assert response.status_code == 400 and "deeper than 32" in response.json["error"]["message"]
    shallow = {"player_id": 1, "start": "x", "duration_minutes": 30, "notes": [[["ok"]]]}
    assert client.post("/api/sessions", json=shallow, headers=headers).status_code == 422


def test_a_json_body_over_256_kb_is_a_413(client, api_token):
    headers = api_token(FanFactory())
    body = {"player_id": 1, "start": "2030-01-01T10:00:00Z", "duration_minutes": 30, "notes": "n" * 300_000}
    response = client.post("/api/sessions", json=body, headers=headers)
    assert response.status_code == 413
    assert response.json["error"]["message"] == "The body is larger than 256 KB."
    assert sessions() == 0


# --- Times out of range -----------------------------------------------------------------------


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_one_parse_bounds_every_time_to_2000_to_2100(value):
    with pytest.raises(InvalidInput) as refused:
        timezones.parse_aware(value, field="start")
    assert refused.value.fields == {"start": "Give a time between the years 2000 and 2100."}


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2100-01-01", "1999-12-31"])
def test_one_parse_bounds_every_date_too(value):
    assert timezones.parse_day(value) is None
    assert timezones.parse_day("2030-06-01").isoformat() == "2030-06-01"


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_booking_at_a_time_out_of_range_is_a_422(client, api_token, value):
    player = PlayerFactory()
    body = {"player_id": player.id, "start": value, "duration_minutes": 30}
    response = client.post("/api/sessions", json=body, headers=api_token(FanFactory()))
    assert response.status_code == 422, response.data[:300]
    assert response.json["error"]["fields"]["start"] == "Give a time between the years 2000 and 2100."
    assert sessions() == 0


@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_free_slots_for_a_range_out_of_range_are_a_422(client, field, value):
    player = PlayerFactory()
    response = client.get(f"/api/users/{player.id}/availability", query_string={field: value, "duration": 30})
    assert response.status_code == 422, response.data[:300]
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("value", [FAR_FUTURE, FAR_PAST])
def test_rescheduling_to_a_time_out_of_range_is_a_422(client, api_token, value):
    session = LiveSessionFactory(starts_at=weekday_at(10, days_ahead=5))
    response = client.put(
        f"/api/sessions/{session.id}", json={"action": "reschedule", "start": value}, headers=api_token(session.fan)
    )
    assert response.status_code == 422, response.data[:300]
    assert "start" in response.json["error"]["fields"]
    assert db.session.get(LiveSession, session.id).starts_at == session.starts_at


def test_an_override_on_a_date_out_of_range_is_a_422(client, api_token):
    player = PlayerFactory()
    body = {
        "timezone": "UTC",
        "weekly": [],
        "overrides": [{"date": "9999-12-31", "start": "10:00", "end": "11:00"}],
        "buffer_minutes": 0,
        "min_notice_minutes": 60,
        "max_days_ahead": 30,
    }
    response = client.put("/api/users/me/availability", json=body, headers=api_token(player))
    assert response.status_code == 422, response.data[:300]
    assert db.session.scalar(select(func.count()).select_from(DateOverride)) == 0


# --- The pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [FAR_FUTURE, FAR_PAST])
def test_the_booking_form_with_a_time_out_of_range_is_a_422_page(client, login, value):
    player = PlayerFactory()
    login(FanFactory())
    response = client.post(
        f"/players/{player.id}/book",
        data={"start": value, "duration": 30, "csrf_token": csrf_token_from(client)},
    )
    assert response.status_code == 422
    assert "Give a time between the years 2000 and 2100." in response.get_data(as_text=True)
    assert sessions() == 0


@pytest.mark.parametrize("value", [FAR_FUTURE, FAR_PAST])
def test_the_reschedule_form_with_a_time_out_of_range_is_a_422_page(client, login, value):
    session = LiveSessionFactory(starts_at=weekday_at(10, days_ahead=5))
    login(session.fan)
    response = client.post(
        f"/dashboard/sessions/{session.id}/reschedule", data={"start": value, "csrf_token": csrf_token_from(client)}
    )
    assert response.status_code == 422
    assert "Give a time between the years 2000 and 2100." in response.get_data(as_text=True)
    assert db.session.get(LiveSession, session.id).starts_at == session.starts_at


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("suffix", ["", "/days", "/slots"])
def test_the_day_picker_falls_back_to_the_default_view_for_days_out_of_range(client, login, day, suffix):
    player = PlayerFactory()
    session = LiveSessionFactory(player=player, starts_at=weekday_at(10, days_ahead=5))
    login(session.fan)
    for page in (f"/players/{player.id}/book{suffix}", f"/dashboard/sessions/{session.id}/reschedule{suffix}"):
        response = client.get(page, query_string={"from": day, "day": day, "duration": 30})
        assert response.status_code == 200, (page, response.data[:300])


def test_a_time_inside_the_range_still_books(client, api_token):
    player = PlayerFactory()
    start = weekday_at(10, days_ahead=4)
    body = {"player_id": player.id, "start": start.isoformat(), "duration_minutes": 30}
    assert client.post("/api/sessions", json=body, headers=api_token(FanFactory())).status_code == 201
    assert timezones.parse_aware(start.isoformat()) == start
    assert timezones.parse_aware("2099-12-31T23:59:59Z") > start - timedelta(days=1)
