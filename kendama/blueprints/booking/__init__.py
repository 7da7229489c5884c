"""Booking a player: pick a length, a day and a time; then the confirmation."""

from flask import Blueprint

bp = Blueprint("booking", __name__)

from . import routes, waitlist  # noqa: E402,F401
