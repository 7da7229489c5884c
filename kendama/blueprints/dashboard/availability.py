"""The player's availability editor: weekly hours, date overrides and booking limits.

The form only has a shape (three windows per weekday, the saved overrides plus a few empty rows);
kendama/services/booking/availability.py checks every rule and its field messages are put back on the
rows they belong to.
"""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from ...services import access
from ...services.booking import availability
from ...services.errors import InvalidInput
from ..redirects import see_other
from ..zone_choices import zone_choices
from . import bp

WINDOWS_PER_DAY = 3
BLANK_OVERRIDES = 3
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class WindowForm(Form):
    start = StringField("From", validators=[Optional()], render_kw={"type": "time"})
    end = StringField("To", validators=[Optional()], render_kw={"type": "time"})


class OverrideForm(Form):
    date = StringField("Date", validators=[Optional()], render_kw={"type": "date"})
    start = StringField("From (empty: day off)", validators=[Optional()], render_kw={"type": "time"})
    end = StringField("To", validators=[Optional()], render_kw={"type": "time"})


class AvailabilityForm(FlaskForm):
    timezone = SelectField("Your time zone (the hours below are in it)")
    buffer_minutes = IntegerField("Break between sessions (minutes, 0-240)", validators=[InputRequired()])
    min_notice_minutes = IntegerField("Minimum notice before a booking (minutes)", validators=[InputRequired()])
    max_days_ahead = IntegerField("How many days ahead fans may book (1-365)", validators=[InputRequired()])
    weekly = FieldList(FormField(WindowForm), min_entries=7 * WINDOWS_PER_DAY, max_entries=7 * WINDOWS_PER_DAY)
    overrides = FieldList(FormField(OverrideForm), max_entries=availability.MAX_OVERRIDES + BLANK_OVERRIDES)


def _clock(value) -> str:
    """A time for an <input type=time>; an end of 00:00 (midnight) stays 00:00, which it can show."""
    return "" if value is None else value.strftime("%H:%M")


def _fill(form: AvailabilityForm, saved) -> None:
    form.timezone.data = saved.timezone
    form.buffer_minutes.data = saved.buffer_minutes
    form.min_notice_minutes.data = saved.min_notice_minutes
    form.max_days_ahead.data = saved.max_days_ahead
    used = [0] * 7
    for window in saved.windows:
        if used[window.weekday] >= WINDOWS_PER_DAY:
            continue  # set through the API; the editor shows the first three of a day
        entry = form.weekly[window.weekday * WINDOWS_PER_DAY + used[window.weekday]]
        entry.start.data, entry.end.data = _clock(window.start_time), _clock(window.end_time)
        used[window.weekday] += 1
    for override in saved.overrides:
        form.overrides.append_entry(
            {
                "date": override.date.isoformat(),
                "start": _clock(override.start_time),
                "end": _clock(override.end_time),
            }
        )
    for _ in range(BLANK_OVERRIDES):
        form.overrides.append_entry()


def _inputs(form: AvailabilityForm) -> tuple[availability.AvailabilityInput, dict, dict]:
    """The service's input, and which form row each weekly window and override came from."""
    weekly, weekly_rows = [], {}
    for index, entry in enumerate(form.weekly):
        if entry.start.data or entry.end.data:
            weekly_rows[len(weekly)] = entry
            weekly.append(availability.WeeklyInput(index // WINDOWS_PER_DAY, entry.start.data, entry.end.data))
    overrides, override_rows = [], {}
    for entry in form.overrides:
        if entry.date.data or entry.start.data or entry.end.data:
            override_rows[len(overrides)] = entry
            overrides.append(
                availability.OverrideInput(entry.date.data, entry.start.data or None, entry.end.data or None)
            )
    data = availability.AvailabilityInput(
        timezone=form.timezone.data,
        weekly=weekly,
        overrides=overrides,
        buffer_minutes=form.buffer_minutes.data,
        min_notice_minutes=form.min_notice_minutes.data,
        max_days_ahead=form.max_days_ahead.data,
    )
    return data, weekly_rows, override_rows


def _show_errors(form: AvailabilityForm, error: InvalidInput, weekly_rows: dict, override_rows: dict) -> None:
    """Put `weekly.3.end`-style messages on the rows the player typed them in."""
    form.form_errors = list(getattr(form, "form_errors", []))
    rows = {"weekly": weekly_rows, "overrides": override_rows}
    for name, message in error.fields.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] in rows and int(parts[1]) in rows[parts[0]]:
            field = getattr(rows[parts[0]][int(parts[1])], parts[2])
        else:
            field = getattr(form, parts[0], None)
        if field is not None and hasattr(field, "errors") and isinstance(field.errors, list):
            field.errors.append(message)
        else:
            form.form_errors.append(message)


@bp.route("/availability", methods=["GET", "POST"])
@login_required
def availability_editor():
    access.require_player(current_user)
    form = AvailabilityForm()
    if not form.is_submitted():
        _fill(form, availability.get_availability(current_user.id))
    form.timezone.choices = zone_choices(form.timezone.data)
    status = 200
    if form.is_submitted():
        if form.validate():
            data, weekly_rows, override_rows = _inputs(form)
            try:
                availability.set_availability(current_user, data)
            except InvalidInput as exc:
                _show_errors(form, exc, weekly_rows, override_rows)
                status = 422
            else:
                flash("Availability saved.", "success")
                return see_other(url_for("dashboard.availability_editor"))
        else:
            status = 422
    return (
        render_template("dashboard/availability.html", form=form, weekdays=WEEKDAYS, per_day=WINDOWS_PER_DAY),
        status,
    )
