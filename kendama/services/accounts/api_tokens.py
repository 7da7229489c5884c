"""API bearer tokens: random, shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select

from ...extensions import db
from ...models import ApiToken, User, utcnow


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


@dataclass(frozen=True)
class SigningToken:
    """The token a request was signed with: its id is all that revoking it needs."""

    id: int


# Every API request asks this, so it is one query built once (building it anew cost more than
# running it). Whether the token is live and its account active is decided in SQL, and only the
# user becomes an ORM object (flask-login needs a real User); the token comes back as its id.
_LIVE_TOKEN_USER = (
    select(User, ApiToken.id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.is_active_account.is_(True),
    )
)


def user_for_token(raw_token: str) -> tuple[User, SigningToken] | None:
    """The active user behind a live (unrevoked, unexpired) token, or None."""
    if not raw_token:
        return None
    found = db.session.execute(_LIVE_TOKEN_USER, {"token_hash": digest(raw_token), "now": utcnow()}).first()
    if found is None:
        return None
    user, token_id = found
    return user, SigningToken(token_id)


def revoke_token(token_id: int) -> None:
    """Stop a token from working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
