"""Mass assignment: fields nobody asked for, in a JSON body or a form, change nothing.

The JSON API refuses them (every request model forbids extra fields: 422, nothing written);
the HTML forms read only their own fields, so extras are ignored. Each probe sends what a
curious user would add (role, is_admin, verification_state, price_amount, status,
player_share_amount, someone else's id, ...) and checks what was stored.
"""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from pydantic import BaseModel

from kendama.blueprints import api as api_package
from kendama.extensions import db
from kendama.models import LiveSession, Profile, Review, SessionFeedback, User, utcnow
from kendama.services.timezones import iso_utc

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

# What an attacker adds to every body: privileges, money, state, and other people's ids.
EXTRAS = {
    "role": "admin",
    "is_admin": True,
    "verification_state": "verified",
    "payout_state": "enabled",
    "price_amount": 1,
    "platform_fee_amount": 0,
    "player_share_amount": 999_999,
    "currency": "jpy",
    "status": "completed",
    "fan_id": 1,
    "player_id": 1,
    "user_id": 1,
    "author_id": 1,
    "id": 1,
    "password_hash": "x",
    "fan_recording_consent": True,
    "player_recording_consent": True,
}


def request_models() -> list[type[BaseModel]]:
    """Every pydantic model of the API that a request body is read into (their names end in In)."""
    import importlib
    import pkgutil

    found = set()
    for module_info in pkgutil.iter_modules(api_package.__path__):
        module = importlib.import_module(f"{api_package.__name__}.{module_info.name}")
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__name__.endswith("In"):
                found.add(value)
    return sorted(found, key=lambda model: model.__name__)


def test_every_api_request_body_refuses_fields_it_does_not_define():
    models = request_models()
    assert len(models) >= 10
    assert [m.__name__ for m in models if m.model_config.get("extra") != "forbid"] == []


def form(client, data: dict, **extras) -> dict:
    return {"csrf_token": csrf_token_from(client), **{k: str(v) for k, v in {**EXTRAS, **extras}.items()}, **data}


# --- JSON ------------------------------------------------------------------------------------


def test_registering_through_the_api_with_privileges_is_refused(client):
    body = {"email": "new@example.com", "password": "long-enough-pw", "display_name": "New", "timezone": "UTC"}
    refused = client.post("/api/users", json={**body, **EXTRAS})  # role "admin" among them
    assert refused.status_code == 422
    refused = client.post("/api/users", json={**body, "role": "player", "is_admin": True})
    assert refused.status_code == 422 and "is_admin" in refused.json["error"]["fields"]
    assert db.session.scalar(db.select(User).where(User.email == "new@example.com")) is None
    assert client.post("/api/users", json={**body, "role": "player"}).status_code == 201  # the same, without extras


def test_a_player_cannot_verify_themselves_through_the_profile_api(client, api_token):
    player = PlayerFactory(setup__verified=False)
    headers = api_token(player)
    for extra in ("verification_state", "is_admin", "role", "payout_state", "user_id"):
        answer = client.put("/api/users/me/profile", json={"bio": "Tricks", extra: EXTRAS[extra]}, headers=headers)
        assert answer.status_code == 422, extra
    assert client.put("/api/users/me/profile", json={"bio": "Tricks"}, headers=headers).status_code == 200
    profile = db.session.get(Profile, player.id)
    assert profile.verification_state != "verified" and db.session.get(User, player.id).role == "player"


def test_a_fan_cannot_set_the_price_status_or_share_of_a_booking_through_the_api(client, api_token):
    player, fan = PlayerFactory(setup__paid=True), FanFactory()
    headers = api_token(fan)
    body = {"player_id": player.id, "start": iso_utc(weekday_at(10)), "duration_minutes": 30}
    for extra in ("price_amount", "status", "player_share_amount", "platform_fee_amount", "fan_id", "currency"):
        assert client.post("/api/sessions", json={**body, extra: EXTRAS[extra]}, headers=headers).status_code == 422
    assert db.session.scalar(db.select(db.func.count(LiveSession.id))) == 0
    made = client.post("/api/sessions", json=body, headers=headers)
    assert made.status_code == 201
    session = db.session.get(LiveSession, made.json["id"])
    assert (session.price_amount, session.currency, session.status) == (2500, "usd", "pending_payment")
    assert session.player_share_amount + session.platform_fee_amount == 2500 and session.fan_id == fan.id


def test_session_updates_consent_and_feedback_through_the_api_take_no_extras(client, api_token):
    session = LiveSessionFactory(starts_at=utcnow() + timedelta(days=5))
    session.ends_at = session.blocked_until = session.starts_at + timedelta(minutes=30)
    db.session.commit()
    fan = api_token(session.fan)
    update = {"action": "cancel", "reason": "ill", "status": "completed", "refund_amount": 999_999}
    assert client.put(f"/api/sessions/{session.id}", json=update, headers=fan).status_code == 422
    consent = {"recording": True, "player_recording_consent": True}
    assert client.post(f"/api/sessions/{session.id}/consent", json=consent, headers=fan).status_code == 422
    feedback = {"rating": 5, "author_id": session.player_id}
    assert client.post(f"/api/sessions/{session.id}/feedback", json=feedback, headers=fan).status_code == 422
    stored = db.session.get(LiveSession, session.id)
    assert stored.status == "confirmed" and not stored.player_recording_consent and not stored.fan_recording_consent


# --- Forms -----------------------------------------------------------------------------------


def test_registering_through_the_form_with_privileges_makes_an_ordinary_account(client):
    data = {
        "display_name": "Ola",
        "email": "ola@example.com",
        "password": "long-enough-pw",
        "timezone": "UTC",
        "role": "player",
    }
    assert client.post("/register", data=form(client, data)).status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "ola@example.com"))
    assert user.role == "player" and not user.is_admin
    assert db.session.get(Profile, user.id).verification_state != "verified"
    client.delete_cookie("session")
    as_admin = {**data, "email": "ola2@example.com", "role": "admin"}
    assert client.post("/register", data=form(client, as_admin)).status_code == 422
    assert db.session.scalar(db.select(User).where(User.email == "ola2@example.com")) is None


def test_account_and_profile_forms_change_only_their_own_fields(client, login):
    player, other = PlayerFactory(setup__verified=False), PlayerFactory()
    login(player)
    settings = {"display_name": "Renamed", "timezone": "UTC", "email": "taken-over@example.com"}
    assert client.post("/account", data=form(client, settings, user_id=other.id)).status_code == 303
    profile = {"display_name": "Renamed", "bio": "Hi", "currency": "usd", "offer_30": "y", "price_30": "0"}
    assert client.post("/dashboard/profile", data=form(client, profile, user_id=other.id)).status_code == 303
    me, them = db.session.get(User, player.id), db.session.get(User, other.id)
    assert (me.display_name, me.role, me.is_admin, me.email) == ("Renamed", "player", False, player.email)
    assert db.session.get(Profile, player.id).verification_state != "verified"
    assert db.session.get(Profile, player.id).payout_state != "enabled"
    assert them.display_name == other.display_name and db.session.get(Profile, other.id).bio == other.profile.bio


def test_the_booking_form_takes_the_price_and_status_from_the_player_not_the_form(client, login):
    player, fan, victim = PlayerFactory(setup__paid=True), FanFactory(), FanFactory()
    login(fan)
    data = {"start": iso_utc(weekday_at(10)), "duration": "30"}
    assert client.post(f"/players/{player.id}/book", data=form(client, data, fan_id=victim.id)).status_code == 303
    session = db.session.scalar(db.select(LiveSession).where(LiveSession.player_id == player.id))
    assert (session.fan_id, session.price_amount, session.currency, session.status) == (
        fan.id,
        2500,
        "usd",
        "pending_payment",
    )
    assert session.player_share_amount + session.platform_fee_amount == 2500
    assert not session.player_recording_consent


def test_feedback_and_consent_forms_are_the_signed_in_persons_own(client, login):
    past = utcnow() - timedelta(days=1)
    session = LiveSessionFactory(
        starts_at=past, ends_at=past + timedelta(minutes=30), blocked_until=past + timedelta(minutes=30)
    )
    session.status, session.completed_at = "completed", session.ends_at
    db.session.commit()
    login(session.player)
    feedback = {"rating": "4", "comment": "Good"}
    assert client.post(f"/dashboard/sessions/{session.id}/feedback", data=form(client, feedback)).status_code == 303
    (entry,) = db.session.scalars(db.select(SessionFeedback).where(SessionFeedback.session_id == session.id)).all()
    assert (entry.author_id, entry.rating) == (session.player_id, 4)
    # The fan's feedback is their review: whose it is, about whom, and whether hidden come from the session.
    login(session.fan)
    review = {"rating": "5", "text": "Good", "visibility": "public", "hidden_at": "2020-01-01", "reply_text": "x"}
    assert client.post(f"/dashboard/sessions/{session.id}/review", data=form(client, review)).status_code == 303
    (left,) = db.session.scalars(db.select(Review).where(Review.session_id == session.id)).all()
    assert (left.author_id, left.player_id, left.rating, left.public) == (session.fan_id, session.player_id, 5, True)
    assert left.hidden_at is None and left.reply_text is None


def test_an_admin_verifying_a_player_changes_only_the_verification(client, login):
    player = PlayerFactory(setup__verified=False)
    login(AdminFactory())
    data = {"decision": "approve", "note": "ok"}
    assert client.post(f"/admin/players/{player.id}/verify", data=form(client, data)).status_code == 303
    user = db.session.get(User, player.id)
    assert db.session.get(Profile, player.id).verification_state == "verified"
    assert (user.role, user.is_admin, user.password_hash) == ("player", False, player.password_hash)
