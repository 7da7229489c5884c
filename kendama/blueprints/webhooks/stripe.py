"""POST /webhooks/stripe: Stripe's events, verified and applied once."""

from __future__ import annotations

from flask import jsonify, request

from ...services.payments import webhooks
from . import bp


@bp.post("/stripe")
def stripe_webhook():
    # Unsigned or badly signed (400) and payments not configured (503): see webhooks.handle_webhook.
    processed = webhooks.handle_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return jsonify({"received": True, "duplicate": not processed})
