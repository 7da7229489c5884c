"""Video pages: the join page with the call, recordings with captions, share links."""

from flask import Blueprint

bp = Blueprint("video", __name__)

from . import routes  # noqa: E402,F401
