"""The sessions part of the dashboard: upcoming and past sessions, cancel and reschedule."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from ...services.booking import lifecycle, offers, queries
from ...services.errors import ServiceError
from ...services.payments.money import format_money
from ...services.timezones import parse_aware
from ...web.template_helpers import viewer_zone
from ..booking.forms import SlotChoiceForm
from ..booking.picker import context, picker_args
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason (optional; the other side sees it)", validators=[Optional(), Length(max=2000)])


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_session(session_id: int):
    form = CancelForm()
    if form.validate_on_submit():
        result = lifecycle.cancel(current_user, session_id, form.reason.data or "")
        refund = result.refund
        note = f" A refund of {format_money(refund.amount, refund.currency)} is on its way." if refund.amount else ""
        flash(f"The session was cancelled.{note}", "success")
        return see_other(url_for("dashboard.index"))
    quote = lifecycle.cancellation_quote(current_user, session_id)
    session = queries.get_session(current_user, session_id)
    status = 422 if form.errors else 200
    return render_template("dashboard/cancel.html", session=session, quote=quote, form=form), status


def _reschedule_page(session_id: int, template: str, form: SlotChoiceForm, status: int = 200, message=None):
    _, first_day, day = picker_args()
    session, choices = offers.reschedule_choices(current_user, session_id, viewer_zone(), first_day, day)
    values = context(choices, "dashboard.reschedule_session", day_step=1, session_id=session_id)
    response = render_template(
        template,
        session=session,
        form=form,
        mode="reschedule",
        message=message,
        form_action=url_for("dashboard.reschedule_session", session_id=session_id),
        actions=lifecycle.available_actions(session, current_user),
        **values,
    )
    headers = {"HX-Push-Url": values["page_link"]} if template.startswith("booking/_") else {}
    return response, status, headers


@bp.get("/sessions/<int:session_id>/reschedule")
@login_required
def reschedule_session_page(session_id: int):
    return _reschedule_page(session_id, "dashboard/reschedule.html", SlotChoiceForm())


@bp.get("/sessions/<int:session_id>/reschedule/days")
@login_required
def reschedule_session_days(session_id: int):
    return _reschedule_page(session_id, "booking/_days.html", SlotChoiceForm())


@bp.get("/sessions/<int:session_id>/reschedule/slots")
@login_required
def reschedule_session_slots(session_id: int):
    return _reschedule_page(session_id, "booking/_slots.html", SlotChoiceForm())


@bp.post("/sessions/<int:session_id>/reschedule")
@login_required
def reschedule_session(session_id: int):
    form = SlotChoiceForm()
    if not form.validate_on_submit():
        return _reschedule_page(session_id, "dashboard/reschedule.html", form, 422)
    try:
        start = parse_aware(form.start.data, field="start")
        lifecycle.reschedule(current_user, session_id, start)
    except ServiceError as exc:
        apply_service_errors(form, exc)
        return _reschedule_page(session_id, "dashboard/reschedule.html", form, exc.status, message=exc.message)
    flash("The session was moved. Both of you get the new time by email.", "success")
    return see_other(url_for("dashboard.index"))
