"""How a request is tied to a user: the session cookie (flask-login) or an API bearer token."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from .extensions import db, login_manager
from .models import User


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic", not "strong": strong protection treats any cookie session it did not sign in
    # (e.g. an anonymous visitor's CSRF session) as hijacked and then skips the bearer-token
    # loader, so API clients holding a cookie got 401. Sign-in starts a fresh session instead
    # (auth/routes.py), and a password change ends all others (auth_version).
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Cookie sessions carry `id:auth_version`; a password change invalidates older ones."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.scalar(select(User).where(User.id == uid))
    if user is None or user.auth_version != version or not user.is_active_account:
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer(req) -> User | None:
    """API clients send `Authorization: Bearer <token>`; only /api honours it."""
    from .services.tokens import user_for_token

    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    found = user_for_token(header[7:].strip())
    if found is None:
        return None
    user, token = found
    g.api_token = token
    return user


def authenticated_by_token() -> bool:
    """True when this request's user came from an API token (no CSRF needed then)."""
    return g.get("api_token") is not None
