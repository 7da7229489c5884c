"""Refunds through the real adapter and the sandbox: full and partial, fee reversal, retries, dead ones."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kendama import jobs
from kendama.extensions import db
from kendama.integrations.stripe.sandbox import store
from kendama.models import LiveSession, Refund, WebhookEvent
from kendama.services.booking import lifecycle
from kendama.services.errors import NotAllowed
from kendama.services.payments import checkout, earnings, refunds
from kendama.tasks.queue import dispatch_committed

from ...support.factories import AdminFactory
from ...support.payments_helpers import (
    REFUND_FAILS_CARD,
    Browser,
    fresh,
    held_session,
    pay,
    post_signed,
    sandbox_object,
    sandbox_path,
    session_refunds,
    wait_for,
)

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def paid_session(price: int = 2500, card: str | None = None) -> LiveSession:
    session = held_session(price=price)
    payment = checkout.open_checkout(session.id)
    assert pay(payment.checkout_url, **({"card": card} if card else {})).status_code == 303
    return fresh(LiveSession, session.id)


def refund_now(session: LiveSession, amount: int) -> Refund:
    """What a cancellation does: the row in the caller's transaction, the job after the commit."""
    refund = refunds.request_refund(session, amount)
    db.session.commit()
    dispatch_committed()
    return fresh(Refund, refund.id)


def ledger_for(server, refund: Refund) -> tuple[dict, dict, dict]:
    """The sandbox's refund, the charge's application fee and its transfer."""
    provider = sandbox_object(server, refund.provider_refund_id)
    charge = sandbox_object(server, provider["charge"])
    return provider, sandbox_object(server, charge["application_fee"]), sandbox_object(server, charge["transfer"])


def test_full_refund_reverses_the_transfer_and_the_fee(live):
    session = paid_session(2500)
    refund = refund_now(session, 2500)
    assert (refund.status, refund.amount, refund.fee_refund_amount) == ("succeeded", 2500, 375)
    provider, fee, transfer = ledger_for(live, refund)
    assert (provider["amount"], provider["reason"], provider["status"]) == (2500, "requested_by_customer", "succeeded")
    assert provider["metadata"]["refund_id"] == str(refund.id)
    assert fee["amount_refunded"] == 375 and fee["refunded"] is True
    assert transfer["amount_reversed"] == 2125 and transfer["reversed"] is True


def test_partial_refunds_reverse_in_proportion_and_add_up(live):
    session = paid_session(999)  # fee 150 (149.85 rounded half up), player 849
    first = refund_now(session, 500)
    assert (first.status, first.fee_refund_amount) == ("succeeded", 75)  # 75.075
    _, fee, transfer = ledger_for(live, first)
    assert fee["amount_refunded"] == 75  # the sandbox recorded refund_application_fee
    assert transfer["amount_reversed"] == 425  # and reverse_transfer: 849 * 500 / 999 = 424.9

    second = refund_now(fresh(LiveSession, session.id), 499)
    assert (second.status, second.fee_refund_amount) == ("succeeded", 75)
    _, fee, transfer = ledger_for(live, second)
    assert (fee["amount_refunded"], transfer["amount_reversed"]) == (150, 849)
    # Nothing is left to give back.
    assert refunds.request_refund(fresh(LiveSession, session.id), 1) is None


def test_cancelling_through_the_booking_service_refunds_by_the_policy(live):
    session = paid_session(2500)
    result = lifecycle.cancel(session.fan, session.id, "Something came up")
    dispatch_committed()
    assert result.refund.amount == 2500  # days ahead: the policy gives everything back
    [refund] = session_refunds(session.id)
    assert refund.status == "succeeded"
    status = checkout.payment_status(fresh(LiveSession, session.id).fan, session.id)
    assert status.state == "refunded" and not status.settling


def test_a_refund_that_cannot_reach_stripe_is_retried_with_the_same_key(live):
    session = paid_session(1500)
    store.inject_faults(sandbox_path(live), "POST /v1/refunds", 1)
    refund = refund_now(session, 1500)
    assert (refund.status, refund.attempts, refund.provider_refund_id) == ("failed", 1, None)
    assert "told to fail" in refund.last_error and refund.next_attempt_at is not None

    assert refund.id in refunds.due_refund_ids()
    jobs.retry_refunds()
    refund = fresh(Refund, refund.id)
    assert (refund.status, refund.attempts) == ("succeeded", 2)
    charge = sandbox_object(live, sandbox_object(live, refund.provider_refund_id)["charge"])
    assert charge["amount_refunded"] == 1500  # one refund at Stripe, not two


def test_a_refund_stripe_keeps_failing_ends_dead_and_admins_can_retry_it(live):
    session = paid_session(2000, card=REFUND_FAILS_CARD)
    refund = refund_now(session, 2000)
    for _ in range(3):  # REFUND_MAX_ATTEMPTS in these tests
        # Stripe reports each attempt failed a moment later (refund.failed), then the sweep retries.
        wait_for(lambda r=refund: db.session.get(Refund, r.id).status in ("failed", "dead"))
        jobs.retry_refunds()
    refund = wait_for(lambda: db.session.get(Refund, refund.id).status == "dead" and db.session.get(Refund, refund.id))
    assert refund and refund.attempts == 3
    assert "expired_or_canceled_card" in refund.last_error
    assert refund in refunds.troubled_refunds(AdminFactory())
    # Each attempt was a new refund at Stripe (a failed refund returns the money), and none stuck.
    charge = sandbox_object(live, sandbox_object(live, refund.provider_refund_id)["charge"])
    assert charge["amount_refunded"] == 0

    admin = AdminFactory()
    browser = Browser(live).login(admin)
    page = browser.get("/admin/payments/refunds")
    assert page.status_code == 200 and f"Retry refund #{refund.id} now" in page.text
    response = browser.submit("/admin/payments/refunds", f"/admin/payments/refunds/{refund.id}/retry")
    assert response.status_code == 303
    assert fresh(Refund, refund.id).attempts == 1  # sent again, with a fresh count


def test_only_admins_retry_refunds_and_see_the_money_pages(live):
    session = paid_session(1000)
    refund = refund_now(session, 1000)
    with pytest.raises(NotAllowed):
        refunds.retry_now(session.fan, refund.id)
    browser = Browser(live).login(session.fan)
    assert browser.get("/admin/payments").status_code == 404
    assert browser.get("/admin/payments/refunds").status_code == 404


def test_earnings_count_payments_fees_and_refunds(live):
    session = paid_session(999)
    refund_now(session, 500)
    player = fresh(LiveSession, session.id).player
    [month] = earnings.player_earnings(player).lines
    assert (month.payments, month.gross, month.fee, month.refunded, month.fee_refunded) == (1, 999, 150, 500, 75)
    assert month.net == 999 - 150 - (500 - 75)
    assert month.platform_net == 75

    page = Browser(live).login(player).get("/dashboard/earnings")
    assert page.status_code == 200 and "USD 4.24" in page.text  # the player's net

    revenue = earnings.platform_revenue(AdminFactory())
    assert sum(line.platform_net for line in revenue.lines if line.currency == "usd") >= 75
    admin_page = Browser(live).login(AdminFactory()).get("/admin/payments")
    assert admin_page.status_code == 200 and "Net revenue" in admin_page.text


def test_refund_webhooks_are_applied_once(live):
    session = paid_session(1200)
    refund = refund_now(session, 1200)

    def created_event():
        for entry in store.events(sandbox_path(live), event_type="refund.created"):
            if entry["event"]["data"]["object"]["id"] == refund.provider_refund_id and entry["delivered"]:
                return entry["event"]
        return None

    event = wait_for(created_event)
    assert event, "the sandbox delivered refund.created"
    assert db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.event_id == event["id"])) is not None
    before = fresh(Refund, refund.id).completed_at
    response = post_signed(live, json.dumps(event))
    assert response.json()["duplicate"] is True
    after = fresh(Refund, refund.id)
    assert (after.status, after.completed_at) == ("succeeded", before)
