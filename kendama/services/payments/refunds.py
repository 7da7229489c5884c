"""Refunds: the row is the promise, a job carries it out against Stripe and retries failures.

`request_refund` adds a Refund row to the caller's transaction (it does not commit), so a
cancellation and its refund are saved together or not at all; `execute_refund` runs once that
transaction has committed. A refund that fails is retried with backoff by a periodic sweep, and
after REFUND_MAX_ATTEMPTS it is `dead`: admins see it and can retry it by hand.

Idempotency: a refund row always sends the same key to Stripe, so a retry after a timeout can
never refund twice. Only when Stripe reports that refund as failed (the money came back) does
the next attempt use a new key, derived from the failed refund's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ...extensions import db
from ...integrations.stripe import gateway
from ...models import TROUBLED_REFUNDS, LiveSession, Payment, PaymentStatus, Refund, RefundStatus, User, utcnow
from ...tasks.queue import after_commit
from ..access import require_admin
from ..errors import NotFound, ProviderUnavailable
from .money import fee_refund

log = logging.getLogger(__name__)

# Stripe takes only these reasons; ours are finer and travel in the metadata.
STRIPE_REASONS = {"duplicate": "duplicate", "fraudulent": "fraudulent"}
MAX_BACKOFF = timedelta(hours=6)
# A pending row whose job never ran (Redis lost it) is picked up after this long.
DROPPED_AFTER = timedelta(minutes=2)
# A refund Stripe reported as pending is re-read after this long if no webhook settled it.
PENDING_REREAD_AFTER = timedelta(minutes=30)


def paid_payment(session: LiveSession) -> Payment | None:
    """The payment that paid for this session, if any."""
    return db.session.scalar(
        select(Payment)
        .where(Payment.session_id == session.id, Payment.status == PaymentStatus.PAID)
        .order_by(Payment.id.desc())
    )


def request_refund(session: LiveSession, amount: int, reason: str = "requested_by_customer") -> Refund | None:
    """Add a refund of `amount` minor units for a paid session (None when nothing was paid)."""
    payment = paid_payment(session)
    if payment is None or amount <= 0:
        return None
    return _add_refund(payment, amount, reason, f"refund-{session.id}-{payment.id}-{session.ics_sequence}-{amount}")


def refund_payment(payment: Payment, reason: str) -> Refund | None:
    """Refund whatever is left of one payment (a second payment, or one that came too late)."""
    return _add_refund(payment, payment.amount, reason, f"refund-{payment.session_id}-{payment.id}-full-{reason}")


def refund_package(payment: Payment, amount: int, key: str) -> Refund | None:
    """Add a refund of `amount` of a package purchase's payment (its unused credits, pro rata)."""
    return _add_refund(payment, amount, "package_credits_unused", key)


def fee_share(fee: int, paid: int, refunded_before: int, fee_returned_before: int, amount: int) -> int:
    """The part of the platform fee that goes back with one more refund of `amount`.

    Computed on the running total, so that however a payment is refunded in parts, the fee given
    back is always the one rule (money.fee_refund) applied to everything refunded so far: the
    parts never add up to more than the fee, and a full refund returns exactly all of it.
    """
    return fee_refund(fee, refunded_before + amount, paid) - fee_returned_before


def _add_refund(payment: Payment, amount: int, reason: str, key: str) -> Refund | None:
    refunded_before, fee_returned_before = _already_refunded(payment)
    amount = min(amount, payment.amount - refunded_before)
    if amount <= 0:
        return None
    refund = Refund(
        session_id=payment.session_id,
        package_purchase_id=payment.package_purchase_id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        fee_refund_amount=fee_share(
            payment.application_fee_amount, payment.amount, refunded_before, fee_returned_before, amount
        ),
        reason=reason,
        idempotency_key=key,
    )
    db.session.add(refund)
    db.session.flush([refund])
    after_commit("kendama.jobs.execute_refund", refund.id)
    return refund


def _already_refunded(payment: Payment) -> tuple[int, int]:
    """(amount, fee part) of this payment's refunds that are done or still on their way."""
    rows = db.session.execute(
        select(Refund.amount, Refund.fee_refund_amount).where(
            Refund.payment_id == payment.id, Refund.status != RefundStatus.DEAD
        )
    ).all()
    return sum(r.amount for r in rows), sum(r.fee_refund_amount for r in rows)


def refunds_of(session: LiveSession) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.session_id == session.id).order_by(Refund.id)))


# --- Carrying a refund out ------------------------------------------------------------------


def execute_refund(refund_id: int, *, now: datetime | None = None) -> Refund | None:
    """Job: send one refund to Stripe (or re-read it), and record the outcome."""
    now = now or utcnow()
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status in (RefundStatus.SUCCEEDED, RefundStatus.DEAD):
        return refund
    if refund.status == RefundStatus.PENDING and refund.provider_refund_id:
        return _sync(refund)
    if refund.status == RefundStatus.FAILED and refund.next_attempt_at and refund.next_attempt_at > now:
        return refund  # not due yet; the sweep brings it back
    payment = db.session.get(Payment, refund.payment_id)
    if payment is None or not payment.payment_intent_id:
        return _give_up(refund, "The payment has no Stripe payment intent to refund.")
    key = refund.idempotency_key
    if refund.provider_refund_id:
        key = f"{key}:after:{refund.provider_refund_id}"  # that refund failed; this is a new one
    refund.attempts += 1
    refund.last_error = None
    request = {
        "payment_intent": payment.payment_intent_id,
        "amount": refund.amount,
        "reason": STRIPE_REASONS.get(refund.reason, "requested_by_customer"),
        "metadata": _refund_metadata(refund),
        "idempotency_key": key,
    }
    db.session.commit()  # the attempt is counted first; no lock is held while Stripe is called
    try:
        result = gateway.create_refund(**request)
    except gateway.GatewayError as exc:
        log.warning("refund %s failed: %s", refund_id, exc.message)
        return _failed(db.session.get(Refund, refund_id, with_for_update=True), exc.message)
    return _record(db.session.get(Refund, refund_id, with_for_update=True), result)


def _refund_metadata(refund: Refund) -> dict[str, str]:
    """What the refund is for, as Stripe keeps it beside the refund: a session or a package purchase."""
    what = {"session_id": str(refund.session_id)} if refund.session_id else {}
    if refund.package_purchase_id:
        what = {"package_purchase_id": str(refund.package_purchase_id)}
    return {"refund_id": str(refund.id), **what, "reason": refund.reason}


def _sync(refund: Refund) -> Refund:
    try:
        result = gateway.retrieve_refund(refund.provider_refund_id)
    except gateway.GatewayError as exc:
        log.warning("re-reading refund %s failed: %s", refund.id, exc.message)
        db.session.commit()
        return refund
    return _record(db.session.get(Refund, refund.id, with_for_update=True), result)


def _record(refund: Refund, provider: dict) -> Refund:
    _apply_state(refund, provider)
    db.session.commit()
    return refund


def _failed(refund: Refund, message: str) -> Refund:
    _schedule_retry(refund, message)
    db.session.commit()
    return refund


def _apply_state(refund: Refund, provider: dict) -> None:
    """Record what Stripe says about a refund of this row; news of an earlier, replaced one is ignored."""
    previous_id = refund.provider_refund_id
    if previous_id not in (None, provider["id"]) and refund.status != RefundStatus.FAILED:
        return
    refund.provider_refund_id = provider["id"]
    status = provider["status"]
    if status == "succeeded":
        if refund.status != RefundStatus.SUCCEEDED:
            refund.status = RefundStatus.SUCCEEDED
            refund.completed_at = utcnow()
            refund.next_attempt_at = None
            refund.last_error = None
    elif status in ("failed", "canceled"):
        if refund.status != RefundStatus.FAILED or previous_id != provider["id"]:
            reason = provider.get("failure_reason") or "no reason given"
            _schedule_retry(refund, f"Stripe reported the refund {status}: {reason}.")
    else:  # pending, requires_action: a webhook tells us when it settles
        refund.status = RefundStatus.PENDING


def _schedule_retry(refund: Refund, message: str) -> None:
    """Retry later with exponential backoff, or give up after the configured number of attempts."""
    refund.last_error = message[:1000]
    if refund.attempts >= current_app.config["REFUND_MAX_ATTEMPTS"]:
        refund.status = RefundStatus.DEAD
        refund.next_attempt_at = None
        log.error("refund %s is dead after %s attempts: %s", refund.id, refund.attempts, message)
    else:
        base = timedelta(seconds=current_app.config["REFUND_RETRY_BASE_SECONDS"])
        refund.status = RefundStatus.FAILED
        refund.next_attempt_at = utcnow() + min(base * 2 ** max(refund.attempts - 1, 0), MAX_BACKOFF)


def _give_up(refund: Refund, message: str) -> Refund:
    refund.status = RefundStatus.DEAD
    refund.last_error = message
    refund.next_attempt_at = None
    db.session.commit()
    return refund


def due_refund_ids(now: datetime | None = None) -> list[int]:
    """Refunds the sweep should (re)run: failed ones now due, and pending ones left behind."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Refund.id)
            .where(
                or_(
                    (Refund.status == RefundStatus.FAILED) & (Refund.next_attempt_at <= now),
                    (Refund.status == RefundStatus.PENDING)
                    & Refund.provider_refund_id.is_(None)
                    & (Refund.created_at <= now - DROPPED_AFTER),
                    (Refund.status == RefundStatus.PENDING)
                    & Refund.provider_refund_id.is_not(None)
                    & (Refund.created_at <= now - PENDING_REREAD_AFTER),
                )
            )
            .order_by(Refund.id)
            .limit(200)
        )
    )
    db.session.commit()
    return ids


@dataclass(frozen=True)
class Retry:
    """What an admin's retry did: the refund as it is now, and whether it had been done already."""

    refund: Refund
    already_done: bool  # it had succeeded, or was with Stripe, before the admin's click


def retry_now(admin: User, refund_id: int) -> Retry:
    """An admin sends a failed or dead refund again, with a fresh set of attempts.

    The attempt runs here rather than as a job, so the admin is told its outcome: sent, with
    Stripe, or failed again (and when the next attempt is). A refund that is no longer failing
    (the sweep got there first, or a second click) is left as it is.
    """
    require_admin(admin)
    refund = db.session.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise NotFound("No such refund.")
    if refund.status not in TROUBLED_REFUNDS:
        db.session.commit()
        return Retry(refund, already_done=True)
    refund.status = RefundStatus.FAILED
    refund.attempts = 0
    refund.next_attempt_at = utcnow()
    db.session.commit()
    return Retry(execute_refund(refund_id), already_done=False)


def troubled_refunds(admin: User) -> list[Refund]:
    """Refunds that need an admin's eye: failing (will retry) and dead ones, oldest first."""
    require_admin(admin)
    return list(
        db.session.scalars(
            select(Refund).where(Refund.status.in_(TROUBLED_REFUNDS)).order_by(Refund.status, Refund.created_at)
        )
    )


# --- Refund webhooks ------------------------------------------------------------------------


def reread_provider_refund(event: dict) -> dict:
    """The refund as Stripe has it now (refund.created / .updated / .failed may come out of order)."""
    try:
        return gateway.retrieve_refund(event["data"]["object"]["id"])
    except gateway.GatewayError as exc:
        raise ProviderUnavailable("Could not re-read the refund; Stripe will send the event again.") from exc


def reread_charge_refunds(event: dict) -> list[dict]:
    """charge.refunded: the current state of each of our refunds on that payment still in flight."""
    intent = event["data"]["object"].get("payment_intent")
    provider_ids = db.session.scalars(
        select(Refund.provider_refund_id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.payment_intent_id == intent,
            Refund.status == RefundStatus.PENDING,
            Refund.provider_refund_id.is_not(None),
        )
    )
    ids = list(provider_ids)
    db.session.commit()
    try:
        return [gateway.retrieve_refund(provider_id) for provider_id in ids]
    except gateway.GatewayError as exc:
        raise ProviderUnavailable("Could not re-read the refunds; Stripe will send the event again.") from exc


def apply_provider_refund(provider: dict) -> None:
    """Record a refund's state on our row, found by its id or by the refund_id in its metadata."""
    refund = db.session.scalar(select(Refund).where(Refund.provider_refund_id == provider["id"]).with_for_update())
    if refund is None:
        our_id = (provider.get("metadata") or {}).get("refund_id", "")
        if not our_id.isdigit():
            return  # not a refund this platform made
        refund = db.session.get(Refund, int(our_id), with_for_update=True)
        if refund is None:
            return
    if refund.status != RefundStatus.DEAD:
        _apply_state(refund, provider)


def apply_provider_refunds(providers: list[dict]) -> None:
    for provider in providers:
        apply_provider_refund(provider)
