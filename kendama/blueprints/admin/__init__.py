"""The admin console."""

from flask import Blueprint
from flask_login import current_user, login_required

from ...services.errors import NotFound

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def admins_only():
    # Non-admins learn nothing about the console's pages.
    if not current_user.is_admin:
        raise NotFound("We could not find that page.")


from . import notifications, rollout, routes  # noqa: E402,F401
