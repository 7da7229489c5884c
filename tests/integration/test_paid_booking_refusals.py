"""A paid booking the player cannot be paid for is refused before anything is written: no
pending_payment row holds the slot for the 35 minutes of a hold, and the slot stays bookable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kendama.extensions import db
from kendama.models import LiveSession, Payment, Profile
from kendama.services.timezones import iso_utc

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def ready_player_without_an_account(app, monkeypatch):
    """Our records say charges are on, but name no connected account, with a real Stripe key (no
    sandbox to make one): the Checkout could never be opened."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_not_called")
    player = PlayerFactory(setup__paid=True)
    db.session.get(Profile, player.id).payout_account_id = None
    db.session.commit()
    return player


def test_a_paid_booking_that_cannot_be_paid_writes_nothing_and_the_slot_stays_open(
    client, api_token, ready_player_without_an_account
):
    player = ready_player_without_an_account
    at = weekday_at(10, days_ahead=4)
    start = at.isoformat()
    body = {"player_id": player.id, "start": start, "duration_minutes": 30}
    response = client.post("/api/sessions", json=body, headers=api_token(FanFactory()))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "payments_unavailable"
    assert (rows(LiveSession), rows(Payment)) == (0, 0)
    window = {"from": start, "to": (at + timedelta(hours=1)).isoformat(), "duration": 30}
    slots = client.get(f"/api/users/{player.id}/availability", query_string=window).json["slots"]
    assert iso_utc(at) in [slot["start"] for slot in slots]


def test_the_booking_page_says_so_before_the_fan_tries(client, login, ready_player_without_an_account):
    login(FanFactory())
    page = client.get(f"/players/{ready_player_without_an_account.id}/book").get_data(as_text=True)
    assert "This player cannot take payments right now" in page
