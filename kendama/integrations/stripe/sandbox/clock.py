"""The sandbox's periodic tick: what Stripe does on its own time (expiry, webhook retries)."""

from __future__ import annotations

from flask import Flask

from . import config, delivery, ledger, store


def tick(app: Flask, moment: int | None = None) -> int:
    """Expire open Checkout Sessions whose time is up, then deliver what is due; a no-op when off."""
    if not config.enabled(app):
        return 0
    with store.transaction(config.database_path(app)) as tx:
        expired = ledger.expire_due(tx, store.now() if moment is None else moment)
    delivery.deliver_pending(app)
    return expired
