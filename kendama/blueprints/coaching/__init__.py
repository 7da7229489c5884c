"""The coaching pages: a fan's progress, and the player's progress marks on a session."""

from flask import Blueprint

bp = Blueprint("coaching", __name__)

from . import routes  # noqa: E402,F401
