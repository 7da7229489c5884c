"""Paying for a booking with Stripe Checkout, and what a Checkout's outcome does to the booking.

The booking holds the slot (`pending_payment`) and `open_checkout` opens a Checkout Session for
it: a destination charge whose application fee is the platform's fee, expiring with the hold
(or after Stripe's 30-minute minimum, when the hold ends sooner: it never outlasts the start).
The session becomes `confirmed` when the verified `checkout.session.completed` event says it is
paid. The webhook events themselves are received in webhooks.py, which re-reads the Checkout
from Stripe and hands it to `apply_checkout` here (as the periodic reconciliation does).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...dialects import is_overlap_violation
from ...extensions import db
from ...integrations.stripe import gateway
from ...models import LiveSession, Payment, PaymentStatus, Refund, RefundStatus, SessionStatus, User, utcnow
from ..access import session_for_participant, session_for_viewer
from ..booking import holds
from ..booking.policy import SYSTEM
from ..calendars import writes as calendar_writes
from ..errors import NotAllowed, NotFound, ProviderUnavailable, WrongState
from ..notifications import outbox
from ..notifications.links import absolute_url
from ..timezones import for_person
from . import packages, payouts, refunds

log = logging.getLogger(__name__)

# Stripe accepts a Checkout Session's expires_at from 30 minutes after creation; the margin
# covers the time between computing it here and Stripe receiving the request.
CHECKOUT_MIN_LIFETIME = timedelta(minutes=30)
CHECKOUT_MARGIN = timedelta(minutes=1)
PROVIDER_DOWN = "We could not reach our payment provider. Your slot is still held; please try again in a moment."


# --- Opening a checkout ---------------------------------------------------------------------


def open_checkout(session_id: int) -> Payment:
    """A Checkout Session for a held paid booking (the open one again if it exists).

    Retry-safe: the Payment row and its idempotency key are saved before Stripe is called, so a
    retry after a failure sends the very same request and can never create a second charge.
    """
    session = _lock_session(session_id)
    if session.status != SessionStatus.PENDING_PAYMENT.value:
        raise WrongState("This booking is not waiting for a payment.")
    if session.price_amount <= 0:
        raise WrongState("This session is free; there is nothing to pay.")
    now = utcnow()
    if session.hold_expires_at is not None and session.hold_expires_at <= now:
        raise WrongState("The hold on this slot has run out. Please book the session again.", code="hold_expired")
    payment = _reusable_payment(session, now)
    if payment is not None and payment.checkout_url:
        db.session.commit()
        return payment
    if payment is None:
        payment = _new_payment(session, now)
    db.session.commit()  # the key is saved before the call; no lock is held while calling out

    try:
        checkout = gateway.create_checkout_session(
            amount=payment.amount,
            currency=payment.currency,
            product_name=f"{session.duration_minutes}-minute live session with {session.player.display_name}",
            description=_when(session),
            success_url=absolute_url("payments.checkout_return", session_id=session.id)
            + "?checkout_session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute_url("payments.checkout_cancelled", session_id=session.id),
            reference=str(session.id),
            customer_email=session.fan.email,
            metadata={"session_id": str(session.id), "payment_id": str(payment.id)},
            expires_at=payment.expires_at,
            application_fee_amount=payment.application_fee_amount,
            destination=payment.destination_account_id,
            idempotency_key=payment.idempotency_key,
        )
    except gateway.GatewayError as exc:
        log.warning("opening checkout for session %s failed: %s", session.id, exc.message)
        raise ProviderUnavailable(PROVIDER_DOWN) from exc
    payment = db.session.get(Payment, payment.id, with_for_update=True)
    payment.checkout_session_id = checkout["id"]
    payment.checkout_url = checkout["url"]
    db.session.commit()
    return payment


def resume_checkout(actor, session_id: int) -> Payment:
    """The fan goes back to paying for their held booking (after leaving Checkout, or a failure)."""
    session = session_for_participant(actor, session_id)
    if session.participant_role(actor.id) != "fan":
        raise NotAllowed("Only the fan who booked this session pays for it.")
    return open_checkout(session_id)


def _lock_session(session_id: int) -> LiveSession:
    session = db.session.scalar(select(LiveSession).where(LiveSession.id == session_id).with_for_update())
    if session is None:
        raise NotFound("No such session.")
    return session


def _reusable_payment(session: LiveSession, now: datetime) -> Payment | None:
    """The latest open Checkout of this session that can still be paid or (re)sent to Stripe."""
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.session_id == session.id, Payment.status == PaymentStatus.OPEN)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None:
        return None
    if payment.checkout_url:
        return payment if payment.expires_at > now else None
    if payment.expires_at < now + CHECKOUT_MIN_LIFETIME:
        # Never reached Stripe, and too late to send as it was: start over with a new key.
        payment.status = PaymentStatus.FAILED
        return None
    return payment


def _new_payment(session: LiveSession, now: datetime) -> Payment:
    """The Payment row for a new Checkout; the hold is stretched to Stripe's 30-minute minimum.

    Never past the session's start, though: a Checkout that outlives the hold is closed at Stripe
    when the hold expires (jobs.expire_checkouts), and a payment that slips through after the
    start is refunded in full (record_paid).
    """
    destination = payouts.destination_account(session.player_id)
    earliest = (now + CHECKOUT_MIN_LIFETIME + CHECKOUT_MARGIN).replace(microsecond=0)
    hold = session.hold_expires_at
    expires_at = max(hold.replace(microsecond=0), earliest) if hold else earliest
    stretched = min(expires_at, session.starts_at)
    if hold is None or stretched > hold:
        session.hold_expires_at = stretched
    payment = Payment(
        session_id=session.id,
        amount=session.price_amount,
        currency=session.currency,
        application_fee_amount=session.platform_fee_amount,
        destination_account_id=destination,
        status=PaymentStatus.OPEN,
        # Saved before the call, so a retry sends this very key; random, because ids are not unique
        # over time: an SQLite database made afresh beside a sandbox (or Stripe) that remembers
        # the old keys for a day would have them replayed for other bookings.
        idempotency_key=f"checkout-{session.id}-{secrets.token_hex(8)}",
        expires_at=expires_at,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def _when(session: LiveSession) -> str:
    return for_person(session.starts_at, session.fan.timezone or "UTC")


def close_checkouts(session_id: int) -> int:
    """Expire a session's open Checkouts at Stripe (after a cancellation), so they cannot be paid."""
    open_ids = list(
        db.session.scalars(
            select(Payment.checkout_session_id).where(
                Payment.session_id == session_id,
                Payment.status == PaymentStatus.OPEN,
                Payment.checkout_session_id.is_not(None),
            )
        )
    )
    db.session.commit()
    closed = 0
    for checkout_id in open_ids:
        try:
            gateway.expire_checkout_session(checkout_id)
        except gateway.GatewayError as exc:
            # Already paid or expired at Stripe: the webhook (or the sweep) settles it.
            log.info("could not expire checkout %s: %s", checkout_id, exc.message)
            continue
        closed += 1
        settle_ended(checkout_id, PaymentStatus.EXPIRED)
    db.session.commit()
    return closed


# --- What a Checkout's current state means --------------------------------------------------


def apply_checkout(checkout: dict) -> None:
    """Act on a Checkout as Stripe has it now: paid confirms (or refunds), expired releases the hold."""
    if packages.purchase_id_of(checkout) is not None:
        packages.apply_checkout(checkout)
    elif checkout["status"] == "complete" and checkout["payment_status"] == "paid":
        record_paid(checkout)
    elif checkout["status"] == "expired":
        settle_ended(checkout["id"], PaymentStatus.EXPIRED)


# --- A paid Checkout ------------------------------------------------------------------------


def _our_session_id(checkout: dict) -> int | None:
    """The booking a Checkout Session belongs to, if it is one of ours."""
    raw = (checkout.get("metadata") or {}).get("session_id") or checkout.get("client_reference_id")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def record_paid(checkout: dict) -> Payment | None:
    """A Checkout was paid: confirm the booking, or refund in full when it cannot be had."""
    session_id = _our_session_id(checkout)
    session = db.session.scalar(select(LiveSession).where(LiveSession.id == session_id).with_for_update())
    if session is None:
        log.warning("paid checkout %s names no session of ours", checkout["id"])
        return None
    payment = _payment_for_checkout(checkout, session)
    if payment.status == PaymentStatus.PAID:
        return payment  # already recorded
    payment.status = PaymentStatus.PAID
    payment.payment_intent_id = checkout["payment_intent"]
    payment.paid_at = utcnow()
    db.session.flush()

    already_paid = db.session.scalar(
        select(Payment.id).where(
            Payment.session_id == session.id, Payment.status == PaymentStatus.PAID, Payment.id != payment.id
        )
    )
    if already_paid is not None:
        _refund_in_full(session, payment, "duplicate", "payment_refunded_duplicate")
    elif session.status == SessionStatus.PENDING_PAYMENT.value and session.starts_at <= utcnow():
        # The session began before the sweep released its hold: too late to have it for this payment.
        holds.release_hold(session, holds.PAID_TOO_LATE, utcnow())
        _refund_in_full(session, payment, "session_unavailable", "payment_refunded_unavailable")
    elif session.status == SessionStatus.PENDING_PAYMENT.value:
        _confirm(session)
    elif _hold_lapsed(session) and _reactivate(session):
        _confirm(session)
    elif _hold_lapsed(session):
        _refund_in_full(session, payment, "slot_taken", "payment_refunded_slot_taken")
    else:
        # Cancelled by a person, or already over: the booking cannot be had for this payment.
        _refund_in_full(session, payment, "session_unavailable", "payment_refunded_unavailable")
    return payment


def _payment_for_checkout(checkout: dict, session: LiveSession) -> Payment:
    """Our row for this Checkout; one is made for a paid Checkout we have no row for."""
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == checkout["id"]).with_for_update())
    if payment is None:
        payment = Payment(
            session_id=session.id,
            checkout_session_id=checkout["id"],
            amount=checkout["amount_total"],
            currency=checkout["currency"],
            application_fee_amount=session.platform_fee_amount,
            status=PaymentStatus.OPEN,
            idempotency_key=f"adopted-{checkout['id']}",
            expires_at=datetime.fromtimestamp(checkout["expires_at"], UTC),
        )
        db.session.add(payment)
    return payment


def _hold_lapsed(session: LiveSession) -> bool:
    """The hold ran out (cancelled by the system) before the payment arrived."""
    return session.status == SessionStatus.CANCELLED.value and session.cancelled_by_role == SYSTEM


def _reactivate(session: LiveSession) -> bool:
    """Give a lapsed hold its slot back, if the slot is still free and the session still ahead.

    The database's overlap guard decides: when another booking has the slot now, the update is
    refused and the savepoint undoes it.
    """
    if session.starts_at <= utcnow():
        return False
    savepoint = db.session.begin_nested()
    try:
        session.status = SessionStatus.PENDING_PAYMENT.value
        session.cancelled_at = None
        session.cancelled_by_role = None
        session.cancelled_by_id = None
        session.cancellation_reason = None
        db.session.flush()
    except IntegrityError as exc:
        savepoint.rollback()
        if not is_overlap_violation(exc):
            raise
        db.session.refresh(session)
        return False
    savepoint.commit()
    return True


def _confirm(session: LiveSession) -> None:
    session.status = SessionStatus.CONFIRMED.value
    session.hold_expires_at = None
    session.ics_sequence += 1
    outbox.on_payment_received(session)
    outbox.on_confirmed(session)
    calendar_writes.mark(session)


def _refund_in_full(session: LiveSession, payment: Payment, reason: str, kind: str) -> None:
    refund = refunds.refund_payment(payment, reason)
    outbox.queue(
        session.fan_id,
        kind,
        session_id=session.id,
        payload={"amount": refund.amount if refund else 0, "currency": payment.currency},
        dedupe_key=f"{kind}:{payment.id}",
    )


# --- A Checkout that ended unpaid -----------------------------------------------------------


def settle_ended(checkout_id: str, status: PaymentStatus) -> None:
    """An unpaid Checkout expired or failed: release the hold unless another Checkout is live."""
    session_id = db.session.scalar(select(Payment.session_id).where(Payment.checkout_session_id == checkout_id))
    if session_id is None:
        packages.settle_ended(checkout_id, status)  # a package's, or none of ours
        return
    # The session first, then the payment: the same order as record_paid, so the two never deadlock.
    session = db.session.scalar(select(LiveSession).where(LiveSession.id == session_id).with_for_update())
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == checkout_id).with_for_update())
    if payment.status == PaymentStatus.PAID:
        return
    payment.status = status
    if session.status != SessionStatus.PENDING_PAYMENT.value:
        return
    still_open = db.session.scalar(
        select(Payment.id).where(
            Payment.session_id == session.id,
            Payment.status == PaymentStatus.OPEN,
            Payment.id != payment.id,
            Payment.expires_at > utcnow(),
        )
    )
    if still_open is not None:
        return
    holds.release_hold(session, holds.RAN_OUT, utcnow())
    outbox.queue_all([holds.ran_out_notice(session)])


# --- The safety net -------------------------------------------------------------------------

RECONCILE_AFTER = timedelta(minutes=5)


def reconcile_open_checkouts(now: datetime | None = None) -> int:
    """Periodic: settle Checkouts past their expiry whose webhook never came, by asking Stripe.

    Stripe retries webhooks for days, so this rarely finds anything; it re-reads each one and
    applies what Stripe says, exactly as the webhook would have.
    """
    now = now or utcnow()
    stale = list(
        db.session.scalars(
            select(Payment.checkout_session_id)
            .where(
                Payment.status == PaymentStatus.OPEN,
                Payment.checkout_session_id.is_not(None),
                Payment.expires_at < now - RECONCILE_AFTER,
            )
            .limit(100)
        )
    )
    db.session.commit()
    settled = 0
    for checkout_id in stale:
        try:
            checkout = gateway.retrieve_checkout_session(checkout_id)
            if checkout["status"] == "open":
                checkout = gateway.expire_checkout_session(checkout_id)
        except gateway.GatewayError as exc:
            log.warning("reconciling checkout %s failed: %s", checkout_id, exc.message)
            continue
        apply_checkout(checkout)
        db.session.commit()
        settled += 1
    return settled


# --- Reading, for pages ---------------------------------------------------------------------

# What the fan's return page says: waiting for the payment, paid (confirmed), the hold lapsed
# unpaid, the payment given back (a late or second payment), or cancelled.
ACTIVE_AFTER_PAYMENT = (
    SessionStatus.CONFIRMED.value,
    SessionStatus.IN_PROGRESS.value,
    SessionStatus.COMPLETED.value,
    SessionStatus.NO_SHOW.value,
)


@dataclass(frozen=True)
class PaymentSide:
    session: LiveSession
    state: str  # waiting | paid | released | refunded | cancelled
    open_payment: Payment | None
    refunds: list[Refund]

    @property
    def settling(self) -> bool:
        """Something is on its way (a payment on an open Checkout, or a refund): keep polling.

        Waiting without an open Checkout (Stripe could not be reached) changes only when the fan
        tries again, so the page does not poll (nor announce the same message every two seconds).
        """
        return (self.state == "waiting" and self.open_payment is not None) or any(
            r.status == RefundStatus.PENDING for r in self.refunds
        )


def payment_status(viewer: User, session_id: int) -> PaymentSide:
    """The payment side of a session as its fan, its player or an admin may see it."""
    session = session_for_viewer(viewer, session_id)
    paid = refunds.paid_payment(session)
    given_back = refunds.refunds_of(session)
    if session.status == SessionStatus.PENDING_PAYMENT.value:
        state = "waiting"
    elif session.status in ACTIVE_AFTER_PAYMENT and paid is not None:
        state = "paid"
    elif given_back:
        state = "refunded"
    elif session.status == SessionStatus.CANCELLED.value and session.cancelled_by_role == SYSTEM:
        state = "released"
    else:
        state = "cancelled"
    return PaymentSide(session, state, open_payment(session), given_back)


def payments_of(session: LiveSession) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.session_id == session.id).order_by(Payment.id)))


def open_payment(session: LiveSession) -> Payment | None:
    """The Checkout the fan can still pay, if any."""
    now = utcnow()
    for payment in reversed(payments_of(session)):
        if payment.status == PaymentStatus.OPEN and payment.checkout_url and payment.expires_at > now:
            return payment
    return None
