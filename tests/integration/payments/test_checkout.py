"""Paid bookings through the real Stripe adapter and the sandbox over HTTP: checkout to confirmation."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import select

from kendama import jobs
from kendama.extensions import db
from kendama.integrations.stripe import gateway as stripe_gateway
from kendama.integrations.stripe.sandbox import cards, delivery, ledger, store
from kendama.models import LiveSession, Notification, Payment, WebhookEvent, utcnow
from kendama.services.booking import lifecycle
from kendama.services.errors import ProviderUnavailable, WrongState
from kendama.services.payments import checkout as payments

from ...support.factories import LiveSessionFactory
from ...support.payments_helpers import (
    DECLINED_CARD,
    GOOD_CARD,
    Browser,
    delivered_events,
    fresh,
    held_session,
    pay,
    post_signed,
    sandbox_object,
    sandbox_path,
    session_payments,
    session_refunds,
    wait_for,
)

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def kinds_for(user_id: int, session_id: int) -> set[str]:
    db.session.rollback()
    return set(
        db.session.scalars(
            select(Notification.kind).where(Notification.user_id == user_id, Notification.session_id == session_id)
        )
    )


def test_paid_booking_end_to_end(live):
    session = held_session(price=2500)
    payment = payments.open_checkout(session.id)

    # What Stripe was asked for: the price, the fee as a destination charge, the hold as expiry.
    checkout = stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)
    assert (checkout["amount_total"], checkout["currency"], checkout["mode"]) == (2500, "usd", "payment")
    assert checkout["client_reference_id"] == str(session.id)
    assert checkout["metadata"]["session_id"] == str(session.id)
    assert checkout["customer_email"] == session.fan.email
    assert checkout["expires_at"] == int(payment.expires_at.timestamp())
    assert fresh(LiveSession, session.id).hold_expires_at == payment.expires_at
    assert payment.application_fee_amount == 375 and payment.destination_account_id
    assert payment.checkout_url.startswith(live.url + "/_sandbox/stripe/c/pay/cs_test_")

    # The fan may reach the return page before the webhook: it shows the wait, and polls.
    browser = Browser(live).login(session.fan)
    waiting = browser.get(f"/sessions/{session.id}/payment").text
    assert "waiting for Stripe to confirm" in waiting and 'hx-trigger="load delay:2s"' in waiting

    response = pay(payment.checkout_url)
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"{live.url}/sessions/{session.id}/payment?checkout_session_id={checkout['id']}"
    )

    confirmed = fresh(LiveSession, session.id)
    assert confirmed.status == "confirmed" and confirmed.hold_expires_at is None
    paid = fresh(Payment, payment.id)
    assert paid.status == "paid" and paid.payment_intent_id.startswith("pi_test_")
    intent = sandbox_object(live, paid.payment_intent_id)
    charge = sandbox_object(live, intent["latest_charge"])
    assert intent["application_fee_amount"] == 375
    assert sandbox_object(live, charge["transfer"])["amount"] == 2500 - 375
    assert sandbox_object(live, charge["transfer"])["destination"] == payment.destination_account_id
    assert {"payment_received", "booking_confirmed"} <= kinds_for(session.fan_id, session.id)

    # The fragment the page polls now says so and carries no further polling.
    assert "your session is confirmed" in browser.get(response.headers["Location"]).text
    text = browser.get(f"/sessions/{session.id}/payment/status", headers={"HX-Request": "true"}).text
    assert "your session is confirmed" in text and "hx-get" not in text
    assert 'data-announce="Payment received. Your session is confirmed."' in text


def test_open_checkout_twice_returns_the_same_checkout(live):
    session = held_session()
    first = payments.open_checkout(session.id)
    second = payments.open_checkout(session.id)
    assert (second.id, second.checkout_session_id) == (first.id, first.checkout_session_id)
    assert len(session_payments(session.id)) == 1


def test_declined_card_leaves_the_checkout_open(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    response = pay(payment.checkout_url, card=DECLINED_CARD)
    assert response.status_code == 402
    page = response.text
    assert "Your card was declined." in page and 'role="alert"' in page
    assert re.search(r'name="card_number"[^>]*value=""', page)  # the number is never echoed back
    assert stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)["status"] == "open"
    assert fresh(LiveSession, session.id).status == "pending_payment"
    assert pay(payment.checkout_url).status_code == 303  # a good card still works afterwards
    assert fresh(LiveSession, session.id).status == "confirmed"


def test_expiry_releases_the_hold(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    stripe_gateway.expire_checkout_session(payment.checkout_session_id)
    # Stripe sends checkout.session.expired on its own time, after answering the call.
    released = wait_for(
        lambda: db.session.get(LiveSession, session.id).status == "cancelled" and fresh(LiveSession, session.id)
    )
    assert (released.status, released.cancelled_by_role) == ("cancelled", "system")
    assert fresh(Payment, payment.id).status == "expired"
    assert "hold_expired" in kinds_for(session.fan_id, session.id)
    assert pay(payment.checkout_url).status_code == 409  # the page can no longer be paid


def test_the_sandbox_expires_checkouts_when_their_time_is_up(live):
    from kendama.integrations.stripe.sandbox import clock

    session = held_session()
    payment = payments.open_checkout(session.id)
    assert clock.tick(live.app, moment=int(payment.expires_at.timestamp()) + 1) >= 1
    assert fresh(LiveSession, session.id).status == "cancelled"


def test_duplicate_webhook_changes_nothing(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    pay(payment.checkout_url)
    event = next(
        e
        for e in delivered_events(live, "checkout.session.completed")
        if e["data"]["object"]["id"] == payment.checkout_session_id
    )
    assert fresh(LiveSession, session.id).status == "confirmed"
    before = _notification_count(session.id)

    response = post_signed(live, json.dumps(event))
    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert _notification_count(session.id) == before
    assert db.session.scalar(select(db.func.count(WebhookEvent.id)).where(WebhookEvent.event_id == event["id"])) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "t=1,v1=deadbeef", "garbage", "stale"],
    ids=["unsigned", "bad-signature", "malformed", "stale"],
)
def test_badly_signed_webhook_is_refused_and_changes_nothing(live, signature):
    session = held_session()
    payment = payments.open_checkout(session.id)
    body = json.dumps(_completed_event(payment))
    headers = {"Content-Type": "application/json"}
    if signature == "stale":
        secret = store.webhook_secret(sandbox_path(live))
        headers["Stripe-Signature"] = delivery.signature_header(secret, body, int(utcnow().timestamp()) - 600)
    elif signature:
        headers["Stripe-Signature"] = signature
    response = requests.post(f"{live.url}/webhooks/stripe", data=body, headers=headers, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert fresh(LiveSession, session.id).status == "pending_payment"
    assert db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == "evt_forged")) is None


def test_a_forged_event_with_a_good_signature_still_cannot_confirm_an_unpaid_checkout(live):
    # The handler re-reads the Checkout Session from Stripe, which says it is unpaid.
    session = held_session()
    payment = payments.open_checkout(session.id)
    response = post_signed(live, json.dumps(_completed_event(payment)))
    assert response.status_code == 200
    assert fresh(LiveSession, session.id).status == "pending_payment"


def test_late_payment_on_a_taken_slot_is_refunded_in_full(live):
    session = held_session(price=1800)
    payment = payments.open_checkout(session.id)
    # The hold ran out while the fan was still on the payment page, and someone else booked the slot.
    expired = fresh(LiveSession, session.id)
    expired.status, expired.cancelled_by_role, expired.cancelled_at = "cancelled", "system", utcnow()
    db.session.commit()
    LiveSessionFactory(player=expired.player, starts_at=expired.starts_at, status="confirmed")

    assert pay(payment.checkout_url).status_code == 303
    assert fresh(LiveSession, session.id).status == "cancelled"
    [refund] = session_refunds(session.id)
    assert (refund.amount, refund.reason, refund.status) == (1800, "slot_taken", "succeeded")
    provider = sandbox_object(live, refund.provider_refund_id)
    assert provider["amount"] == 1800 and provider["transfer_reversal"]
    assert "payment_refunded_slot_taken" in kinds_for(session.fan_id, session.id)


def test_late_payment_on_a_free_slot_reactivates_the_booking(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    expired = fresh(LiveSession, session.id)
    expired.status, expired.cancelled_by_role, expired.cancelled_at = "cancelled", "system", utcnow()
    db.session.commit()
    assert pay(payment.checkout_url).status_code == 303
    back = fresh(LiveSession, session.id)
    assert (back.status, back.cancelled_by_role) == ("confirmed", None)
    assert session_refunds(session.id) == []


def test_fan_pays_twice_and_the_second_payment_is_refunded(live):
    session = held_session(price=999)
    first = payments.open_checkout(session.id)
    # A second Checkout for the same booking (say, a stale tab from an earlier attempt).
    second = stripe_gateway.create_checkout_session(
        amount=999,
        currency="usd",
        product_name="Same lesson",
        description="again",
        success_url=f"{live.url}/sessions/{session.id}/payment",
        cancel_url=f"{live.url}/",
        reference=str(session.id),
        customer_email=session.fan.email,
        metadata={"session_id": str(session.id)},
        expires_at=first.expires_at,
        application_fee_amount=first.application_fee_amount,
        destination=first.destination_account_id,
        idempotency_key=f"second-tab-{session.id}",
    )
    assert pay(first.checkout_url).status_code == 303
    assert pay(second["url"]).status_code == 303

    assert fresh(LiveSession, session.id).status == "confirmed"
    paid = [p for p in session_payments(session.id) if p.status == "paid"]
    assert len(paid) == 2
    [refund] = session_refunds(session.id)
    assert (refund.payment_id, refund.amount, refund.reason, refund.status) == (
        paid[1].id,
        999,
        "duplicate",
        "succeeded",
    )
    assert refund.fee_refund_amount == 150  # the whole fee of that payment goes back
    assert sandbox_object(live, refund.provider_refund_id)["reason"] == "duplicate"
    assert "payment_refunded_duplicate" in kinds_for(session.fan_id, session.id)


def test_provider_failure_is_a_503_and_the_retry_sends_the_same_request(live):
    session = held_session()
    store.inject_faults(sandbox_path(live), "POST /v1/checkout/sessions", 1)
    with pytest.raises(ProviderUnavailable):
        payments.open_checkout(session.id)
    [pending] = session_payments(session.id)
    assert pending.checkout_session_id is None
    payment = payments.open_checkout(session.id)
    assert payment.id == pending.id and payment.idempotency_key == pending.idempotency_key
    assert len(session_payments(session.id)) == 1


def test_open_checkout_refuses_what_is_not_waiting_for_payment(live):
    session = held_session(status="confirmed", hold_expires_at=None)
    with pytest.raises(WrongState):
        payments.open_checkout(session.id)


def test_the_cancel_page_offers_to_continue(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    browser = Browser(live).login(session.fan)
    page = browser.get(f"/sessions/{session.id}/payment/cancelled")
    assert page.status_code == 200 and "Nothing was charged" in page.text
    response = browser.submit(f"/sessions/{session.id}/payment/cancelled", f"/sessions/{session.id}/payment/checkout")
    assert response.status_code == 303 and response.headers["Location"] == payment.checkout_url


def test_only_participants_see_the_payment_page(live):
    from ...support.factories import FanFactory

    session = held_session()
    assert Browser(live).login(FanFactory()).get(f"/sessions/{session.id}/payment").status_code == 404


# --- helpers ---------------------------------------------------------------------------------


def _completed_event(payment) -> dict:
    return {
        "id": "evt_forged",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(utcnow().timestamp()),
        "data": {
            "object": {
                "id": payment.checkout_session_id,
                "object": "checkout.session",
                "payment_status": "paid",
                "status": "complete",
            }
        },
    }


def _notification_count(session_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(db.func.count(Notification.id)).where(Notification.session_id == session_id))


def test_a_hold_that_ran_out_cannot_be_paid(live):
    session = held_session(hold_expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(WrongState) as raised:
        payments.open_checkout(session.id)
    assert raised.value.code == "hold_expired"
    assert session_payments(session.id) == []


def test_a_hold_never_outlasts_the_start_and_a_payment_after_the_start_is_refunded(live):
    start = (utcnow() + timedelta(minutes=20)).replace(second=0, microsecond=0)
    session = held_session(starts_at=start, hold_expires_at=start)  # booked 20 minutes ahead
    payment = payments.open_checkout(session.id)
    # The Checkout lives Stripe's 30 minutes; the hold is not stretched with it past the start.
    assert payment.expires_at >= utcnow() + payments.CHECKOUT_MIN_LIFETIME
    assert fresh(LiveSession, session.id).hold_expires_at == start

    # The session began before the sweep released the hold, and the fan pays on the open Checkout.
    late = fresh(LiveSession, session.id)
    late.starts_at = late.hold_expires_at = (utcnow() - timedelta(minutes=1)).replace(microsecond=0)
    late.ends_at = late.blocked_until = late.starts_at + timedelta(minutes=30)
    db.session.commit()
    assert pay(payment.checkout_url).status_code == 303
    released = fresh(LiveSession, session.id)
    assert (released.status, released.cancelled_by_role) == ("cancelled", "system")
    [refund] = session_refunds(session.id)
    assert (refund.amount, refund.reason) == (2500, "session_unavailable")
    kinds = kinds_for(session.fan_id, session.id)
    assert "payment_refunded_unavailable" in kinds and "hold_expired" not in kinds  # it was paid: and refunded
    jobs.expire_booking_holds()
    assert "hold_expired" not in kinds_for(session.fan_id, session.id)


def test_concurrent_deliveries_of_one_event_apply_it_once(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    # Stripe takes the payment; its event is then delivered several times at once.
    path = sandbox_path(live)
    with store.transaction(path) as tx:
        ledger.pay(tx, payment.checkout_session_id, cards.check(GOOD_CARD, "12/34", "123", date.today()))
    [entry] = [
        e
        for e in store.events(path, event_type="checkout.session.completed")
        if e["event"]["data"]["object"]["id"] == payment.checkout_session_id
    ]
    body = json.dumps(entry["event"])
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: post_signed(live, body), range(6)))
    assert all(r.status_code == 200 for r in responses)
    assert sum(not r.json()["duplicate"] for r in responses) <= 1
    assert fresh(LiveSession, session.id).status == "confirmed"
    recorded = db.session.scalar(
        select(db.func.count(WebhookEvent.id)).where(WebhookEvent.event_id == entry["event"]["id"])
    )
    assert recorded == 1
    kinds = list(
        db.session.scalars(
            select(Notification.kind).where(
                Notification.session_id == session.id, Notification.user_id == session.fan_id
            )
        )
    )
    assert kinds.count("payment_received") == 1 and kinds.count("booking_confirmed") == 1


def test_a_cancelled_bookings_checkout_is_closed_at_stripe(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    lifecycle.cancel(session.fan, session.id, "Changed my mind")
    jobs.expire_checkouts(session.id)
    assert stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)["status"] == "expired"
    assert fresh(Payment, payment.id).status == "expired"
    assert pay(payment.checkout_url).status_code == 409
    assert fresh(LiveSession, session.id).cancelled_by_role == "fan"


def test_the_periodic_hold_expiry_closes_the_checkout_at_stripe(live):
    """A Checkout can outlive its hold (Stripe's 30-minute minimum): expiring the hold closes it."""
    session = held_session()
    payment = payments.open_checkout(session.id)
    lapsed = fresh(LiveSession, session.id)
    lapsed.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.expire_booking_holds()
    assert fresh(LiveSession, session.id).status == "cancelled"
    assert stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)["status"] == "expired"
    assert pay(payment.checkout_url).status_code == 409


def test_the_sweep_settles_a_checkout_whose_webhook_never_came(live):
    session = held_session()
    payment = payments.open_checkout(session.id)
    # Our records say it should have expired long ago; Stripe still has it open (no event came).
    stale = fresh(Payment, payment.id)
    stale.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert payments.reconcile_open_checkouts() >= 1
    assert stripe_gateway.retrieve_checkout_session(payment.checkout_session_id)["status"] == "expired"
    released = fresh(LiveSession, session.id)
    assert (released.status, released.cancelled_by_role) == ("cancelled", "system")
