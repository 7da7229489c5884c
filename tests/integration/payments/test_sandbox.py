"""The Stripe sandbox as an HTTP API (served in-process to the test client) and when it must refuse."""

from __future__ import annotations

import time

import pytest

from kendama import create_app
from kendama.integrations.stripe import gateway as stripe_gateway
from kendama.integrations.stripe.sandbox import config as sandbox_config
from kendama.integrations.stripe.sandbox.params import decode_form
from kendama.models import LiveSession
from kendama.services.payments import checkout

from ...support.deployed import production_settings
from ...support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

AUTH = {"Authorization": f"Bearer {sandbox_config.API_KEY}"}
API = sandbox_config.URL_PREFIX + "/v1"


def checkout_form(**changes) -> dict:
    form = {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "jpy",
        "line_items[0][price_data][unit_amount]": "1500",
        "line_items[0][price_data][product_data][name]": "Lesson",
        "success_url": "http://localhost/done?cs={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://localhost/back",
        "expires_at": str(int(time.time()) + 3600),
        "metadata[session_id]": "7",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_nested_form_keys_decode_like_stripe_reads_them():
    decoded = decode_form(
        [("line_items[0][price_data][unit_amount]", "5"), ("line_items[1][quantity]", "2"), ("metadata[a]", "b")]
    )
    assert decoded == {"line_items": [{"price_data": {"unit_amount": "5"}}, {"quantity": "2"}], "metadata": {"a": "b"}}


def test_requests_need_the_sandbox_key(client):
    response = client.post(f"{API}/checkout/sessions", data=checkout_form(), headers={"Authorization": "Bearer sk_x"})
    assert response.status_code == 401
    assert response.json["error"]["type"] == "invalid_request_error"


def test_a_checkout_session_has_stripes_shape(client):
    response = client.post(f"{API}/checkout/sessions", data=checkout_form(), headers=AUTH)
    assert response.status_code == 200
    body = response.json
    assert body["object"] == "checkout.session" and body["id"].startswith("cs_test_")
    assert (body["amount_total"], body["currency"], body["status"], body["payment_status"]) == (
        1500,
        "jpy",
        "open",
        "unpaid",
    )
    assert body["metadata"] == {"session_id": "7"}
    fetched = client.get(f"{API}/checkout/sessions/{body['id']}", headers=AUTH).json
    assert fetched["id"] == body["id"]
    assert client.get(f"{API}/checkout/sessions/cs_test_nope", headers=AUTH).status_code == 404


def test_idempotency_keys_replay_and_refuse_other_parameters(client):
    headers = {**AUTH, "Idempotency-Key": "same-key-for-test"}
    form = checkout_form()  # once: its expires_at moves with the clock, and a replay must match to the letter
    first = client.post(f"{API}/checkout/sessions", data=form, headers=headers)
    again = client.post(f"{API}/checkout/sessions", data=form, headers=headers)
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        f"{API}/checkout/sessions", data=checkout_form(**{"metadata[session_id]": "8"}), headers=headers
    )
    assert other.status_code == 400 and other.json["error"]["type"] == "idempotency_error"


def test_validation_errors_name_the_parameter_and_are_not_kept_for_replay(client):
    headers = {**AUTH, "Idempotency-Key": "too-soon-key"}
    too_soon = checkout_form(expires_at=str(int(time.time()) + 60))
    response = client.post(f"{API}/checkout/sessions", data=too_soon, headers=headers)
    assert response.status_code == 400 and response.json["error"]["param"] == "expires_at"
    # Nothing ran, so nothing was kept: the key works for a corrected request.
    assert client.post(f"{API}/checkout/sessions", data=checkout_form(), headers=headers).status_code == 200
    missing = client.post(f"{API}/checkout/sessions", data=checkout_form(mode=None), headers=AUTH)
    assert missing.json["error"] == {
        "type": "invalid_request_error",
        "message": "Missing required param: mode.",
        "param": "mode",
        "code": "parameter_missing",
    }


def test_a_destination_must_be_able_to_take_transfers(client):
    refused = client.post(
        f"{API}/accounts",
        data={"controller[stripe_dashboard][type]": "express", "controller[requirement_collection]": "application"},
        headers=AUTH,
    )
    assert refused.status_code == 400  # the Express Dashboard needs Stripe to collect requirements
    account = client.post(
        f"{API}/accounts",
        data={
            "controller[stripe_dashboard][type]": "express",
            "controller[fees][payer]": "application",
            "controller[losses][payments]": "application",
            "capabilities[transfers][requested]": "true",
        },
        headers=AUTH,
    ).json
    assert (account["charges_enabled"], account["capabilities"]) == (False, {"transfers": "inactive"})
    form = checkout_form(
        **{
            "payment_intent_data[application_fee_amount]": "100",
            "payment_intent_data[transfer_data][destination]": account["id"],
        }
    )
    response = client.post(f"{API}/checkout/sessions", data=form, headers=AUTH)
    assert response.status_code == 400 and response.json["error"]["code"] == "insufficient_capabilities_for_transfer"


def test_paying_in_process_confirms_the_booking(app, client):
    """Without a live server (the default in tests) the adapter reaches the sandbox in-process."""
    player = PlayerFactory(setup__paid=True)
    session = LiveSessionFactory(
        fan=FanFactory(),
        player=player,
        status="pending_payment",
        price_amount=2500,
        platform_fee_amount=375,
        player_share_amount=2125,
    )
    payment = checkout.open_checkout(session.id)
    assert payment.checkout_url.startswith("http://localhost/_sandbox/stripe/c/pay/")
    page = client.get(payment.checkout_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'autocomplete="cc-number"' in html and '<label for="number">Card number</label>' in html
    response = client.post(
        payment.checkout_url,
        data={"card_number": "4242424242424242", "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "F"},
    )
    assert response.status_code == 303
    from kendama.extensions import db

    db.session.expire_all()
    assert db.session.get(LiveSession, session.id).status == "confirmed"


def test_a_cross_site_post_to_the_checkout_page_is_refused(client):
    created = client.post(f"{API}/checkout/sessions", data=checkout_form(), headers=AUTH).json
    response = client.post(
        created["url"], data={"card_number": "4242424242424242"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("config_name", "overrides"),
    [
        ("testing", {"STRIPE_SECRET_KEY": "sk_test_real_account_key"}),
        ("production", production_settings()),
    ],
    ids=["real-key", "production"],
)
def test_the_sandbox_refuses_to_run(database_url, config_name, overrides):
    other = create_app(config_name, {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None, **overrides})
    response = other.test_client().post(f"{API}/checkout/sessions", data=checkout_form(), headers=AUTH)
    assert response.status_code == 404
    assert other.test_client().get(f"{sandbox_config.URL_PREFIX}/c/pay/cs_test_x").status_code == 404


def test_the_adapter_never_uses_the_sandbox_with_a_real_key_and_refuses_production_without_one(database_url):
    real = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "STRIPE_SECRET_KEY": "sk_test_abc"})
    with real.app_context():
        current = stripe_gateway.settings()
        assert (current.api_base, current.sandbox, current.api_key) == (None, False, "sk_test_abc")
        assert not stripe_gateway.uses_sandbox()
    production = create_app("production", production_settings(SQLALCHEMY_DATABASE_URI=database_url))
    with production.app_context():
        with pytest.raises(stripe_gateway.PaymentsNotConfigured, match="STRIPE_SECRET_KEY"):
            stripe_gateway.settings()
        with pytest.raises(stripe_gateway.PaymentsNotConfigured):
            stripe_gateway.construct_event(b"{}", "t=1,v1=x")


def test_the_sandbox_provisions_a_ready_account_under_the_id_asked_for_and_keeps_one_it_has(app):
    with app.test_request_context():
        account_id = stripe_gateway.ensure_sandbox_account("acct_test_provisioned", "ava@example.com", "Ava")
        assert account_id == "acct_test_provisioned"
        account = stripe_gateway.retrieve_account(account_id)
        assert (account["charges_enabled"], account["business_profile"]["name"]) == (True, "Ava")
        assert account["capabilities"] == {"card_payments": "active", "transfers": "active"}
        assert stripe_gateway.ensure_sandbox_account(account_id, "other@example.com", "Other") == account_id
        assert stripe_gateway.retrieve_account(account_id)["email"] == "ava@example.com"
        assert stripe_gateway.ensure_sandbox_account(None, "leo@example.com", "Leo").startswith("acct_")
