"""What Stripe's webhooks tell us: each verified event applied once, from Stripe's current state.

The view hands over the raw body and its signature; the adapter (integrations/stripe/gateway.py)
verifies them, as the video webhook's adapter does for video/webhooks.py.

Every event is recorded once (services/webhook_events.py), and handlers re-read the object from
Stripe where its current state matters, so duplicates and out-of-order deliveries change nothing.
What an event does to a booking, a refund or a payout account is decided in checkout.py,
refunds.py and payouts.py; this module only says which of them an event type goes to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ...extensions import db
from ...integrations.stripe import gateway
from ...models import PaymentStatus, utcnow
from ..errors import ProviderUnavailable, ServiceError
from ..webhook_events import already_recorded, record_event_once
from . import checkout, payouts, refunds

log = logging.getLogger(__name__)

PROVIDER = "stripe"


class InvalidWebhook(ServiceError):
    """Unsigned, badly signed, stale or not an event: answered 400 and nothing changes."""

    status = 400
    code = "invalid_signature"


class PaymentsNotConfigured(ServiceError):
    """No Stripe key where the sandbox may not stand in: answered 503 (Stripe retries later)."""

    status = 503
    code = "unavailable"


def handle_webhook(raw_body: bytes, signature: str | None) -> bool:
    """Verify one delivery with the Stripe adapter and apply its event once; False for a duplicate."""
    try:
        event = gateway.construct_event(raw_body, signature)
    except gateway.InvalidWebhook as exc:
        log.warning("refused a Stripe webhook: %s", exc)
        raise InvalidWebhook(str(exc)) from exc
    except gateway.PaymentsNotConfigured as exc:
        log.error("a Stripe webhook arrived but payments are not configured: %s", exc)
        raise PaymentsNotConfigured("Payments are not configured.") from exc
    return handle_event(event)


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
        checkout.settle_ended(found["id"], PaymentStatus.FAILED)


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
