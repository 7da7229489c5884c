"""Pages for a young fan's guardian, who has no account: the signed links in their emails open them."""

from flask import Blueprint

bp = Blueprint("guardians", __name__)

from . import routes  # noqa: E402,F401
