"""How a request is tied to a user: the session cookie (flask-login) or an API bearer token."""

from __future__ import annotations

from flask import g

from ..extensions import login_manager
from ..models import User


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic", not "strong": strong protection treats any cookie session it did not sign in
    # (e.g. an anonymous visitor's CSRF session) as hijacked and then skips the bearer-token
    # loader, so API clients holding a cookie got 401. Sign-in starts a fresh session instead
    # (auth/routes.py), and signing out or a password change ends the sign-in on the server.
    login_manager.session_protection = "basic"
    # The session and the remember-me cookie carry the sign-in's key (services/accounts/sign_ins.py),
    # never the user id: a cookie is only ever as good as the sign-in it names.
    login_manager.id_attribute = "get_sign_in_key"


@login_manager.user_loader
def load_user(sign_in_key: str) -> User | None:
    """The user of the live sign-in that the session or the remember-me cookie names."""
    from ..services.accounts.sign_ins import user_for

    return user_for(sign_in_key)


@login_manager.request_loader
def load_user_from_bearer(req) -> User | None:
    """API clients send `Authorization: Bearer <token>`; only /api honours it."""
    from ..services.accounts.api_tokens import user_for_token

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
