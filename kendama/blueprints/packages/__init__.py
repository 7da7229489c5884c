"""Lesson package pages: buying one, the fan's credits, and the player's offer of packages."""

from flask import Blueprint

bp = Blueprint("packages", __name__)

from . import routes  # noqa: E402,F401
