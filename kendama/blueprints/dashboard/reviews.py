"""The fan's review of a finished lesson (leave it, change it for 7 days) and the player's reply,
from the dashboard; services/marketplace/reviews.py holds the rules."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user, login_required

from ...services.errors import InvalidInput
from ...services.marketplace import reviews
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import ReplyForm, ReviewForm
from .routes import dashboard_page


def _refused(kind: str, key: int, form):
    return dashboard_page(failed=(kind, key, form), status=422)


@bp.post("/sessions/<int:session_id>/review")
@login_required
def leave_review(session_id: int):
    session = reviews.session_to_review(current_user, session_id)  # 404 or 403 before the form is read
    form = ReviewForm()
    if not form.validate_on_submit():
        return _refused("review", session_id, form)
    try:
        review = reviews.leave_review(
            current_user, session_id, int(form.rating.data), form.text.data or "", public=form.public
        )
    except InvalidInput as exc:
        apply_service_errors(form, exc)
        return _refused("review", session_id, form)
    player = session.player.display_name
    flash(
        f"Thank you. Your review is on {player}'s profile."
        if review.is_shown
        else f"Thank you. Only {player} reads your review.",
        "success",
    )
    return see_other(url_for("dashboard.index") + "#reviews-title")


@bp.post("/sessions/<int:session_id>/review/edit")
@login_required
def edit_review(session_id: int):
    reviews.review_for_fan(current_user, session_id)  # 404 or 403 before the form is read
    form = ReviewForm()
    if not form.validate_on_submit():
        return _refused("edit", session_id, form)
    try:
        reviews.edit_review(
            current_user, session_id, rating=int(form.rating.data), text=form.text.data or "", public=form.public
        )
    except InvalidInput as exc:
        apply_service_errors(form, exc)
        return _refused("edit", session_id, form)
    flash("Your review is updated.", "success")
    return see_other(url_for("dashboard.index") + "#reviews-title")


@bp.post("/reviews/<int:review_id>/reply")
@login_required
def reply_to_review(review_id: int):
    reviews.review_to_reply(current_user, review_id)  # 404, 403 or 409 before the form is read
    form = ReplyForm()
    if not form.validate_on_submit():
        return _refused("reply", review_id, form)
    try:
        reviews.reply(current_user, review_id, form.text.data or "")
    except InvalidInput as exc:
        apply_service_errors(form, exc)
        return _refused("reply", review_id, form)
    flash("Your reply is shown under the review on your profile.", "success")
    return see_other(url_for("dashboard.index") + "#received-reviews-title")
