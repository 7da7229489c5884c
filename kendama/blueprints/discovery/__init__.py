"""Public pages: home, finding players, a player's profile."""

from flask import Blueprint

bp = Blueprint("discovery", __name__)

from . import routes  # noqa: E402,F401
