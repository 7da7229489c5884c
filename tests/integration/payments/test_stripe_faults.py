"""Stripe failing: 500s, timeouts and outages, through the real adapter and the sandbox over HTTP.

The sandbox is told to fail (store.inject_faults): "error" answers a 500 that the stripe library
retries by itself, "stall" does the work but answers after the adapter's timeout (the answer is
lost), "unavailable" answers a 503 that Stripe says not to retry. In every case the fan is told
plainly, and however often a request is repeated there is one Checkout, so one charge at most.
(A single 503 surfacing as ProviderUnavailable is in test_checkout.py.)
"""

from __future__ import annotations

import sqlite3

import pytest
from flask import current_app

from kendama.integrations.stripe.sandbox import store
from kendama.services.payments import checkout

from ...support.booking_helpers import weekday_at
from ...support.factories import FanFactory, PlayerFactory
from ...support.payments_helpers import Browser, held_session, sandbox_path, session_payments

pytestmark = pytest.mark.committed

CHECKOUTS = "POST /v1/checkout/sessions"


@pytest.fixture
def short_timeout(live):
    """The adapter gives up on Stripe after 1 s (clients are cached per app, so rebuild them)."""
    config, clients = live.app.config, live.app.extensions
    config["STRIPE_TIMEOUT_SECONDS"] = 1
    clients.pop("kendama.stripe_clients", None)
    yield
    config["STRIPE_TIMEOUT_SECONDS"] = 15
    clients.pop("kendama.stripe_clients", None)


def checkouts_for(session_id: int) -> list[str]:
    """Every Checkout Session the sandbox holds for one booking."""
    with sqlite3.connect(store_path()) as conn:
        rows = conn.execute(
            "SELECT id FROM objects WHERE type = 'checkout.session' AND json_extract(data, '$.client_reference_id') = ?",
            (str(session_id),),
        ).fetchall()
    return [row[0] for row in rows]


def store_path() -> str:
    from kendama.integrations.stripe.sandbox import config as sandbox_config

    return sandbox_config.database_path(current_app)


def test_a_500_is_retried_by_the_adapter_and_one_checkout_opens(live):
    session = held_session()
    store.inject_faults(sandbox_path(live), CHECKOUTS, 1, kind="error")
    payment = checkout.open_checkout(session.id)
    assert payment.checkout_url
    assert checkouts_for(session.id) == [payment.checkout_session_id]
    assert len(session_payments(session.id)) == 1


def test_a_lost_answer_is_retried_with_the_same_key_and_replayed(live, short_timeout):
    # Stripe made the Checkout but its answer came after the adapter's timeout; the retry sends
    # the same Idempotency-Key, so Stripe replays that Checkout instead of making a second one.
    session = held_session()
    store.inject_faults(sandbox_path(live), CHECKOUTS, 1, kind="stall", seconds=1.5)
    payment = checkout.open_checkout(session.id)
    assert checkouts_for(session.id) == [payment.checkout_session_id]
    assert len(session_payments(session.id)) == 1


def test_stripe_timing_out_tells_the_fan_and_paying_later_uses_the_same_checkout(live, short_timeout):
    player = PlayerFactory(setup__paid=True, setup__price=2500)
    browser = Browser(live).login(FanFactory())
    page = f"/players/{player.id}/book"
    # Every attempt of the adapter (the first and its two retries) times out.
    store.inject_faults(sandbox_path(live), CHECKOUTS, 3, kind="stall", seconds=1.2)
    booked = browser.submit(page, page, {"start": weekday_at(11, days_ahead=6).isoformat(), "duration": "30"})
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/payment"), booked.text[:500]
    [held] = session_payments(int(booked.headers["Location"].split("/")[-2]))
    session_id = held.session_id
    assert held.checkout_url is None  # the answer never came; the hold stays

    status = browser.get(booked.headers["Location"])
    assert status.status_code == 200
    assert "We could not reach Stripe to start your payment. Nothing was charged." in status.text
    assert "Pay now" in status.text

    # Stripe still down: a clear 503 that says the slot is still held; nothing opened.
    store.inject_faults(sandbox_path(live), CHECKOUTS, 1, kind="unavailable")
    refused = browser.submit(booked.headers["Location"], f"/sessions/{session_id}/payment/checkout")
    assert refused.status_code == 503 and "Your slot is still held" in refused.text

    # Back up: paying goes to the Checkout Stripe made during the timed-out attempts (one Checkout).
    resumed = browser.submit(booked.headers["Location"], f"/sessions/{session_id}/payment/checkout")
    assert resumed.status_code == 303
    [payment] = session_payments(session_id)
    assert payment.idempotency_key == held.idempotency_key
    assert checkouts_for(session_id) == [payment.checkout_session_id]
    assert resumed.headers["Location"] == payment.checkout_url
