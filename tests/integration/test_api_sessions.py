"""Availability and sessions through the JSON API, as the contract writes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from kendama.extensions import db
from kendama.models import LiveSession
from kendama.services.booking import lifecycle, rollout
from kendama.services.timezones import iso_utc, parse_aware

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

WEEK = {
    "timezone": "Europe/Prague",
    "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    "overrides": [{"date": "2026-12-24"}, {"date": "2026-12-27", "start": "10:00", "end": "12:00"}],
    "buffer_minutes": 10,
    "min_notice_minutes": 120,
    "max_days_ahead": 60,
}


def book(client, headers, player_id, start, **extra):
    body = {"player_id": player_id, "start": iso_utc(start), "duration_minutes": 30, "recording_consent": False}
    return client.post("/api/sessions", headers=headers, json={**body, **extra})


# --- availability ---------------------------------------------------------------------------


def test_player_sets_and_reads_availability(client, api_token):
    headers = api_token(PlayerFactory())
    response = client.put("/api/users/me/availability", headers=headers, json=WEEK)
    assert response.status_code == 200, response.json
    assert response.json["overrides"] == [
        {"date": "2026-12-24", "start": None, "end": None},
        {"date": "2026-12-27", "start": "10:00", "end": "12:00"},
    ]
    assert client.get("/api/users/me/availability", headers=headers).json == response.json


def test_availability_validation_is_422_with_field_messages(client, api_token):
    body = {**WEEK, "weekly": [{"weekday": 0, "start": "12:00", "end": "09:00"}], "timezone": "Nowhere/Land"}
    response = client.put("/api/users/me/availability", headers=api_token(PlayerFactory()), json=body)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"weekly.0.end", "timezone"}


@pytest.mark.parametrize(("factory", "status"), [(FanFactory, 403), (None, 401)])
def test_availability_needs_a_player(client, api_token, factory, status):
    headers = api_token(factory()) if factory else {}
    assert client.put("/api/users/me/availability", headers=headers, json=WEEK).status_code == status


def test_public_slots(client):
    player = PlayerFactory()
    start = weekday_at(0)
    response = client.get(
        f"/api/users/{player.id}/availability",
        query_string={"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat(), "duration": 30},
    )
    assert response.status_code == 200
    body = response.json
    assert body["player_id"] == player.id and body["duration_minutes"] == 30
    assert body["slots"][0] == {"start": iso_utc(weekday_at(9)), "end": iso_utc(weekday_at(9, 30))}
    assert len(body["slots"]) == 31  # 09:00 .. 16:30 every 15 minutes
    assert all(slot["start"].endswith("Z") for slot in body["slots"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-12-01T10:00:00", "to": "2026-12-02T10:00:00Z"}, "from"),
        ({"from": "2026-12-01T10:00:00Z", "to": "2027-02-01T10:00:01Z"}, "to"),
        ({"from": "2026-12-01T10:00:00Z", "to": "2026-11-01T10:00:00Z"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"duration": 20}, "duration_minutes"),
        ({"duration": 45}, "duration"),
    ],
)
def test_public_slots_bad_queries_are_422(client, query, field):
    response = client.get(f"/api/users/{PlayerFactory().id}/availability", query_string=query)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_slots_of_unlisted_players_are_404(client):
    assert client.get(f"/api/users/{PlayerFactory(setup__verified=False).id}/availability").status_code == 404
    assert client.get(f"/api/users/{FanFactory().id}/availability").status_code == 404


# --- sessions ------------------------------------------------------------------------------


def test_book_free_session(client, api_token):
    fan, player = FanFactory(), PlayerFactory()
    headers = api_token(fan)
    response = book(client, headers, player.id, weekday_at(10), notes="Spike tips", recording_consent=True)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "confirmed" and body["checkout_url"] is None
    assert body["start"] == iso_utc(weekday_at(10)) and body["end"] == iso_utc(weekday_at(10, 30))
    assert body["price"] == {"amount": 0, "currency": "usd"} and body["player_share"] is None
    assert body["recording_consent"] == {"fan": True, "player": False}
    assert body["player"] == {"id": player.id, "display_name": player.display_name}
    # The booked slot is gone from the public list.
    slots = client.get(f"/api/users/{player.id}/availability", query_string={"from": iso_utc(weekday_at(0))}).json
    assert body["start"] not in [s["start"] for s in slots["slots"]]


def test_book_paid_session_is_held(client, api_token):
    response = book(client, api_token(FanFactory()), PlayerFactory(setup__paid=True).id, weekday_at(10))
    assert response.status_code == 201
    assert response.json["status"] == "pending_payment" and response.json["hold_expires_at"].endswith("Z")
    assert response.json["price"] == {"amount": 2500, "currency": "usd"}


def test_same_slot_twice_is_409(client, api_token):
    player = PlayerFactory()
    assert book(client, api_token(FanFactory()), player.id, weekday_at(10)).status_code == 201
    response = book(client, api_token(FanFactory()), player.id, weekday_at(10))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "slot_unavailable"


def test_taken_slot_is_409_without_locks_or_writes(client, api_token):
    """Most booking requests under load are for taken slots: they are answered by reads alone."""
    player = PlayerFactory()
    assert book(client, api_token(FanFactory()), player.id, weekday_at(10)).status_code == 201
    headers = api_token(FanFactory())
    seen = []
    record = lambda *args: seen.append(args[2])  # noqa: E731
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        response = book(client, headers, player.id, weekday_at(10))
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert response.status_code == 409
    assert response.json["error"] == {
        "code": "slot_unavailable",
        "message": lifecycle.SLOT_TAKEN,
        "fields": {"start": lifecycle.SLOT_TAKEN},
    }
    assert [s for s in seen if "FOR UPDATE" in s or s.startswith(("INSERT", "UPDATE", "DELETE"))] == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"start": "2026-12-01T10:00:00"}, 422),  # no offset
        ({"duration_minutes": 25}, 422),
        ({"player_id": 987654}, 404),
        ({"recording_consent": "yes"}, 422),
        ({"surprise": 1}, 422),
    ],
)
def test_bad_booking_requests(client, api_token, change, status):
    body = {"player_id": PlayerFactory().id, "start": iso_utc(weekday_at(10)), "duration_minutes": 30}
    response = client.post("/api/sessions", headers=api_token(FanFactory()), json={**body, **change})
    assert response.status_code == status, response.json


def test_booking_needs_sign_in_and_json(client, api_token):
    assert book(client, {}, PlayerFactory().id, weekday_at(10)).status_code == 401
    response = client.post("/api/sessions", headers=api_token(FanFactory()), data="player_id=1")
    assert response.status_code == 400


def test_admin_cannot_book(client, api_token):
    assert book(client, api_token(AdminFactory()), PlayerFactory().id, weekday_at(10)).status_code == 403


CLOSED_BETA_FAN = "Live sessions are in a closed beta for now, and you are not on the beta list yet."
CLOSED_BETA_PLAYER = "Live sessions are in a closed beta for now, and this player is not in it yet."


def test_every_booking_refusal_has_its_own_code_and_message(client, api_token):
    """Clients tell the refusals apart by code; people read the message."""
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    headers = api_token(fan)

    def refusal(headers, player_id, start=None) -> tuple[int, str, str]:
        response = book(client, headers, player_id, start or weekday_at(10))
        return response.status_code, response.json["error"]["code"], response.json["error"]["message"]

    rollout.set_state(admin, "off")
    assert refusal(headers, player.id) == (403, "sessions_closed", "Live sessions are not open yet.")
    rollout.set_state(admin, "beta")
    assert refusal(headers, player.id) == (403, "closed_beta", CLOSED_BETA_FAN)
    rollout.add_to_allowlist(admin, fan.email)
    assert refusal(headers, player.id) == (403, "closed_beta", CLOSED_BETA_PLAYER)
    rollout.set_state(admin, "everyone")

    assert book(client, api_token(FanFactory()), player.id, weekday_at(10)).status_code == 201
    assert refusal(headers, player.id) == (409, "slot_unavailable", lifecycle.SLOT_TAKEN)
    assert book(client, headers, PlayerFactory().id, weekday_at(11)).status_code == 201
    assert refusal(headers, player.id, weekday_at(11)) == (
        409,
        "overlapping_session",
        "You already have a session at that time.",
    )
    no_payouts = PlayerFactory(setup__price=2500)  # a paid lesson, no payout account
    assert refusal(headers, no_payouts.id) == (
        409,
        "payments_unavailable",
        "This player cannot take payments right now; please try again later.",
    )
    assert refusal(api_token(player), player.id, weekday_at(12)) == (
        422,
        "self_booking",
        "You cannot book a session with yourself.",
    )
    assert refusal(api_token(admin), player.id, weekday_at(12)) == (
        403,
        "admin_cannot_book",
        "Administrators cannot book sessions; sign in with a fan account.",
    )


def test_booking_is_rate_limited(app, client, api_token):
    headers = api_token(FanFactory())
    player_id = PlayerFactory().id
    app.config["RATELIMIT_BOOKING"] = "2 per minute"
    try:
        codes = [book(client, headers, player_id, weekday_at(10 + n)).status_code for n in range(3)]
    finally:
        app.config["RATELIMIT_BOOKING"] = "1000 per minute"
    assert codes == [201, 201, 429]


def test_get_session_participants_and_admins_only(client, api_token):
    fan, player = FanFactory(), PlayerFactory()
    session_id = book(client, api_token(fan), player.id, weekday_at(10)).json["id"]
    assert client.get(f"/api/sessions/{session_id}", headers=api_token(fan)).status_code == 200
    as_player = client.get(f"/api/sessions/{session_id}", headers=api_token(player))
    assert as_player.json["player_share"] == {"amount": 0, "currency": "usd"}
    assert client.get(f"/api/sessions/{session_id}", headers=api_token(AdminFactory())).status_code == 200
    stranger = api_token(FanFactory())
    assert client.get(f"/api/sessions/{session_id}", headers=stranger).status_code == 404
    assert client.get("/api/sessions/999999", headers=stranger).status_code == 404
    assert client.get(f"/api/sessions/{session_id}").status_code == 401


def test_list_sessions_with_filters_and_pagination(client, api_token):
    fan, player = FanFactory(), PlayerFactory()
    headers = api_token(fan)
    ids = [book(client, headers, player.id, weekday_at(9 + n)).json["id"] for n in range(3)]
    client.put(f"/api/sessions/{ids[2]}", headers=headers, json={"action": "cancel"})
    page = client.get("/api/sessions", headers=headers, query_string={"per_page": 2, "upcoming": "true"}).json
    assert [s["id"] for s in page["items"]] == ids[:2] and page["total"] == 3 and page["per_page"] == 2
    cancelled = client.get("/api/sessions", headers=headers, query_string={"status": "cancelled"}).json
    assert [s["id"] for s in cancelled["items"]] == [ids[2]]
    assert client.get("/api/sessions", headers=api_token(FanFactory())).json["total"] == 0
    bad = client.get("/api/sessions", headers=headers, query_string={"status": "lost"})
    assert bad.status_code == 422


def test_reschedule(client, api_token):
    fan, player = FanFactory(), PlayerFactory()
    headers = api_token(fan)
    session_id = book(client, headers, player.id, weekday_at(10)).json["id"]
    new_start = weekday_at(14).astimezone().isoformat()  # any offset is fine on input
    response = client.put(
        f"/api/sessions/{session_id}", headers=headers, json={"action": "reschedule", "start": new_start}
    )
    assert response.status_code == 200, response.json
    assert response.json["start"] == iso_utc(weekday_at(14)) and response.json["reschedule_count"] == 1
    assert response.json["refund"] is None
    missing = client.put(f"/api/sessions/{session_id}", headers=headers, json={"action": "reschedule"})
    assert missing.status_code == 422 and "start" in missing.json["error"]["fields"]
    taken = book(client, api_token(FanFactory()), player.id, weekday_at(15)).json["start"]
    clash = client.put(f"/api/sessions/{session_id}", headers=headers, json={"action": "reschedule", "start": taken})
    assert clash.status_code == 409


def test_reschedule_limit_is_409(client, api_token):
    fan = FanFactory()
    headers = api_token(fan)
    session_id = book(client, headers, PlayerFactory().id, weekday_at(9)).json["id"]
    codes = [
        client.put(
            f"/api/sessions/{session_id}",
            headers=headers,
            json={"action": "reschedule", "start": iso_utc(weekday_at(h))},
        ).status_code
        for h in (10, 11, 12)
    ]
    assert codes == [200, 200, 409]
    refused = client.put(
        f"/api/sessions/{session_id}", headers=headers, json={"action": "reschedule", "start": iso_utc(weekday_at(13))}
    )
    assert refused.json["error"]["message"] == "A session can be rescheduled at most 2 times."


def test_cancel_returns_the_policy_refund(client, api_token):
    fan = FanFactory()
    headers = api_token(fan)
    session_id = book(client, headers, PlayerFactory(setup__paid=True).id, weekday_at(10)).json["id"]
    mark_paid(db.session.get(LiveSession, session_id))
    response = client.put(f"/api/sessions/{session_id}", headers=headers, json={"action": "cancel", "reason": "Ill"})
    assert response.status_code == 200
    assert response.json["status"] == "cancelled" and response.json["cancelled_by"] == "fan"
    assert response.json["refund"] == {"amount": 2500, "currency": "usd", "status": "pending"}
    again = client.put(f"/api/sessions/{session_id}", headers=headers, json={"action": "cancel"})
    assert again.status_code == 409


def test_update_by_stranger_is_404_and_bad_action_422(client, api_token):
    fan = FanFactory()
    session_id = book(client, api_token(fan), PlayerFactory().id, weekday_at(10)).json["id"]
    stranger = client.put(f"/api/sessions/{session_id}", headers=api_token(FanFactory()), json={"action": "cancel"})
    assert stranger.status_code == 404
    odd = client.put(f"/api/sessions/{session_id}", headers=api_token(fan), json={"action": "postpone"})
    assert odd.status_code == 422


def test_cookie_auth_needs_csrf(client, login):
    fan = FanFactory()
    login(fan)
    response = client.post(
        "/api/sessions",
        json={"player_id": PlayerFactory().id, "start": iso_utc(weekday_at(10)), "duration_minutes": 30},
    )
    assert response.status_code == 400


def test_players_listing_next_available_and_filter(client):
    player = PlayerFactory(display_name="Zed Listed")
    card = client.get("/api/players", query_string={"q": "Zed"}).json["items"][0]
    assert card["id"] == player.id and card["next_available"].endswith("Z")
    first = parse_aware(card["next_available"])
    at_first = client.get("/api/players", query_string={"q": "Zed", "available_before": iso_utc(first)}).json
    assert at_first["total"] == 0  # free strictly before the given time
    after = iso_utc(first + timedelta(minutes=1))
    assert client.get("/api/players", query_string={"q": "Zed", "available_before": after}).json["total"] == 1
    naive = client.get("/api/players", query_string={"available_before": "2026-12-01T10:00:00"})
    assert naive.status_code == 422


def test_a_player_id_beyond_the_database_range_is_a_clear_422(client, api_token):
    body = {"player_id": 2**31, "start": "2030-01-07T10:00:00Z", "duration_minutes": 30}
    response = client.post("/api/sessions", headers=api_token(FanFactory()), json=body)
    assert response.status_code == 422
    assert "player_id" in response.json["error"]["fields"]
