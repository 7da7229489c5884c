"""Player profiles and admin verification through the JSON API."""

import pytest

from kendama.extensions import db
from kendama.models import Profile

from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def test_player_updates_profile_and_free_offerings(client, api_token):
    player = PlayerFactory()
    headers = api_token(player)
    response = client.put(
        "/api/users/me/profile",
        headers=headers,
        json={
            "bio": "Spikes and lunars.",
            "offerings": [{"duration_minutes": 15, "price_amount": 0}, {"duration_minutes": 30, "price_amount": 0}],
            "accepts_bookings": True,
            "recording_default": True,
        },
    )
    assert response.status_code == 200, response.json
    assert [o["duration_minutes"] for o in response.json["offerings"]] == [15, 30]
    assert response.json["bio"] == "Spikes and lunars."
    assert response.json["recording_default"] is True


def test_paid_offering_needs_payouts(client, api_token):
    player = PlayerFactory()
    response = client.put(
        "/api/users/me/profile",
        headers=api_token(player),
        json={"offerings": [{"duration_minutes": 30, "price_amount": 2500}]},
    )
    assert response.status_code == 422
    assert "offerings" in response.json["error"]["fields"]
    assert [o.price_amount for o in db.session.get(Profile, player.id).offerings] == [0]


def test_paid_offering_allowed_with_charges_enabled(client, api_token):
    player = PlayerFactory(setup__paid=True)
    response = client.put(
        "/api/users/me/profile",
        headers=api_token(player),
        json={"offerings": [{"duration_minutes": 20, "price_amount": 999}]},
    )
    assert response.status_code == 200
    assert response.json["offerings"] == [{"duration_minutes": 20, "price": {"amount": 999, "currency": "usd"}}]


def test_profile_validation_is_422_and_changes_nothing(client, api_token):
    player = PlayerFactory()
    response = client.put(
        "/api/users/me/profile",
        headers=api_token(player),
        json={"bio": "changed", "offerings": [{"duration_minutes": 45, "price_amount": -1}], "currency": "zzz"},
    )
    assert response.status_code == 422
    assert db.session.get(Profile, player.id).bio == "Teaches kendama."


def test_duplicate_durations_rejected(client, api_token):
    player = PlayerFactory()
    response = client.put(
        "/api/users/me/profile",
        headers=api_token(player),
        json={"offerings": [{"duration_minutes": 15, "price_amount": 0}, {"duration_minutes": 15, "price_amount": 0}]},
    )
    assert response.status_code == 422


def test_fan_cannot_edit_profile(client, api_token):
    assert client.put("/api/users/me/profile", headers=api_token(FanFactory()), json={"bio": "x"}).status_code == 403


def test_unknown_field_is_422(client, api_token):
    response = client.put("/api/users/me/profile", headers=api_token(PlayerFactory()), json={"verified": True})
    assert response.status_code == 422


def test_admin_verifies_player_then_listed(client, api_token):
    player = PlayerFactory(setup__verified=False)
    assert client.get(f"/api/players/{player.id}").status_code == 404
    assert player.id not in [p["id"] for p in client.get("/api/players").json["items"]]

    response = client.post(f"/api/admin/players/{player.id}/verify", headers=api_token(AdminFactory()))
    assert response.status_code == 200
    assert response.json["verification_state"] == "verified"
    listed = client.get(f"/api/players/{player.id}")
    assert listed.status_code == 200 and listed.json["verified"] is True


def test_only_admins_verify(client, api_token):
    player = PlayerFactory(setup__verified=False)
    for actor in (FanFactory(), PlayerFactory()):
        assert client.post(f"/api/admin/players/{player.id}/verify", headers=api_token(actor)).status_code == 403
    assert client.post(f"/api/admin/players/{player.id}/verify").status_code == 401


def test_verify_unknown_player_is_404(client, api_token):
    assert client.post("/api/admin/players/999999/verify", headers=api_token(AdminFactory())).status_code == 404


def test_player_listing_filters_and_pagination(client):
    free = PlayerFactory(display_name="Free Fred")
    paid = PlayerFactory(display_name="Paid Paula", setup__paid=True)
    ids = lambda r: {p["id"] for p in r.json["items"]}  # noqa: E731
    assert {free.id, paid.id} <= ids(client.get("/api/players?per_page=100"))
    assert free.id in ids(client.get("/api/players?free=true&per_page=100"))
    assert paid.id not in ids(client.get("/api/players?free=true&per_page=100"))
    assert ids(client.get("/api/players?q=paula")) == {paid.id}
    assert paid.id not in ids(client.get("/api/players?max_price=1000&per_page=100"))
    page = client.get("/api/players?per_page=1&page=1").json
    assert page["per_page"] == 1 and len(page["items"]) == 1 and page["total"] >= 2
    assert client.get("/api/players?per_page=500").status_code == 422
    assert client.get("/api/players?duration=abc").status_code == 422
