"""API bearer tokens: random, shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, User, utcnow


def digest(raw_token: str) -> str:
    """The stored form of a token (a random 256-bit token needs no slow hash)."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create a token for a user; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=digest(raw),
        expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_DAYS"]),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token


# Every API request asks this: the token and its user come back in one query, built once since
# building it anew cost more than running it.
_TOKEN_WITH_USER = (
    select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(joinedload(ApiToken.user))
)


def user_for_token(raw_token: str) -> tuple[User, ApiToken] | None:
    """The active user behind a live token, or None."""
    if not raw_token:
        return None
    token = db.session.scalar(_TOKEN_WITH_USER, {"token_hash": digest(raw_token)})
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.is_active_account:
        return None
    return token.user, token


def revoke_token(token_id: int) -> None:
    """Stop a token from working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
