"""Thin views over services/payments/checkout.py, payouts.py and earnings.py."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user, login_required

from ...services.payments import checkout, earnings, payouts
from ..redirects import see_other
from . import bp

# --- The fan's return from Checkout ---------------------------------------------------------


@bp.get("/sessions/<int:session_id>/payment")
@login_required
def checkout_return(session_id: int):
    """Stripe's success_url: shows the real state, which the webhook may not have reached yet."""
    return render_template("payments/return.html", status=checkout.payment_status(current_user, session_id))


@bp.get("/sessions/<int:session_id>/payment/status")
@login_required
def checkout_status(session_id: int):
    """The status fragment; it asks to be polled again while the payment is settling."""
    return render_template("payments/_status.html", status=checkout.payment_status(current_user, session_id))


@bp.get("/sessions/<int:session_id>/payment/cancelled")
@login_required
def checkout_cancelled(session_id: int):
    """Stripe's cancel_url: the fan left Checkout without paying; the slot stays held for a while."""
    return render_template("payments/cancelled.html", status=checkout.payment_status(current_user, session_id))


@bp.post("/sessions/<int:session_id>/payment/checkout")
@login_required
def continue_checkout(session_id: int):
    payment = checkout.resume_checkout(current_user, session_id)
    return see_other(payment.checkout_url)


# --- Player payouts and earnings ------------------------------------------------------------


@bp.get("/dashboard/payouts")
@login_required
def payouts_page():
    return render_template("payments/payouts.html", profile=payouts.payout_profile(current_user))


@bp.post("/dashboard/payouts/onboarding")
@login_required
def payouts_onboarding():
    return see_other(payouts.start_onboarding(current_user))


@bp.get("/dashboard/payouts/refresh")
@login_required
def payouts_refresh():
    """Stripe's refresh_url: the onboarding link was used or expired.

    Stripe sends the browser here with a GET, and a GET changes nothing (minting a link creates
    the connected account the first time): the payouts page's button asks for a new one by POST.
    """
    payouts.payout_profile(current_user)  # players only, like the page it leads to
    flash("That set-up link expired or was already used. The button below asks Stripe for a new one.", "info")
    return see_other(url_for("payments.payouts_page"))


@bp.get("/dashboard/payouts/return")
@login_required
def payouts_return():
    """Stripe's return_url: says nothing about the outcome, so read the account's state."""
    profile = payouts.refresh_state(current_user)
    messages = {
        "enabled": ("Payouts are set up. You can offer paid sessions now.", "success"),
        "restricted": ("Stripe needs more information before you can take payments.", "error"),
        "onboarding": ("Payout set-up is not finished yet. Continue whenever you are ready.", "info"),
    }
    flash(*messages.get(profile.payout_state, messages["onboarding"]))
    return see_other(url_for("payments.payouts_page"))


@bp.post("/dashboard/payouts/sync")
@login_required
def payouts_sync():
    payouts.refresh_state(current_user)
    flash("Payout status checked with Stripe.", "success")
    return see_other(url_for("payments.payouts_page"))


@bp.post("/dashboard/payouts/stripe-dashboard")
@login_required
def payouts_dashboard():
    return see_other(payouts.dashboard_link(current_user))


@bp.get("/dashboard/earnings")
@login_required
def earnings_page():
    return render_template("payments/earnings.html", totals=earnings.player_earnings(current_user))
