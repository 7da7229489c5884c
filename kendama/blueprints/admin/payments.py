"""Admin money pages: platform revenue, and the refunds that Stripe keeps refusing, with a retry."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user

from ...models import RefundStatus
from ...services.payments import earnings, refunds
from ...web.template_helpers import next_attempt
from ..redirects import see_other
from . import bp


@bp.get("/payments")
def revenue_page():
    return render_template("admin/revenue.html", totals=earnings.platform_revenue(current_user))


@bp.get("/payments/refunds")
def refunds_page():
    return render_template("admin/refunds.html", refunds=refunds.troubled_refunds(current_user))


@bp.post("/payments/refunds/<int:refund_id>/retry")
def retry_refund(refund_id: int):
    flash(*_retry_message(refunds.retry_now(current_user, refund_id)))
    return see_other(url_for("admin.refunds_page"))


def _retry_message(retry: refunds.Retry) -> tuple[str, str]:
    """The flash that tells the admin what their retry did, and its category."""
    refund = retry.refund
    name = f"Refund #{refund.id}"
    if retry.already_done:
        if refund.status == RefundStatus.SUCCEEDED:
            return f"{name} was already sent; there is nothing to retry.", "info"
        return f"{name} is already with Stripe, waiting for its answer; there is nothing to retry.", "info"
    if refund.status == RefundStatus.SUCCEEDED:
        return f"{name} is sent: Stripe accepted it.", "success"
    if refund.status == RefundStatus.PENDING:
        return f"{name} is sent; Stripe is still processing it, and a failure would be retried.", "success"
    if refund.status == RefundStatus.FAILED:
        return (
            f"{name} failed again: {refund.last_error} Next attempt: {next_attempt(refund.next_attempt_at)}.",
            "error",
        )
    return f"{name} failed again and is not retried automatically: {refund.last_error}", "error"
