"""The player's external calendar: paste its address, see how the last sync went, remove it."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...services.calendars import imports
from ...services.errors import ServiceError
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp


class CalendarImportForm(FlaskForm):
    """Shape only; calendars.imports.normalise_url holds the rules."""

    calendar_import_url = StringField(
        "Secret address of your calendar",
        validators=[DataRequired(message="Paste the address of your calendar."), Length(max=2048)],
        render_kw={"type": "url", "inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )


def _page(form: CalendarImportForm, status: int = 200):
    profile = imports.import_status(current_user)
    return (
        render_template(
            "dashboard/calendar_import.html",
            form=form,
            profile=profile,
            pending=imports.is_pending(profile),
            busy_count=imports.busy_count(current_user.id),
        ),
        status,
    )


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar_import_page():
    form = CalendarImportForm()
    if request.method == "GET":
        form.calendar_import_url.data = imports.import_status(current_user).calendar_import_url
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        imports.set_import_url(current_user, form.calendar_import_url.data)
    except ServiceError as exc:
        apply_service_errors(form, exc)
        return _page(form, exc.status)
    flash("Calendar saved. We are reading it now; busy times block your slots once it is read.", "success")
    return see_other(url_for("dashboard.calendar_import_page"))


@bp.post("/calendar/remove")
@login_required
def calendar_import_remove():
    # CSRFProtect has already checked the token, as for every POST.
    imports.remove_import(current_user)
    flash("Calendar removed. Its busy times no longer block your slots.", "success")
    return see_other(url_for("dashboard.calendar_import_page"))


@bp.get("/calendar/status")
@login_required
def calendar_import_status():
    """The status fragment the page includes; htmx polls it while a sync is pending."""
    profile = imports.import_status(current_user)
    return render_template(
        "dashboard/_calendar_import_status.html",
        profile=profile,
        pending=imports.is_pending(profile),
        busy_count=imports.busy_count(current_user.id),
    )
