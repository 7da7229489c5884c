"""CalDAV app passwords encrypted at rest with CALENDAR_SECRETS_KEY (Fernet, from `cryptography`).

The setting may hold several comma-separated keys while rotating: the first encrypts, any decrypts.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key this server no longer has."""


def keys_problem(setting: str | None) -> str | None:
    """Why the setting is not a usable key list (None when it is)."""
    if not setting or not setting.strip():
        return "is not set"
    try:
        _fernet(setting)
    except ValueError:
        return "is not a Fernet key (32 url-safe base64-encoded bytes)"
    return None


def _fernet(setting: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip()) for key in setting.split(",") if key.strip()])


def _current() -> MultiFernet:
    return _fernet(current_app.config["CALENDAR_SECRETS_KEY"])


def seal(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable from exc
