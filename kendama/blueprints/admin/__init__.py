"""The admin console: every /admin page, behind the one guard below.

Pages: the overview and sessions (routes.py), money (payments.py), recordings (recordings.py),
notifications (notifications.py), the rollout (rollout.py), feedback and reviews with their
moderation (reviews.py), the trick catalog (tricks.py), and disputed no-shows (no_shows.py).
"""

from flask import Blueprint
from flask_login import current_user, login_required

from ...services.errors import NotFound

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def admins_only():
    """Non-admins get a 404, not services/access.require_admin's 403: they learn nothing of the console."""
    if not current_user.is_admin:
        raise NotFound("We could not find that page.")


from . import no_shows, notifications, payments, recordings, reviews, rollout, routes, tricks  # noqa: E402,F401
