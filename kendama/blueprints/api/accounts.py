"""Accounts and API tokens: POST /api/users, POST /api/tokens, DELETE /api/tokens/current,
PUT /api/users/me/password."""

from __future__ import annotations

from flask import current_app, g, jsonify

from ...extensions import limiter
from ...services.accounts import accounts, api_tokens
from ...services.errors import NotAuthenticated
from ...services.timezones import iso_utc
from ..registration_limits import limit_registration
from . import bp
from .io import parse_body, require_user
from .schemas import PasswordChangeIn, RegisterIn, TokenIn, TokenOut, UserOut
from .serializers import user_out
from .spec import operation


@bp.post("/users")
@limit_registration()
@operation(
    "Create a fan or player account (usable at once; a weak password is a 422 on `password`; a fan under the"
    " guardian age needs `guardian_email`, and books once the guardian confirms)",
    tag="auth",
    body=RegisterIn,
    responses={201: UserOut},
    errors=(409, 429),
    auth=False,
)
def create_user():
    data = parse_body(RegisterIn)
    user = accounts.register_user(
        data.email,
        data.password,
        data.display_name,
        data.role,
        data.timezone,
        birth_year=data.birth_year,
        guardian_email=data.guardian_email,
    )
    return jsonify(user_out(user)), 201


@bp.post("/tokens")
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKENS"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], deduct_when=lambda response: response.status_code == 401)
@operation(
    "Exchange email and password for an API token",
    tag="auth",
    body=TokenIn,
    responses={201: TokenOut},
    errors=(401, 403, 429),
    auth=False,
)
def create_token():
    data = parse_body(TokenIn)
    user = accounts.authenticate(data.email, data.password)
    if user is None:
        raise NotAuthenticated("Email or password is not right.", code="invalid_credentials")
    raw, token = api_tokens.issue_token(user)
    return jsonify({"token": raw, "expires_at": iso_utc(token.expires_at), "user": user_out(user)}), 201


@bp.delete("/tokens/current")
@operation("Revoke the token this request is signed with", tag="auth", responses={204: None})
def revoke_current_token():
    require_user()
    token = g.get("api_token")
    if token is None:
        raise NotAuthenticated("This request was not made with an API token.", code="no_token")
    api_tokens.revoke_token(token.id)
    return "", 204


@bp.put("/users/me/password")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], deduct_when=lambda response: response.status_code == 403)
@operation(
    "Change the password; every API token (this one too) and every browser sign-in ends",
    tag="auth",
    body=PasswordChangeIn,
    responses={204: None},
    errors=(403, 429),
)
def change_password():
    user = require_user()
    data = parse_body(PasswordChangeIn)
    accounts.change_password(user.id, data.current_password, data.new_password)
    return "", 204


@bp.get("/users/me")
@operation("The signed-in user", tag="auth", responses={200: UserOut})
def me():
    return jsonify(user_out(require_user()))
