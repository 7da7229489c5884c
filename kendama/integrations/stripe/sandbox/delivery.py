"""Sending the sandbox's events to the app's webhook endpoint, signed the way Stripe signs them.

`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, computed with the
standard library's hmac. Events go out oldest first; a failed delivery is retried with backoff,
by the next sandbox request or the periodic tick, until it is abandoned.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import requests
from flask import Flask

from . import config, store

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
WEBHOOK_PATH = "/webhooks/stripe"


def signature_header(secret: str, body: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def deliver_pending(app: Flask, limit: int = 50) -> int:
    """Deliver the events that are due; returns how many the endpoint accepted."""
    path = config.database_path(app)
    secret = store.webhook_secret(path)
    delivered = 0
    for _ in range(limit):
        claimed = store.claim_event(path)
        if claimed is None:
            break
        error = _send(app, claimed["body"], signature_header(secret, claimed["body"]))
        if error is None:
            store.event_delivered(path, claimed["id"])
            delivered += 1
        else:
            log.warning("sandbox webhook %s not delivered: %s", claimed["id"], error)
            store.event_failed(path, claimed["id"], claimed["attempts"], error, MAX_ATTEMPTS)
    return delivered


def _send(app: Flask, body: str, signature: str) -> str | None:
    """POST one event; None when the endpoint answered 2xx, else what went wrong."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) kendama-sandbox",
    }
    if app.config.get("STRIPE_SANDBOX_TRANSPORT") == "wsgi":
        # Tests without a live server: the endpoint is this very app, reached without a socket.
        with app.app_context():
            response = app.test_client().post(WEBHOOK_PATH, data=body.encode(), headers=headers)
        status = response.status_code
    else:
        try:
            status = requests.post(
                app.config["BASE_URL"].rstrip("/") + WEBHOOK_PATH, data=body.encode(), headers=headers, timeout=10
            ).status_code
        except requests.RequestException as exc:
            return f"{exc.__class__.__name__}: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status}"
