"""Payments tests: the app on a live server with the Stripe sandbox, reached by the real adapter over HTTP.

The server runs on a scratch database of the test's backend (tests/support/live_server.py); its data is
committed, and the database is dropped at the end of the run. Tests work inside the live app's
context, so factories and services write to that database.
"""

from __future__ import annotations

import pytest

from kendama.extensions import db

from ...support.backends import per_backend
from ...support.live_server import serve


def _stripe_server(request, backend: str):
    """The app served over HTTP; the adapter talks to its sandbox by HTTP, as it would to Stripe."""
    sandbox_db = request.getfixturevalue("tmp_path_factory").mktemp("stripe-sandbox") / "sandbox.sqlite3"
    overrides = {
        "STRIPE_SANDBOX_TRANSPORT": "http",
        "STRIPE_SANDBOX_DB": str(sandbox_db),
        "REFUND_RETRY_BASE_SECONDS": 0,
        "REFUND_MAX_ATTEMPTS": 3,
    }
    with serve(overrides, backend) as server:
        yield server


stripe_server_postgresql, stripe_server_sqlite, stripe_server = per_backend("stripe_server", _stripe_server)


@pytest.fixture
def live(stripe_server):
    """Work inside the live app (its database, its sandbox)."""
    with stripe_server.app_context():
        yield stripe_server
        db.session.rollback()
