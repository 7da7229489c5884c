"""Browsers' sign-ins, kept on the server so that signing out really ends them.

A browser's signed cookie session (and its remember-me cookie) carries only a random key; the
sign-in it names lives here. Every request with a cookie asks whether that sign-in is live, so
signing out, "sign out everywhere" and a password change end it at once, and a copied cookie
stops working with it. Only the key's SHA-256 digest is stored, as for API tokens.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, update

from ...extensions import db
from ...models import ApiToken, SignIn, User, utcnow
from .api_tokens import digest


def lifetime(remembered: bool) -> timedelta:
    """How long a sign-in lives: the remember-me cookie's duration, or SIGN_IN_HOURS without it."""
    if remembered:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    return timedelta(hours=current_app.config["SIGN_IN_HOURS"])


def begin(user_id: int, *, remembered: bool = False) -> str:
    """Record a new sign-in for the user; the raw key is returned once, for the browser's cookies."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        SignIn(user_id=user_id, key_hash=digest(key), remembered=remembered, expires_at=utcnow() + lifetime(remembered))
    )
    db.session.commit()
    return key


# Asked on every request that brings a session cookie: one query, built once (as for tokens).
_LIVE_SIGN_IN_USER = (
    select(User)
    .join(SignIn, SignIn.user_id == User.id)
    .where(
        SignIn.key_hash == bindparam("key_hash"),
        SignIn.revoked_at.is_(None),
        SignIn.expires_at > bindparam("now"),
        User.is_active_account.is_(True),
    )
)


def user_for(key: str) -> User | None:
    """The active user of a live sign-in, or None (signed out, expired, unknown or tampered)."""
    if not key or not isinstance(key, str):
        return None
    user = db.session.scalar(_LIVE_SIGN_IN_USER, {"key_hash": digest(key), "now": utcnow()})
    if user is not None:
        user.sign_in_key = key
    return user


def was_remembered(key: str | None) -> bool:
    """Whether the sign-in with this key was made with "keep me signed in"."""
    if not key:
        return False
    return bool(db.session.scalar(select(SignIn.remembered).where(SignIn.key_hash == digest(key))))


def end(key: str | None) -> None:
    """End one sign-in (signing out of this browser); unknown keys are ignored."""
    if not key or not isinstance(key, str):
        return
    db.session.execute(
        update(SignIn).where(SignIn.key_hash == digest(key), SignIn.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    db.session.commit()


def revoke_everything(user_id: int, now: datetime | None = None) -> None:
    """End every sign-in and every API token of the user, in the caller's transaction."""
    now = now or utcnow()
    db.session.execute(
        update(SignIn).where(SignIn.user_id == user_id, SignIn.revoked_at.is_(None)).values(revoked_at=now)
    )
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def sign_out_everywhere(user_id: int) -> None:
    """The account page's "sign out everywhere": every browser and every API client of the user."""
    revoke_everything(user_id)
    db.session.commit()


def purge_dead(now: datetime | None = None) -> int:
    """Delete sign-ins and API tokens that can never work again (expired or revoked); returns how many."""
    now = now or utcnow()
    removed = 0
    for model in (SignIn, ApiToken):
        result = db.session.execute(
            delete(model).where(or_(model.expires_at <= now, model.revoked_at.is_not(None))),
            execution_options={"synchronize_session": False},
        )
        removed += result.rowcount or 0
    db.session.commit()
    return removed
