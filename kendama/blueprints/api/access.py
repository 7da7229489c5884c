"""Checks every API request passes: bearer or cookie auth, CSRF for cookie auth, JSON bodies."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ...extensions import csrf
from ...web.auth_loading import authenticated_by_token
from . import bp

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

csrf.exempt(bp)


@bp.before_request
def check_request():
    if request.method not in UNSAFE:
        return None
    # Cookie-authenticated browsers must prove the request came from our pages; bearer
    # clients and anonymous JSON callers cannot be driven cross-site (JSON needs CORS).
    # current_user is resolved first: it is what records whether a token signed the request.
    if current_user.is_authenticated and not authenticated_by_token():
        csrf.protect()
    return None
