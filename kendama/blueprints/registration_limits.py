"""Registration's rate limits, shared by the page and the API: per client address and per email.

The per-email limit counts the page and the API together, and only attempts that were answered
(an account made, an email sent, a taken address told): each may send that address an email,
and no number of clients may flood one address, or probe it, faster than this.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from ..extensions import limiter

EMAIL_SCOPE = "registration-email"
ANSWERED = {201, 303, 409}


def registration_email() -> str:
    """The address a registration request is for, as stored (lower case); '' when it names none."""
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # absurdly nested JSON: parse_body refuses it with a 400
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    return email.strip().lower() if isinstance(email, str) else ""


def limit_registration(methods: list[str] | None = None) -> Callable:
    """Both limits on a registration view (RATELIMIT_REGISTER per client, RATELIMIT_REGISTER_EMAIL per email)."""

    def decorate(view: Callable) -> Callable:
        view = limiter.shared_limit(
            lambda: current_app.config["RATELIMIT_REGISTER_EMAIL"],
            scope=EMAIL_SCOPE,
            key_func=registration_email,
            exempt_when=lambda: not registration_email(),
            deduct_when=lambda response: response.status_code in ANSWERED,
            methods=methods,
        )(view)
        return limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=methods)(view)

    return decorate
