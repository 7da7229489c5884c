"""Admin page: email notifications that failed or gave up, with a retry button."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_login import current_user

from ...services.notifications import sweep
from ..redirects import see_other
from . import bp


@bp.get("/notifications")
def notifications_page():
    return render_template(
        "admin/notifications.html",
        rows=sweep.problems(current_user),
        counts=sweep.problem_counts(current_user),
    )


@bp.post("/notifications/<int:notification_id>/retry")
def retry_notification(notification_id: int):
    notification = sweep.retry(current_user, notification_id)
    flash(f"Notification #{notification.id} ({notification.kind}) is queued to be sent again.", "success")
    return see_other(url_for("admin.notifications_page"))
