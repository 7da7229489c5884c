"""Signed, expiring tokens for links (join, cancel, recordings, password reset).

Built on itsdangerous, which Flask already ships; each purpose has its own salt so a token
minted for one purpose is useless for another.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import NotAllowed


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kendama.{purpose}")


def sign(purpose: str, data: Any) -> str:
    """A URL-safe signed token carrying `data` for `purpose`."""
    return _serializer(purpose).dumps(data)


def unsign(purpose: str, token: str, max_age_seconds: int) -> Any:
    """The data inside a token, or NotAllowed when it is forged, for another purpose or expired."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise NotAllowed("This link has expired.", code="link_expired") from exc
    except BadSignature as exc:
        raise NotAllowed("This link is not valid.", code="link_invalid") from exc
