"""Refund rules without Stripe: what a refund row promises, how Stripe's answers change it, retries.

Stripe is replaced by a recorder (`stripe`), so each test sees exactly what would be sent; the
adapter itself and the sandbox over HTTP are tested in tests/integration/payments/.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kendama.extensions import db
from kendama.integrations.stripe import gateway
from kendama.models import Payment, Refund
from kendama.services.access import ADMINS_ONLY
from kendama.services.errors import NotAllowed, NotFound
from kendama.services.payments import refunds

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory
from ..support.row_locks import row_locks

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(refunds, "utcnow", lambda: NOW)


class FakeStripe:
    """Answers create_refund with `answer` (a dict, or an exception to raise) and keeps the requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer: dict | Exception = {"id": "re_1", "status": "succeeded"}

    def create_refund(self, **request):
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def retrieve_refund(self, refund_id):
        self.requests.append({"retrieve": refund_id})
        if isinstance(self.answer, Exception):
            raise self.answer
        return {**self.answer, "id": refund_id}


@pytest.fixture
def stripe(monkeypatch):
    fake = FakeStripe()
    monkeypatch.setattr(gateway, "create_refund", fake.create_refund)
    monkeypatch.setattr(gateway, "retrieve_refund", fake.retrieve_refund)
    return fake


@pytest.fixture
def locks(app):
    """The statements that lock a refunds row (PostgreSQL only)."""
    with row_locks("refunds") as seen:
        yield seen


def paid(amount: int = 2500, fee: int = 375, *, status: str = "paid", intent: str | None = "pi_1") -> Payment:
    session = LiveSessionFactory(price_amount=amount, ics_sequence=2)
    payment = Payment(
        session_id=session.id,
        amount=amount,
        currency="eur",
        application_fee_amount=fee,
        status=status,
        payment_intent_id=intent and f"{intent}_{uuid.uuid4().hex[:8]}",
        idempotency_key=uuid.uuid4().hex,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def row(payment: Payment, **fields) -> Refund:
    values = {
        "session_id": payment.session_id,
        "payment_id": payment.id,
        "amount": 1000,
        "currency": payment.currency,
        "idempotency_key": uuid.uuid4().hex,
        **fields,
    }
    refund = Refund(**values)
    db.session.add(refund)
    db.session.commit()
    return refund


# --- The promise -----------------------------------------------------------------------------


def test_a_refund_row_names_the_payment_the_amount_and_a_key_of_its_own():
    payment = paid()
    session = payment.session
    refund = refunds.request_refund(session, 1250)
    assert (refund.session_id, refund.payment_id, refund.amount, refund.currency) == (
        session.id,
        payment.id,
        1250,
        "eur",
    )
    assert (refund.fee_refund_amount, refund.reason, refund.status) == (188, "requested_by_customer", "pending")
    assert refund.idempotency_key == f"refund-{session.id}-{payment.id}-2-1250"
    second = refunds.request_refund(session, 1000, "player_cancelled")
    assert (second.fee_refund_amount, second.reason) == (150, "player_cancelled")  # 338 of 375 for 2250
    assert second.idempotency_key == f"refund-{session.id}-{payment.id}-2-1000"
    assert refunds.refunds_of(session) == [refund, second]


@pytest.mark.parametrize("amount", [0, -5])
def test_nothing_to_refund_adds_no_row(amount):
    payment = paid()
    assert refunds.request_refund(payment.session, amount) is None
    assert refunds.refunds_of(payment.session) == []


def test_a_session_without_a_paid_payment_adds_no_row():
    paid()  # another session's
    payment = paid(status="open")
    assert refunds.paid_payment(payment.session) is None
    assert refunds.request_refund(payment.session, 100) is None
    assert refunds.refunds_of(payment.session) == []


def test_a_refund_never_goes_beyond_what_is_left_of_the_payment():
    payment = paid(999, 150)
    first = refunds.request_refund(payment.session, 500)
    second = refunds.request_refund(payment.session, 5000)
    assert (first.amount, second.amount) == (500, 499)
    assert first.fee_refund_amount + second.fee_refund_amount == 150
    assert refunds.request_refund(payment.session, 1) is None  # everything went back already


def test_a_dead_refund_leaves_its_amount_to_refund_again():
    payment = paid(1000, 150)
    row(payment, amount=600, fee_refund_amount=90, status="dead")
    row(payment, amount=100, fee_refund_amount=15, status="succeeded")
    assert refunds._already_refunded(payment) == (100, 15)
    again = refunds.request_refund(payment.session, 2000)
    assert (again.amount, again.fee_refund_amount) == (900, 135)


def test_refunding_a_whole_payment_takes_what_is_left_with_a_key_per_reason():
    payment = paid(2500, 375)
    row(payment, amount=1000, fee_refund_amount=150, status="succeeded")
    refund = refunds.refund_payment(payment, "duplicate")
    assert (refund.amount, refund.fee_refund_amount, refund.reason) == (1500, 225, "duplicate")
    assert refund.idempotency_key == f"refund-{payment.session_id}-{payment.id}-full-duplicate"


# --- Carrying it out --------------------------------------------------------------------------


def test_a_refund_is_sent_with_its_key_amount_and_reasons(stripe):
    payment = paid()
    refund = row(payment, amount=700, reason="fraudulent", idempotency_key="key-1")
    done = refunds.execute_refund(refund.id, now=NOW)
    assert stripe.requests == [
        {
            "payment_intent": payment.payment_intent_id,
            "amount": 700,
            "reason": "fraudulent",
            "metadata": {"refund_id": str(refund.id), "session_id": str(payment.session_id), "reason": "fraudulent"},
            "idempotency_key": "key-1",
        }
    ]
    assert (done.status, done.attempts, done.provider_refund_id, done.completed_at) == ("succeeded", 1, "re_1", NOW)


def test_our_own_reasons_travel_as_requested_by_customer(stripe):
    refund = row(paid(), reason="player_cancelled")
    refunds.execute_refund(refund.id, now=NOW)
    assert [r["reason"] for r in stripe.requests] == ["requested_by_customer"]
    assert stripe.requests[0]["metadata"]["reason"] == "player_cancelled"


@pytest.mark.parametrize("status", ["succeeded", "dead"])
def test_a_finished_refund_is_not_sent_again(stripe, status):
    refund = row(paid(), status=status, attempts=2)
    assert refunds.execute_refund(refund.id, now=NOW) is refund
    assert stripe.requests == [] and (refund.status, refund.attempts) == (status, 2)


def test_a_missing_refund_is_nothing_to_do(stripe):
    assert refunds.execute_refund(10**9, now=NOW) is None
    assert stripe.requests == []


def test_a_failed_refund_waits_for_its_next_attempt(stripe):
    refund = row(paid(), status="failed", attempts=1, next_attempt_at=NOW + timedelta(seconds=1))
    assert refunds.execute_refund(refund.id, now=NOW).status == "failed"
    assert stripe.requests == []
    refund.next_attempt_at = NOW
    db.session.commit()
    assert refunds.execute_refund(refund.id, now=NOW).status == "succeeded"  # due exactly now
    assert refund.attempts == 2


def test_after_stripe_failed_a_refund_the_next_attempt_is_a_new_refund(stripe):
    refund = row(paid(), status="failed", attempts=1, provider_refund_id="re_old", idempotency_key="key-2")
    stripe.answer = {"id": "re_new", "status": "pending"}
    refunds.execute_refund(refund.id, now=NOW)
    assert stripe.requests[0]["idempotency_key"] == "key-2:after:re_old"
    assert (refund.status, refund.provider_refund_id) == ("pending", "re_new")


def test_a_payment_without_an_intent_gives_up_at_once(stripe):
    refund = row(paid(intent=None))
    done = refunds.execute_refund(refund.id, now=NOW)
    assert (done.status, done.last_error, done.next_attempt_at) == (
        "dead",
        "The payment has no Stripe payment intent to refund.",
        None,
    )
    assert stripe.requests == []


def test_stripe_unreachable_counts_the_attempt_and_retries_later(app, stripe):
    stripe.answer = gateway.GatewayError("Stripe timed out.", retryable=True)
    refund = row(paid())
    done = refunds.execute_refund(refund.id, now=NOW)
    base = timedelta(seconds=app.config["REFUND_RETRY_BASE_SECONDS"])
    assert (done.status, done.attempts, done.last_error, done.next_attempt_at) == (
        "failed",
        1,
        "Stripe timed out.",
        NOW + base,
    )


# --- Stripe's answers -------------------------------------------------------------------------


def test_success_is_recorded_once_with_when():
    refund = row(paid(), status="failed", last_error="earlier", next_attempt_at=NOW)
    refunds._apply_state(refund, {"id": "re_1", "status": "succeeded"})
    assert (refund.status, refund.completed_at, refund.next_attempt_at, refund.last_error) == (
        "succeeded",
        NOW,
        None,
        None,
    )
    refund.completed_at = NOW - timedelta(days=1)
    refunds._apply_state(refund, {"id": "re_1", "status": "succeeded"})  # the same news again
    assert refund.completed_at == NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": "failed", "failure_reason": "expired_or_canceled_card"}, "failed: expired_or_canceled_card."),
        ({"status": "canceled"}, "canceled: no reason given."),
        ({"status": "failed", "failure_reason": None}, "failed: no reason given."),
    ],
)
def test_a_refund_stripe_could_not_make_is_retried(app, answer, error):
    refund = row(paid(), status="pending", attempts=2)
    refunds._apply_state(refund, {"id": "re_1", **answer})
    assert (refund.status, refund.provider_refund_id, refund.last_error) == (
        "failed",
        "re_1",
        f"Stripe reported the refund {error}",
    )
    assert refund.next_attempt_at == NOW + 2 * timedelta(seconds=app.config["REFUND_RETRY_BASE_SECONDS"])


def test_the_same_failure_reported_twice_schedules_one_retry():
    refund = row(paid(), status="failed", attempts=1, provider_refund_id="re_1", next_attempt_at=NOW, last_error="x")
    refunds._apply_state(refund, {"id": "re_1", "status": "failed", "failure_reason": "lost"})
    assert (refund.next_attempt_at, refund.last_error) == (NOW, "x")


@pytest.mark.parametrize("status", ["pending", "requires_action"])
def test_a_refund_on_its_way_is_pending(status):
    refund = row(paid(), status="failed")
    refunds._apply_state(refund, {"id": "re_1", "status": status})
    assert (refund.status, refund.provider_refund_id) == ("pending", "re_1")


def test_news_of_an_earlier_replaced_refund_is_ignored():
    refund = row(paid(), status="pending", provider_refund_id="re_new")
    refunds._apply_state(refund, {"id": "re_old", "status": "succeeded"})
    assert (refund.status, refund.provider_refund_id) == ("pending", "re_new")


def test_after_a_failure_the_replacement_refund_is_taken():
    refund = row(paid(), status="failed", provider_refund_id="re_old")
    refunds._apply_state(refund, {"id": "re_new", "status": "succeeded"})
    assert (refund.status, refund.provider_refund_id) == ("succeeded", "re_new")


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(0, 60), (1, 60), (2, 120), (3, 240), (9, 256 * 60), (10, 6 * 3600), (30, 6 * 3600)],
)
def test_retries_back_off_exponentially_up_to_six_hours(app, monkeypatch, attempts, wait):
    monkeypatch.setitem(app.config, "REFUND_RETRY_BASE_SECONDS", 60)
    monkeypatch.setitem(app.config, "REFUND_MAX_ATTEMPTS", 1000)
    refund = row(paid(), attempts=attempts)
    refunds._schedule_retry(refund, "e" * 1200)
    assert (refund.status, refund.next_attempt_at, refund.last_error) == (
        "failed",
        NOW + timedelta(seconds=wait),
        "e" * 1000,
    )


def test_after_the_last_attempt_a_refund_is_dead(app, monkeypatch):
    monkeypatch.setitem(app.config, "REFUND_MAX_ATTEMPTS", 3)
    refund = row(paid(), attempts=2, next_attempt_at=NOW)
    refunds._schedule_retry(refund, "declined")
    assert refund.status == "failed"
    refund.attempts = 3
    refunds._schedule_retry(refund, "declined again")
    assert (refund.status, refund.next_attempt_at, refund.last_error) == ("dead", None, "declined again")


# --- The sweep and the admins ----------------------------------------------------------------


def test_the_sweep_takes_due_failures_and_pending_refunds_left_behind():
    payment = paid()
    due = row(payment, status="failed", next_attempt_at=NOW)
    row(payment, status="failed", next_attempt_at=NOW + timedelta(seconds=1))
    dropped = row(payment, status="pending", created_at=NOW - timedelta(minutes=2))
    row(payment, status="pending", created_at=NOW - timedelta(minutes=2) + timedelta(seconds=1))
    stale = row(payment, status="pending", provider_refund_id="re_s", created_at=NOW - timedelta(minutes=30))
    row(payment, status="pending", provider_refund_id="re_f", created_at=NOW - timedelta(minutes=29))
    row(payment, status="succeeded", created_at=NOW - timedelta(days=1), next_attempt_at=NOW - timedelta(days=1))
    row(payment, status="dead", created_at=NOW - timedelta(days=1), next_attempt_at=NOW - timedelta(days=1))
    assert refunds.due_refund_ids(NOW) == [due.id, dropped.id, stale.id]


def test_an_admin_retry_starts_the_attempts_again_and_says_what_happened(stripe):
    refund = row(paid(), status="dead", attempts=8, last_error="gave up")
    retry = refunds.retry_now(AdminFactory(), refund.id)
    assert retry.already_done is False
    assert (retry.refund.status, retry.refund.attempts) == ("succeeded", 1)
    again = refunds.retry_now(AdminFactory(), refund.id)
    assert again.already_done is True and len(stripe.requests) == 1


def test_only_admins_retry_and_an_unknown_refund_is_not_found(stripe):
    refund = row(paid(), status="dead")
    with pytest.raises(NotAllowed) as caught:
        refunds.retry_now(FanFactory(), refund.id)
    assert caught.value.message == ADMINS_ONLY
    with pytest.raises(NotFound) as missing:
        refunds.retry_now(AdminFactory(), 10**9)
    assert missing.value.message == "No such refund."
    assert stripe.requests == []


def test_troubled_refunds_are_the_dead_then_the_failing_oldest_first():
    payment = paid()
    dead_new = row(payment, status="dead", created_at=NOW - timedelta(hours=1))
    failed = row(payment, status="failed", created_at=NOW - timedelta(days=1))
    dead_old = row(payment, status="dead", created_at=NOW - timedelta(days=2))
    row(payment, status="succeeded")
    row(payment, status="pending")
    assert refunds.troubled_refunds(AdminFactory()) == [dead_old, dead_new, failed]


def test_of_two_paid_payments_the_latest_is_the_one_refunded():
    first = paid(1000, 150)
    second = Payment(
        session_id=first.session_id,
        amount=1500,
        currency="eur",
        application_fee_amount=225,
        status="paid",
        payment_intent_id="pi_second",
        idempotency_key=uuid.uuid4().hex,
    )
    db.session.add(second)
    db.session.commit()
    assert refunds.paid_payment(first.session) == second
    assert refunds.request_refund(first.session, 5000).payment_id == second.id


def test_one_minor_unit_is_refunded_too():
    payment = paid(1000, 150)
    assert refunds.request_refund(payment.session, 999).amount == 999
    last = refunds.request_refund(payment.session, 1)
    assert (last.amount, last.fee_refund_amount) == (1, 0)


def test_a_refund_row_is_carried_out_once_its_transaction_commits():
    payment = paid()
    refund = refunds.request_refund(payment.session, 100)
    assert ("kendama.jobs.execute_refund", (refund.id,)) in db.session.info["jobs_pending"]


def test_another_payments_refunds_do_not_count_against_this_one():
    mine, theirs = paid(1000, 150), paid(1000, 150)
    row(theirs, amount=900, fee_refund_amount=135, status="succeeded")
    assert refunds._already_refunded(mine) == (0, 0)
    assert refunds.request_refund(mine.session, 1000).amount == 1000


def test_a_refund_with_stripe_is_reread_not_sent_again(stripe):
    refund = row(paid(), status="pending", provider_refund_id="re_7", attempts=1)
    done = refunds.execute_refund(refund.id, now=NOW)
    assert stripe.requests == [{"retrieve": "re_7"}]
    assert (done.status, done.attempts) == ("succeeded", 1)


def test_a_reread_that_fails_leaves_the_refund_as_it_was(stripe):
    refund = row(paid(), status="pending", provider_refund_id="re_7", attempts=1)
    stripe.answer = gateway.GatewayError("Stripe timed out.", retryable=True)
    done = refunds.execute_refund(refund.id, now=NOW)
    assert (done.status, done.provider_refund_id, done.attempts, done.last_error) == ("pending", "re_7", 1, None)


def test_a_new_attempt_clears_the_last_error(stripe):
    refund = row(paid(), status="failed", attempts=1, last_error="Stripe timed out.", next_attempt_at=NOW)
    stripe.answer = {"id": "re_2", "status": "pending"}
    done = refunds.execute_refund(refund.id, now=NOW)
    assert (done.status, done.last_error) == ("pending", None)


def test_a_first_failure_of_a_refund_stripe_had_is_retried():
    refund = row(paid(), status="pending", provider_refund_id="re_1", attempts=1)
    refunds._apply_state(refund, {"id": "re_1", "status": "failed", "failure_reason": "lost"})
    assert (refund.status, refund.last_error) == ("failed", "Stripe reported the refund failed: lost.")


def test_failures_are_logged_with_the_refund_and_the_reason(app, monkeypatch, stripe, caplog):
    monkeypatch.setitem(app.config, "REFUND_MAX_ATTEMPTS", 1)
    stripe.answer = gateway.GatewayError("Stripe timed out.", retryable=True)
    refund = row(paid())
    with caplog.at_level(logging.WARNING, logger=refunds.log.name):
        refunds.execute_refund(refund.id, now=NOW)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"refund {refund.id} failed: Stripe timed out."),
        ("ERROR", f"refund {refund.id} is dead after 1 attempts: Stripe timed out."),
    ]
    assert refund.status == "dead"


def test_the_sweep_judges_at_the_moment_it_is_given():
    payment = paid()
    later = row(payment, status="failed", next_attempt_at=NOW + timedelta(hours=1))
    assert refunds.due_refund_ids(NOW) == []
    assert refunds.due_refund_ids(NOW + timedelta(hours=1)) == [later.id]


def test_the_sweep_takes_at_most_200_at_a_time():
    payment = paid()
    db.session.add_all(
        Refund(
            session_id=payment.session_id,
            payment_id=payment.id,
            amount=1,
            currency="eur",
            status="failed",
            next_attempt_at=NOW,
            idempotency_key=uuid.uuid4().hex,
        )
        for _ in range(201)
    )
    db.session.commit()
    due = refunds.due_refund_ids(NOW)
    assert len(due) == 200 and due == sorted(due)


def test_an_admin_retries_a_failing_refund_too(stripe):
    refund = row(paid(), status="failed", attempts=3, next_attempt_at=NOW + timedelta(hours=2))
    retry = refunds.retry_now(AdminFactory(), refund.id)
    assert (retry.already_done, retry.refund, retry.refund.status) == (False, refund, "succeeded")
    assert len(stripe.requests) == 1


def test_a_retry_of_a_refund_already_done_says_so_and_names_it(stripe):
    refund = row(paid(), status="succeeded")
    retry = refunds.retry_now(AdminFactory(), refund.id)
    assert (retry.already_done, retry.refund) == (True, refund) and stripe.requests == []


def test_the_outcome_is_recorded_under_a_lock_and_never_while_stripe_is_called(stripe, locks):
    refund = row(paid())
    refunds.execute_refund(refund.id, now=NOW)
    assert len(locks) == 1  # the re-read after Stripe answered
    stripe.answer = gateway.GatewayError("Stripe timed out.", retryable=True)
    failing = row(paid())
    refunds.execute_refund(failing.id, now=NOW)
    assert len(locks) == 2
    dead = row(paid(), status="dead")
    stripe.answer = {"id": "re_9", "status": "succeeded"}
    refunds.retry_now(AdminFactory(), dead.id)
    assert len(locks) == 4  # the admin's retry locks the row, then records the outcome under a lock
