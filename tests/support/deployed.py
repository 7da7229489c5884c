"""Settings with which production and staging start (kendama/start_checks.py), for tests that build such an app."""

from __future__ import annotations

import secrets

from cryptography.fernet import Fernet


def production_settings(**overrides) -> dict:
    """A random SECRET_KEY and an https BASE_URL, plus the test's own settings."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CALENDAR_SECRETS_KEY": Fernet.generate_key().decode(),
        "BASE_URL": "https://kendama.example",
        **overrides,
    }
