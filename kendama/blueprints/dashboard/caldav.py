"""The player's CalDAV account: connect (or reconnect), choose calendars, see its health, disconnect."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from ...services.calendars import caldav_accounts, connections
from ...services.errors import NotFound, ServiceError
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp


class ConnectForm(FlaskForm):
    """Shape only; calendars.connections holds the rules."""

    server_url = StringField(
        "Server address (CalDAV)",
        validators=[DataRequired(message="Enter your calendar server's address."), Length(max=2048)],
        render_kw={"type": "url", "inputmode": "url", "autocomplete": "url", "spellcheck": "false"},
    )
    username = StringField(
        "Username", validators=[DataRequired(message="Enter your username.")], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "App password",
        validators=[DataRequired(message="Enter an app password.")],
        render_kw={"autocomplete": "new-password"},
    )


class CalendarsForm(FlaskForm):
    busy_calendars = SelectMultipleField(
        "Calendars whose events block your slots",
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,
    )
    write_calendar = RadioField("Calendar your booked sessions are written into", validate_choice=False)


def _page(connect_form: ConnectForm, calendars_form: CalendarsForm | None = None, status: int = 200):
    connection = connections.for_player(current_user)
    if connection is not None and calendars_form is None:
        calendars_form = _calendars_form(connection)
    waiting, stopped = connections.writes_waiting(current_user.id) if connection else (0, 0)
    return (
        render_template(
            "dashboard/caldav.html",
            connection=connection,
            connect_form=connect_form,
            calendars_form=calendars_form,
            problem=caldav_accounts.problem_message(connection) if connection else None,
            writes_waiting=waiting,
            writes_stopped=stopped,
            write_name=connection and connections.calendar_name(connection, connection.write_calendar_url),
        ),
        status,
    )


def _calendars_form(connection, formdata=None) -> CalendarsForm:
    form = CalendarsForm(formdata=formdata)
    choices = [(c["url"], c["name"]) for c in connection.calendars]
    form.busy_calendars.choices = choices
    form.write_calendar.choices = [*choices, ("", "None: do not write sessions into a calendar")]
    if formdata is None:
        form.busy_calendars.data = list(connection.busy_calendar_urls)
        form.write_calendar.data = connection.write_calendar_url or ""
    return form


def _connect_form() -> ConnectForm:
    form = ConnectForm()
    connection = connections.for_player(current_user)
    if request.method == "GET" and connection is not None:
        form.server_url.data, form.username.data = connection.server_url, connection.username
    return form


@bp.get("/calendar/caldav")
@login_required
def caldav_page():
    return _page(_connect_form())


@bp.post("/calendar/caldav")
@login_required
def caldav_connect():
    connections.for_player(current_user)  # players only, before the form is read
    form = ConnectForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        connections.connect(current_user, form.server_url.data, form.username.data, form.password.data)
    except ServiceError as exc:
        apply_service_errors(form, exc)
        return _page(form, status=exc.status)
    flash("Calendar account connected. Choose below which calendars count as busy.", "success")
    return see_other(url_for("dashboard.caldav_page"))


@bp.post("/calendar/caldav/calendars")
@login_required
def caldav_choose():
    connection = connections.for_player(current_user)
    if connection is None:
        flash("Connect a calendar account first.", "error")
        return see_other(url_for("dashboard.caldav_page"))
    form = _calendars_form(connection, formdata=request.form)
    if not form.validate_on_submit():
        return _page(_connect_form(), form, status=422)
    try:
        connections.choose(current_user, form.busy_calendars.data or [], form.write_calendar.data or None)
    except ServiceError as exc:
        apply_service_errors(form, exc)
        return _page(_connect_form(), form, status=exc.status)
    flash("Calendars saved. We are reading your busy times now.", "success")
    return see_other(url_for("dashboard.caldav_page"))


@bp.post("/calendar/caldav/disconnect")
@login_required
def caldav_disconnect():
    try:
        connections.disconnect(current_user)
    except NotFound as exc:
        flash(exc.message, "error")
        return see_other(url_for("dashboard.caldav_page"))
    flash("Calendar account disconnected. Its busy times no longer block your slots.", "success")
    return see_other(url_for("dashboard.caldav_page"))


@bp.app_template_global()
def caldav_problem(player_id: int) -> str | None:
    """The dashboard's warning about the player's CalDAV account, if it is in trouble."""
    connection = caldav_accounts.get(player_id)
    return caldav_accounts.problem_message(connection) if connection else None
