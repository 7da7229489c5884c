"""Video pages: the join page with the call, recordings with captions, share links, admin oversight."""

from flask import Blueprint

bp = Blueprint("video", __name__)

from . import admin, routes  # noqa: E402,F401
