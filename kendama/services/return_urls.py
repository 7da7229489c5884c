"""Absolute links that Stripe sends people back to (Checkout and onboarding return pages).

They are built from BASE_URL, not from a request's host: the calls that make them also run in
jobs, and Stripe must reach the address the operator configured.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
