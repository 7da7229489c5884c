"""The admin console."""

from functools import wraps

from flask import Blueprint
from flask_login import current_user, login_required

from ...services.errors import NotFound

bp = Blueprint("admin", __name__)


def _hide_from_non_admins() -> None:
    # Non-admins learn nothing about the console's pages.
    if not current_user.is_admin:
        raise NotFound("We could not find that page.")


@bp.before_request
@login_required
def admins_only():
    _hide_from_non_admins()


def admin_only(view):
    """The console's 404 for non-admins, on a console page that another blueprint serves."""

    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        _hide_from_non_admins()
        return view(*args, **kwargs)

    return guarded


from . import notifications, rollout, routes  # noqa: E402,F401
