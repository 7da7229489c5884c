"""The slot cache never offers a slot that is taken: every change to a schedule shows at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from kendama.extensions import db
from kendama.models import LiveSession
from kendama.services import discovery
from kendama.services.booking import offers, slot_cache
from kendama.services.timezones import iso_utc

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory


def offered(client, player_id, day_start) -> list[str]:
    query = {"from": iso_utc(day_start), "to": iso_utc(day_start + timedelta(days=1)), "duration": 30}
    response = client.get(f"/api/users/{player_id}/availability", query_string=query)
    assert response.status_code == 200, response.json
    return [slot["start"] for slot in response.json["slots"]]


def book(client, headers, player_id, start):
    body = {"player_id": player_id, "start": iso_utc(start), "duration_minutes": 30, "recording_consent": False}
    return client.post("/api/sessions", headers=headers, json=body)


def test_a_booked_slot_disappears_and_a_cancelled_one_comes_back(client, api_token, cache):
    player, fan = PlayerFactory(), FanFactory()
    headers = api_token(fan)
    day, ten = weekday_at(0), weekday_at(10)
    assert iso_utc(ten) in offered(client, player.id, day)
    assert offered(client, player.id, day) == offered(client, player.id, day)  # answered from the cache

    created = book(client, headers, player.id, ten)
    assert created.status_code == 201
    assert iso_utc(ten) not in offered(client, player.id, day)

    cancelled = client.put(f"/api/sessions/{created.json['id']}", headers=headers, json={"action": "cancel"})
    assert cancelled.status_code == 200
    assert iso_utc(ten) in offered(client, player.id, day)


def test_a_rescheduled_session_moves_its_slot(client, api_token, cache):
    player, fan = PlayerFactory(), FanFactory()
    headers = api_token(fan)
    day, ten, two = weekday_at(0), weekday_at(10), weekday_at(14)
    session_id = book(client, headers, player.id, ten).json["id"]
    assert iso_utc(two) in offered(client, player.id, day)
    moved = client.put(
        f"/api/sessions/{session_id}", headers=headers, json={"action": "reschedule", "start": iso_utc(two)}
    )
    assert moved.status_code == 200, moved.json
    now_offered = offered(client, player.id, day)
    assert iso_utc(two) not in now_offered and iso_utc(ten) in now_offered


def test_availability_edits_show_at_once(client, api_token, cache):
    player = PlayerFactory()
    day = weekday_at(0)
    assert iso_utc(weekday_at(9)) in offered(client, player.id, day)
    week = {
        "timezone": "Europe/Prague",
        "weekly": [{"weekday": d, "start": "13:00", "end": "15:00"} for d in range(5)],
        "overrides": [],
        "buffer_minutes": 0,
        "min_notice_minutes": 60,
        "max_days_ahead": 60,
    }
    assert client.put("/api/users/me/availability", headers=api_token(player), json=week).status_code == 200
    starts = offered(client, player.id, day)
    assert starts[0] == iso_utc(weekday_at(13)) and starts[-1] == iso_utc(weekday_at(14, 30))


def test_an_unlisted_player_is_gone_at_once(client, cache):
    player = PlayerFactory()
    day = weekday_at(0)
    assert offered(client, player.id, day)
    player.profile.accepts_bookings = False
    db.session.commit()
    query = {"from": iso_utc(day), "to": iso_utc(day + timedelta(days=1))}
    assert client.get(f"/api/users/{player.id}/availability", query_string=query).status_code == 404


def test_bulk_updates_move_every_version(client, cache):
    session = LiveSessionFactory(starts_at=weekday_at(10), ends_at=weekday_at(10, 30), blocked_until=weekday_at(10, 30))
    day = weekday_at(0)
    assert iso_utc(weekday_at(10)) not in offered(client, session.player_id, day)
    db.session.execute(update(LiveSession).where(LiveSession.id == session.id).values(status="cancelled"))
    db.session.commit()
    assert iso_utc(weekday_at(10)) in offered(client, session.player_id, day)


def test_uncommitted_changes_are_read_from_the_database(app, cache):
    player = PlayerFactory()
    assert discovery.week_ahead(player.id, 30, "UTC")  # cached now
    before = sum(open_day.count for open_day in discovery.week_ahead(player.id, 30, "UTC"))
    db.session.add(
        LiveSession(
            fan_id=FanFactory().id,
            player_id=player.id,
            starts_at=weekday_at(10),
            ends_at=weekday_at(10, 30),
            blocked_until=weekday_at(10, 30),
            duration_minutes=30,
            status="confirmed",
            price_amount=0,
            currency="usd",
        )
    )
    db.session.flush()
    after = sum(open_day.count for open_day in discovery.week_ahead(player.id, 30, "UTC"))
    assert after < before
    db.session.rollback()


def test_next_available_follows_bookings(client, api_token, cache):
    player = PlayerFactory(setup__notice=0)
    first = discovery.player_card(player.id).next_available
    assert first is not None
    book(client, api_token(FanFactory()), player.id, first)
    assert discovery.player_card(player.id).next_available > first


def test_a_stale_answer_costs_a_409_never_a_double_booking(client, api_token, cache, monkeypatch):
    """If a version could not be moved (Redis unreachable after the commit), booking still refuses."""
    player = PlayerFactory()
    day, ten = weekday_at(0), weekday_at(10)
    assert iso_utc(ten) in offered(client, player.id, day)
    monkeypatch.setattr(cache, "bump", lambda player_ids: None)
    assert book(client, api_token(FanFactory()), player.id, ten).status_code == 201
    assert iso_utc(ten) in offered(client, player.id, day)  # stale until the time-to-live runs out
    assert book(client, api_token(FanFactory()), player.id, ten).status_code == 409
    assert db.session.query(LiveSession).filter_by(player_id=player.id).count() == 1


def test_the_clock_drops_slots_inside_the_minimum_notice(app, cache):
    player = PlayerFactory(setup__notice=0)
    start = weekday_at(0)
    answer = offers.listed_free_slots(player.id, 30, start, start + timedelta(days=1))
    first = answer.slots[0].start
    assert answer.fresh_until == first  # no notice: right until the first slot begins
    key = "x"
    slot_cache.remember(player.id, "probe", key, lambda: ("old", first), now=first - timedelta(seconds=1))
    fresh = slot_cache.remember(player.id, "probe", key, lambda: ("new", None), now=first - timedelta(seconds=1))
    assert fresh == "old"
    assert slot_cache.remember(player.id, "probe", key, lambda: ("new", None), now=first) == "new"
