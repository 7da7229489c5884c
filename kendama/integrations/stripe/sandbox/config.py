"""Where the sandbox lives and whether it may run; shared by the adapter and the sandbox itself."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

URL_PREFIX = "/_sandbox/stripe"
# The sandbox's own test-mode key: only the sandbox accepts it, Stripe never would.
API_KEY = "sk_test_kendama_sandbox"


def enabled(app: Flask) -> bool:
    """Never with a real key configured, never where sandboxes are refused (production, staging)."""
    return bool(app.config.get("SANDBOXES_ALLOWED")) and not app.config.get("STRIPE_SECRET_KEY")


def base_url(app: Flask) -> str:
    """The address that stands in for https://api.stripe.com (and for Stripe's hosted pages)."""
    return (app.config.get("STRIPE_SANDBOX_URL") or app.config["BASE_URL"].rstrip("/") + URL_PREFIX).rstrip("/")


def database_path(app: Flask) -> str:
    """A small SQLite file, so state survives restarts and is shared by every worker process."""
    return app.config.get("STRIPE_SANDBOX_DB") or str(Path(app.instance_path) / "stripe_sandbox.sqlite3")


def webhook_secret(app: Flask) -> str:
    """The signing secret of the sandbox's webhook endpoint (made once, kept in its database)."""
    from . import store

    return store.webhook_secret(database_path(app))
