"""The guardian confirms and chooses what the fan may do, or cancels a lesson (services do the rest)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for

from ...services.accounts import guardians
from ...services.booking import guardian_cancel
from ...services.payments.money import format_money
from ..redirects import see_other
from . import bp
from .forms import ConsentForm, GuardianCancelForm


@bp.route("/guardian/<token>", methods=["GET", "POST"])
def consent(token: str):
    consent = guardians.consent_for_link(token)  # a dead link is a 403 page, before anything else
    form = ConsentForm()
    if form.validate_on_submit():
        allowances = guardians.Allowances(
            free_lessons=form.free_lessons.data,
            paid_lessons=form.paid_lessons.data,
            recording=form.recording.data,
            sharing=form.sharing.data,
        )
        guardians.approve(token, allowances)
        flash(f"Thank you: your choices for {consent.fan.display_name} are saved.", "success")
        return see_other(url_for("guardians.consent", token=token))
    if request.method == "GET":
        allowed = guardians.allowances_of(consent.fan, consent)
        for name, value in allowed.as_dict().items():
            getattr(form, name).data = value
    status = 422 if form.errors else 200
    return render_template("guardians/consent.html", consent=consent, form=form), status


# The signed link names the session: no session id in the address, and no sign-in (the guardian has no account).
@bp.route("/guardian/cancel/<token>", methods=["GET", "POST"])
def cancel_session(token: str):
    session, quote = guardian_cancel.quote(token)
    form = GuardianCancelForm()
    if form.validate_on_submit():
        refund = guardian_cancel.cancel(token, form.reason.data or "").refund
        note = f" A refund of {format_money(refund.amount, refund.currency)} is on its way." if refund.amount else ""
        flash(f"The lesson is cancelled; the fan and the player are told.{note}", "success")
        return see_other(url_for("guardians.cancelled"))
    status = 422 if form.errors else 200
    return render_template("guardians/cancel.html", session=session, quote=quote, form=form, token=token), status


@bp.get("/guardian/cancelled")
def cancelled():
    return render_template("guardians/cancelled.html")
