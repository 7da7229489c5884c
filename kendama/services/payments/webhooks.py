"""What Stripe's webhooks tell us: each verified event applied once, from Stripe's current state.

Every event is recorded once (services/webhook_events.py), and handlers re-read the object from
Stripe where its current state matters, so duplicates and out-of-order deliveries change nothing.
What an event does to a booking, a refund or a payout account is decided in checkout.py,
refunds.py and payouts.py; this module only says which of them an event type goes to.
"""

from __future__ import annotations

from collections.abc import Callable

from ...extensions import db
from ...integrations import stripe_gateway as gateway
from ...models import utcnow
from ..errors import ProviderUnavailable
from ..webhook_events import already_recorded, record_event_once
from . import checkout, payouts, refunds

PROVIDER = "stripe"


def handle_event(event: dict) -> bool:
    """Apply one verified Stripe event exactly once; False when it was seen before."""
    event_id, event_type = event["id"], event["type"]
    if already_recorded(PROVIDER, event_id):
        return False
    # Re-reading from Stripe happens outside any transaction, before the event row is written:
    # no lock is held during the call (on SQLite even a read in a POST holds the write lock).
    db.session.commit()
    handler = HANDLERS.get(event_type)
    prepared = handler.prepare(event) if handler else None
    record = record_event_once(PROVIDER, event_id, event_type)
    if record is None:
        return False
    if handler:
        handler.apply(prepared)
    record.processed_at = utcnow()
    db.session.commit()
    return True


class Handler:
    """How one event type is handled: `prepare` may call Stripe; `apply` changes the database."""

    def __init__(self, prepare: Callable[[dict], object], apply: Callable[[object], None]):
        self.prepare = prepare
        self.apply = apply


def _reread_checkout(event: dict) -> dict:
    """The Checkout Session as it is now (the event may be old, replayed or out of order)."""
    try:
        return gateway.retrieve_checkout_session(event["data"]["object"]["id"])
    except gateway.GatewayError as exc:
        raise ProviderUnavailable("Could not re-read the Checkout Session; Stripe will send the event again.") from exc


def _apply_payment_failed(found: dict) -> None:
    """A delayed payment method (a bank debit) failed after the Checkout was completed."""
    if found["status"] == "complete" and found["payment_status"] == "unpaid":
        checkout.settle_ended(found["id"], "failed")


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": Handler(_reread_checkout, checkout.apply_checkout),
    "checkout.session.async_payment_succeeded": Handler(_reread_checkout, checkout.apply_checkout),
    "checkout.session.expired": Handler(_reread_checkout, checkout.apply_checkout),
    "checkout.session.async_payment_failed": Handler(_reread_checkout, _apply_payment_failed),
    "refund.created": Handler(refunds.reread_provider_refund, refunds.apply_provider_refund),
    "refund.updated": Handler(refunds.reread_provider_refund, refunds.apply_provider_refund),
    "refund.failed": Handler(refunds.reread_provider_refund, refunds.apply_provider_refund),
    "charge.refunded": Handler(refunds.reread_charge_refunds, refunds.apply_provider_refunds),
    "account.updated": Handler(payouts.reread_account, payouts.apply_account),
}
