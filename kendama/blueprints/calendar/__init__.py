"""The private iCalendar feed that fans and players subscribe to, and one session's .ics download."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)

from . import routes  # noqa: E402,F401
