"""The sandbox's hosted pages: Checkout's payment page, Connect onboarding, the Express dashboard.

They stand for pages on Stripe's own domain. Card numbers are checked and forgotten (only the
last four digits are kept); a cross-site form post is refused by its Origin header, and the
onboarding form carries a one-time token minted when its single-use link was opened.
"""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for

from . import bp, cards, config, connect, delivery, ledger, store
from .params import ApiError


def _tx():
    return store.transaction(config.database_path(current_app))


def _same_origin_post() -> None:
    """Browsers send Origin on cross-site posts; refuse any that come from another site."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        expected = urlsplit(config.base_url(current_app))
        if urlsplit(origin).netloc not in {expected.netloc, request.host}:
            abort(403)


def _page(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _success_url(session: dict) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


# --- Checkout ------------------------------------------------------------------------------


@bp.get("/c/pay/<session_id>")
def checkout_page(session_id: str):
    with _tx() as tx:
        try:
            session, private = ledger.checkout_session(tx, session_id)
        except ApiError:
            abort(404)
    delivery.deliver_pending(current_app._get_current_object())
    return _checkout(session, private)


def _checkout(
    session: dict, private: dict, *, errors: dict | None = None, values: dict | None = None, status: int = 200
):
    return _page(
        "stripe_sandbox/checkout.html",
        status,
        session=session,
        items=private["line_items"],
        errors=errors or {},
        values=values or {},
        success_url=_success_url(session),
        expires=ledger.timestamp(session["expires_at"]),
    )


@bp.post("/c/pay/<session_id>")
def pay(session_id: str):
    _same_origin_post()
    app = current_app._get_current_object()
    form = request.form
    outcome = cards.check(
        form.get("card_number", ""), form.get("card_expiry", ""), form.get("card_cvc", ""), date.today()
    )
    name = form.get("cardholder_name", "").strip()
    with _tx() as tx:
        try:
            session, private = ledger.checkout_session(tx, session_id)
        except ApiError:
            abort(404)
        if session["status"] == "open" and outcome.succeeded and name:
            session = ledger.pay(tx, session_id, outcome)
    if session["status"] == "complete" and outcome.succeeded and name:
        # Stripe sends the webhook on its own schedule; the sandbox sends it before the redirect,
        # and the return page copes with either order.
        delivery.deliver_pending(app)
        return redirect(_success_url(session), code=303)
    delivery.deliver_pending(app)
    if session["status"] != "open":
        return _checkout(session, private, status=409)
    errors = {}
    if not outcome.succeeded:
        errors[outcome.field] = outcome.message
    if not name:
        errors["name"] = "Enter the name on the card."
    # Never echo the card number or security code back into the page.
    values = {"expiry": form.get("card_expiry", "")[:7], "name": name[:100]}
    return _checkout(session, private, errors=errors, values=values, status=402 if outcome.decline_code else 422)


# --- Connect onboarding ---------------------------------------------------------------------


@bp.get("/connect/onboarding/<token>")
def onboarding_page(token: str):
    form_token = secrets.token_urlsafe(24)
    with _tx() as tx:
        link = connect.open_account_link(tx, token, form_token)
        if link is None:
            abort(404)
        account = connect.account(tx, link["account"]) if link["valid"] else None
    if not link["valid"]:
        # As Stripe does with a used or expired link: back to the platform for a fresh one.
        return redirect(link["refresh_url"], code=303)
    return _page(
        "stripe_sandbox/onboarding.html",
        account=account,
        token=token,
        form_token=form_token,
        outcomes=connect.ONBOARDING_OUTCOMES,
    )


@bp.post("/connect/onboarding/<token>")
def onboarding_submit(token: str):
    _same_origin_post()
    outcome = request.form.get("outcome", "")
    with _tx() as tx:
        link = connect.link_for_form(tx, token, request.form.get("form_token", ""))
        if link is None:
            abort(404)
        if outcome not in connect.ONBOARDING_OUTCOMES:
            outcome = "later"
        connect.finish_onboarding(tx, link["account"], outcome)
    delivery.deliver_pending(current_app._get_current_object())
    return redirect(link["return_url"], code=303)


# --- The Express dashboard ------------------------------------------------------------------


@bp.get("/express/<token>")
def express_dashboard(token: str):
    with _tx() as tx:
        account_id = connect.open_login_link(tx, token)
        if account_id is None:
            abort(404)
        account = connect.account(tx, account_id)
        transfers = connect.account_activity(tx, account_id)
    return _page(
        "stripe_sandbox/express.html",
        account=account,
        transfers=transfers,
        when=ledger.timestamp,
        platform_url=_platform_payouts_url(),
    )


def _platform_payouts_url() -> str:
    """Where the dashboard leads back to: Stripe's Express dashboard links to the platform (the
    address in its Connect settings), which for this app is the player's payouts page."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("payments.payouts_page")
