"""Young fans through HTTP: the API's birth year and guardian, the registration page, the
guardian's consent and cancel pages (CSRF included), the booking page's refusal, and "minor"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kendama.extensions import db, mail
from kendama.models import GuardianConsent, LiveSession, User, utcnow
from kendama.services.accounts import guardians
from kendama.services.booking import lifecycle
from kendama.tasks.queue import dispatch_committed

from ..conftest import csrf_token_from
from ..support.account_helpers import confirm, confirmation_path, register_on_page
from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

THIS_YEAR = utcnow().year
GUARDIAN = "parent@example.com"
NEW_FAN = {"password": "long-enough-pw-9", "display_name": "Kid", "role": "fan", "timezone": "UTC"}


def register(client, **fields):
    return client.post("/api/users", json={"email": "kid@example.com", **NEW_FAN, **fields})


def token_for(client, email: str = "kid@example.com") -> dict:
    token = client.post("/api/tokens", json={"email": email, "password": NEW_FAN["password"]}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def young_fan(**allowed) -> User:
    fan = FanFactory(birth_year=THIS_YEAR - 13, display_name="Kai Kid")
    consent = guardians.name_guardian(fan, GUARDIAN)
    db.session.commit()
    if allowed:
        guardians.approve(guardians.consent_token(consent), guardians.Allowances(**allowed))
    return fan


# --- The API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["2010", 2010.0, THIS_YEAR + 1, 1850, 123456, True])
def test_a_birth_year_that_is_not_a_past_year_is_a_422_on_the_field(client, year):
    answer = register(client, birth_year=year, guardian_email=GUARDIAN)
    assert answer.status_code == 422 and "birth_year" in answer.json["error"]["fields"]


def test_a_young_fan_needs_a_guardian_address_that_is_not_their_own(client):
    missing = register(client, birth_year=THIS_YEAR - 12)
    assert missing.status_code == 422 and "guardian_email" in missing.json["error"]["fields"]
    own = register(client, birth_year=THIS_YEAR - 12, guardian_email="kid@example.com")
    assert own.status_code == 422 and "not yours" in own.json["error"]["fields"]["guardian_email"]


def test_a_young_fan_browses_but_books_only_once_the_guardian_confirmed(client):
    created = register(client, birth_year=THIS_YEAR - 12, guardian_email=GUARDIAN)
    assert created.status_code == 201
    headers = token_for(client)
    status = client.get("/api/users/me/guardian", headers=headers).json
    assert status == {
        "required": True,
        "status": "pending",
        "guardian_email": GUARDIAN,
        "allowances": {"free_lessons": False, "paid_lessons": False, "recording": False, "sharing": False},
    }
    player = PlayerFactory()
    assert client.get(f"/api/players/{player.id}").status_code == 200
    booking = {"player_id": player.id, "start": weekday_at(10).isoformat(), "duration_minutes": 30}
    refused = client.post("/api/sessions", json=booking, headers=headers)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "guardian_consent_required"
    resent = client.post("/api/users/me/guardian/resend", headers=headers)
    assert resent.status_code == 202 and resent.json["status"] == "pending"

    consent = db.session.scalar(select(GuardianConsent))
    guardians.approve(guardians.consent_token(consent), guardians.Allowances(free_lessons=True))
    booked = client.post("/api/sessions", json=booking, headers=headers)
    assert booked.status_code == 201 and booked.json["fan_is_minor"] is True
    paid = PlayerFactory(setup__paid=True)
    refused = client.post("/api/sessions", json={**booking, "player_id": paid.id}, headers=headers)
    assert refused.json["error"]["code"] == "guardian_forbids_paid"


def test_an_api_account_without_a_birth_year_is_an_adult(client):
    assert register(client).status_code == 201
    answer = client.get("/api/users/me/guardian", headers=token_for(client)).json
    assert (answer["required"], answer["status"], answer["allowances"]["paid_lessons"]) == (False, "none", True)
    refused = client.post("/api/users/me/guardian/resend", headers=token_for(client))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_guardian"


def test_the_openapi_document_knows_the_new_fields_and_routes(client):
    spec = client.get("/api/openapi.json").json
    assert {"birth_year", "guardian_email"} <= set(spec["components"]["schemas"]["RegisterIn"]["properties"])
    assert "/api/users/me/guardian" in spec["paths"] and "/api/users/me/guardian/resend" in spec["paths"]


# --- The registration page ---------------------------------------------------------------------


def test_the_page_asks_every_fan_for_the_birth_year(client):
    response, _sent = register_on_page(client, "nia@example.com", "long-enough-pw", birth_year="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="birth_year-error">Enter the year you were born.' in html
    response, _sent = register_on_page(client, "nia@example.com", "long-enough-pw", birth_year="twenty")
    assert response.status_code == 422 and "as four digits" in response.get_data(as_text=True)
    response, _sent = register_on_page(client, "nia@example.com", "long-enough-pw", birth_year=str(THIS_YEAR + 3))
    assert response.status_code == 422 and "between 1900 and" in response.get_data(as_text=True)
    response, _sent = register_on_page(client, "pia@example.com", "long-enough-pw", role="player", birth_year="")
    assert response.status_code == 303  # players leave it empty


def test_a_young_fan_registers_on_the_page_and_the_guardian_is_asked_after_the_confirmation(client):
    young = {"birth_year": str(THIS_YEAR - 13)}
    response, _sent = register_on_page(client, "kid@example.com", "long-enough-pw", **young)
    assert response.status_code == 422 and "need a parent or guardian" in response.get_data(as_text=True)
    response, sent = register_on_page(client, "kid@example.com", "long-enough-pw", guardian_email=GUARDIAN, **young)
    assert response.status_code == 303 and [m.recipients for m in sent] == [["Nia <kid@example.com>"]]
    with mail.record_messages() as outbox:
        assert confirm(client, confirmation_path(sent), "long-enough-pw").status_code == 303
    (request,) = [message for message in outbox if GUARDIAN in message.recipients[0]]
    settings = client.get("/account").get_data(as_text=True)
    assert "We emailed parent@example.com a link to confirm" in settings

    link = re.search(r"http://localhost(/guardian/[\w.\-]+)", request.body).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Until you confirm, Nia can look around but cannot book anything." in page
    without_csrf = client.post(link, data={"free_lessons": "y"})
    assert without_csrf.status_code == 400
    saved = client.post(link, data={"csrf_token": csrf_token_from(client), "free_lessons": "y"})
    assert saved.status_code == 303
    consent = db.session.scalar(select(GuardianConsent))
    assert consent.approved and consent.allow_free_lessons and not consent.allow_paid_lessons


# --- Booking page, the player's view, and the guardian's cancel page ---------------------------


def test_the_booking_page_says_why_a_young_fan_cannot_book_yet(client, login):
    fan = young_fan()
    player = PlayerFactory()
    login(fan)
    page = client.get(f"/players/{player.id}/book").get_data(as_text=True)
    assert "Your parent or guardian has not confirmed yet" in page


def test_the_booking_page_leaves_recording_out_when_the_guardian_did_not_allow_it(client, login):
    fan = young_fan(free_lessons=True)
    player = PlayerFactory()
    login(fan)
    page = client.get(f"/players/{player.id}/book").get_data(as_text=True)
    assert "has not confirmed" not in page
    assert "Not recorded: your guardian has not allowed recording your lessons." in page
    assert 'name="recording_consent"' not in page


def test_the_player_sees_minor_and_never_the_age(client, login):
    fan = young_fan(free_lessons=True)
    player = PlayerFactory()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    login(player)
    for path in (f"/sessions/{session.id}/booked", f"/sessions/{session.id}/join"):
        page = client.get(path).get_data(as_text=True)
        assert '<span class="tag tag-warn">minor</span>' in page, path
        assert not re.search(rf"\b{fan.birth_year}\b|years old|\bage\b", page), path
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "You teach Kai Kid (a minor)" in dashboard


def test_the_guardian_cancels_from_the_link_in_the_copy_with_a_form(client):
    fan = young_fan(free_lessons=True)
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    with mail.record_messages() as sent:
        dispatch_committed()
    (copy,) = [message for message in sent if GUARDIAN in message.recipients[0]]
    link = re.search(r"http://localhost(/guardian/cancel/[\w.\-]+)", copy.body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Cancel this lesson?" in page.get_data(as_text=True)
    assert client.post(link, data={"reason": "No"}).status_code == 400  # no CSRF token
    assert db.session.get(LiveSession, session.id).status == "confirmed"
    with mail.record_messages() as sent:
        done = client.post(link, data={"csrf_token": csrf_token_from(client), "reason": "Homework first"})
    assert done.status_code == 303 and done.headers["Location"] == "/guardian/cancelled"
    db.session.expire_all()
    cancelled = db.session.get(LiveSession, session.id)
    assert (cancelled.status, cancelled.cancelled_by_role) == ("cancelled", "guardian")
    assert any(GUARDIAN in message.recipients[0] and "You cancelled" in message.body for message in sent)
    again = client.get(link)
    assert again.status_code == 409  # cancelled already: the page says it can no longer be


def test_a_forged_guardian_link_is_refused(client):
    assert client.get("/guardian/forged-token").status_code == 403
    assert client.get("/guardian/cancel/forged-token").status_code == 403
