"""POST /webhooks/stripe: verify the signature with the adapter, then hand the event to payments."""

from __future__ import annotations

from flask import current_app, jsonify, request

from ...integrations import stripe_gateway as gateway
from ...services.payments import webhooks
from ...web.errors import respond
from . import bp


@bp.post("/stripe")
def stripe_webhook():
    try:
        event = gateway.construct_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as exc:
        current_app.logger.warning("refused a Stripe webhook: %s", exc)
        return respond(400, "invalid_signature", str(exc))
    except gateway.PaymentsNotConfigured as exc:
        current_app.logger.error("a Stripe webhook arrived but payments are not configured: %s", exc)
        return respond(503, "unavailable", "Payments are not configured.")
    processed = webhooks.handle_event(event)
    return jsonify({"received": True, "duplicate": not processed})
