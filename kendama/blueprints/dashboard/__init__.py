"""The signed-in home for fans and players."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from . import availability, caldav, calendar_import, demo_call, feedback, reviews, routes, sessions  # noqa: E402,F401
