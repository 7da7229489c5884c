"""The packages part of the JSON contract (../shared/API.md, "Marketplace")."""

from __future__ import annotations

import pytest

from kendama.services.payments import packages

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory
from .test_html_packages import credits_for

pytestmark = pytest.mark.both_databases


def paid_player():
    return PlayerFactory(setup__paid=True, setup__price=2500, setup__currency="eur")


def test_a_player_replaces_the_offer_with_a_json_array_and_anyone_reads_it(client, api_token):
    player = paid_player()
    headers = api_token(player)
    body = [{"lessons": 3, "duration_minutes": 30, "price_amount": 6000}]
    answer = client.put("/api/users/me/packages", json=body, headers=headers)
    assert answer.status_code == 200, answer.json
    (item,) = answer.json["items"]
    assert {
        k: item[k] for k in ("lessons", "price_amount", "single_price_amount", "saving_amount", "saving_percent")
    } == {
        "lessons": 3,
        "price_amount": 6000,
        "single_price_amount": 2500,
        "saving_amount": 1500,
        "saving_percent": 20,
    }
    public = client.get(f"/api/players/{player.id}/packages")
    assert public.status_code == 200 and public.json["items"] == answer.json["items"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ([{"lessons": 3, "duration_minutes": 30, "price_amount": 9000}], 422, "0.price_amount"),
        ([{"lessons": 3, "duration_minutes": 30, "price_amount": "60"}], 422, "0.price_amount"),
        ([{"lessons": 3, "duration_minutes": 30, "price_amount": 6000, "currency": "usd"}], 422, "0.currency"),
        ({"lessons": 3}, 400, None),
    ],
)
def test_a_bad_offer_is_refused_and_changes_nothing(client, api_token, body, status, field):
    player = paid_player()
    packages.set_packages(player, [packages.PackageInput(2, 30, 4500)])
    answer = client.put("/api/users/me/packages", json=body, headers=api_token(player))
    assert answer.status_code == status, answer.json
    if field:
        assert field in answer.json["error"]["fields"]
    assert [o.lessons for o in packages.offers_of(player.id)] == [2]


def test_a_fan_cannot_offer_packages(client, api_token):
    assert client.put("/api/users/me/packages", json=[], headers=api_token(FanFactory())).status_code == 403


def test_buying_answers_the_checkout_to_pay_on(client, api_token):
    player = paid_player()
    (offer,) = packages.set_packages(player, [packages.PackageInput(3, 30, 6000)])
    answer = client.post(f"/api/packages/{offer.id}/purchase", headers=api_token(FanFactory()))
    assert answer.status_code == 201, answer.json
    assert answer.json["checkout_url"].startswith("http") and answer.json["purchase_id"]
    own = client.post(f"/api/packages/{offer.id}/purchase", headers=api_token(player))
    assert own.status_code == 422 and own.json["error"]["code"] == "self_booking"


def test_booking_with_a_credit_and_reading_the_credits(client, api_token):
    player, fan = paid_player(), FanFactory()
    purchase = credits_for(fan, player)
    headers = api_token(fan)
    start = weekday_at(11, zone=player.timezone, days_ahead=4).isoformat()
    body = {"player_id": player.id, "start": start, "duration_minutes": 30, "use_credit": True}
    booked = client.post("/api/sessions", json=body, headers=headers)
    assert booked.status_code == 201, booked.json
    assert booked.json["status"] == "confirmed" and booked.json["price"]["amount"] == 0
    (line,) = client.get("/api/users/me/credits", headers=headers).json["items"]
    assert (line["purchase_id"], line["available"], line["used"], line["refund_amount"]) == (purchase.id, 2, 1, 4000)
    later = weekday_at(14, zone=player.timezone, days_ahead=4).isoformat()
    other = {**body, "player_id": paid_player().id, "start": later}
    refused = client.post("/api/sessions", json=other, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "no_credit"
