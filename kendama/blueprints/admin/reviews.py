"""Admin pages for post-session feedback and reviews: the list (with its CSV export), reported
reviews, and hiding or showing a review again (services/marketplace/reviews.py logs each)."""

from __future__ import annotations

from flask import Response, flash, render_template, url_for
from flask_login import current_user

from ...services import feedback
from ...services.errors import InvalidInput, WrongState
from ...services.marketplace import reviews
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import HideReviewForm, UnhideReviewForm


@bp.get("/feedback")
def feedback_page():
    return _page()


def _page(*, failed: tuple[int, HideReviewForm] | None = None, status: int = 200):
    """The page; a refused hide form replaces its blank copy and shows its error."""
    rows = feedback.all_feedback(current_user, limit=200)
    failed_id, failed_form = failed or (None, None)
    hide_forms = {
        row.review.id: (failed_form if row.review.id == failed_id else HideReviewForm(formdata=None)).for_review(
            row.review.id
        )
        for row in rows
        if row.review is not None and not row.review.is_hidden
    }
    page = render_template(
        "admin/feedback.html",
        rows=rows,
        reported=reviews.reported_reviews(current_user),
        log=reviews.moderation_log(current_user, limit=50),
        hide_forms=hide_forms,
        unhide_form=UnhideReviewForm(formdata=None),
    )
    return page, status


@bp.get("/feedback.csv")
def feedback_csv():
    return Response(
        feedback.export_csv(current_user),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=session-feedback.csv"},
    )


@bp.post("/reviews/<int:review_id>/hide")
def hide_review(review_id: int):
    form = HideReviewForm()
    if form.validate_on_submit():
        try:
            reviews.hide(current_user, review_id, form.reason.data or "")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except WrongState as exc:
            flash(exc.message, "error")
            return see_other(url_for("admin.feedback_page"))
        else:
            flash("The review is hidden from the profile and the rating; the log keeps your reason.", "success")
            return see_other(url_for("admin.feedback_page") + f"#review-{review_id}")
    return _page(failed=(review_id, form), status=422)


@bp.post("/reviews/<int:review_id>/unhide")
def unhide_review(review_id: int):
    if not UnhideReviewForm().validate_on_submit():
        return _page(status=422)
    try:
        reviews.unhide(current_user, review_id)
    except WrongState as exc:
        flash(exc.message, "error")
    else:
        flash("The review is shown again.", "success")
    return see_other(url_for("admin.feedback_page") + f"#review-{review_id}")
