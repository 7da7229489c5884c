"""Admin: disputed no-show reports, with both sides' words and the call's join records, and the decision."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...services.booking import no_shows
from ...services.errors import InvalidInput, WrongState
from ..redirects import see_other
from . import bp
from .forms import NoShowDecisionForm


@bp.get("/no-shows")
def no_shows_page():
    return _page(), 200


@bp.post("/no-shows/<int:report_id>/resolve")
def resolve_no_show(report_id: int):
    form = NoShowDecisionForm()
    if form.validate_on_submit():
        try:
            report = no_shows.resolve(current_user, report_id, form.decision.data, form.note.data or "")
        except (InvalidInput, WrongState) as exc:
            flash(" ".join([exc.message, *exc.fields.values()]) if exc.fields else exc.message, "error")
            return _page(failed_id=report_id, form=form), 422
        outcome = "refunded in full" if report.outcome == "refunded" else "rejected: the lesson counts as held"
        flash(f"Decided: {outcome}. Both sides get an email.", "success")
        return see_other(url_for("admin.no_shows_page"))
    return _page(failed_id=report_id, form=form), 422


def _page(*, failed_id: int | None = None, form: NoShowDecisionForm | None = None) -> str:
    shown = request.args.get("show", "disputed")
    outcome = shown if shown in ("disputed", "open", "refunded", "rejected") else "disputed"
    return render_template(
        "admin/no_shows.html",
        rows=no_shows.disputes(current_user, outcome=outcome),
        outcome=outcome,
        failed_id=failed_id,
        failed_form=form,
        blank=NoShowDecisionForm(formdata=None),
    )
