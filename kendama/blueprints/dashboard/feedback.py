"""Leaving feedback on a finished session from the dashboard."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user, login_required

from ...services import feedback
from ..redirects import see_other
from . import bp


@bp.post("/sessions/<int:session_id>/feedback")
@login_required
def leave_feedback(session_id: int):
    rating = request.form.get("rating", type=int)
    feedback.leave_feedback(
        current_user, session_id, rating if rating is not None else 0, request.form.get("comment", "")
    )
    flash("Thank you for your feedback.", "success")
    return see_other(url_for("dashboard.index"))
