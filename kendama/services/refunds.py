"""Recording a refund the policy grants. The row is the promise; payments carry it out.

`request_refund` adds a Refund row to the caller's transaction (it does not commit), so a
cancellation and its refund are saved together or not at all. The payment provider call happens
afterwards in a job, which retries failures; admins see refunds that keep failing.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import LiveSession, Payment, Refund
from .money import fee_refund


def paid_payment(session: LiveSession) -> Payment | None:
    """The payment that paid for this session, if any."""
    return db.session.scalar(
        select(Payment).where(Payment.session_id == session.id, Payment.status == "paid").order_by(Payment.id.desc())
    )


def request_refund(session: LiveSession, amount: int, reason: str = "requested_by_customer") -> Refund | None:
    """Add a refund of `amount` minor units for a paid session (None when nothing was paid)."""
    payment = paid_payment(session)
    if payment is None or amount <= 0:
        return None
    amount = min(amount, payment.amount - _already_refunded(payment))
    if amount <= 0:
        return None
    refund = Refund(
        session_id=session.id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        fee_refund_amount=fee_refund(payment.application_fee_amount, amount, payment.amount),
        reason=reason,
        idempotency_key=f"refund-{session.id}-{payment.id}-{session.ics_sequence}-{amount}",
    )
    db.session.add(refund)
    return refund


def _already_refunded(payment: Payment) -> int:
    refunds = db.session.scalars(
        select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status != "dead")
    )
    return sum(refunds)
