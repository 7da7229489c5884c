"""Payments tests: the app on a live server with the Stripe sandbox, reached by the real adapter over HTTP.

The server runs on a scratch PostgreSQL database (tests/live_server.py); its data is committed,
and the database is dropped at the end of the run. Tests work inside the live app's context, so
factories and services write to that database.
"""

from __future__ import annotations

import pytest

from kendama.extensions import db

from ...live_server import serve


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory):
    """The app served over HTTP; the adapter talks to its sandbox by HTTP, as it would to Stripe."""
    sandbox_db = tmp_path_factory.mktemp("stripe-sandbox") / "sandbox.sqlite3"
    overrides = {
        "STRIPE_SANDBOX_TRANSPORT": "http",
        "STRIPE_SANDBOX_DB": str(sandbox_db),
        "REFUND_RETRY_BASE_SECONDS": 0,
        "REFUND_MAX_ATTEMPTS": 3,
    }
    with serve(overrides) as server:
        yield server


@pytest.fixture
def live(stripe_server):
    """Work inside the live app (its database, its sandbox)."""
    with stripe_server.app_context():
        yield stripe_server
        db.session.rollback()
