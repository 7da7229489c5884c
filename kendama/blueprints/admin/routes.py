"""Admin console: the overview with the verification queue, and every session with filters."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...services import oversight
from ...services.accounts import profiles
from ...services.errors import InvalidInput
from ...services.payments import earnings
from ...web.template_helpers import viewer_zone
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import STATUS_LABELS, SessionFilterForm

SESSIONS_PER_PAGE = 25


@bp.get("/")
def index():
    return render_template(
        "admin/index.html",
        counts=oversight.overview(current_user),
        queue=profiles.verification_queue(),
        revenue=earnings.platform_revenue(current_user, viewer_zone()).by_currency(),
    )


@bp.post("/players/<int:player_id>/verify")
def verify_player(player_id: int):
    approve = request.form.get("decision", "approve") == "approve"
    profile = profiles.verify_player(current_user, player_id, approve=approve, note=request.form.get("note", "")[:2000])
    flash(f"{profile.user.display_name} is {'verified' if approve else 'rejected'}.", "success")
    return see_other(url_for("admin.index"))


@bp.get("/sessions")
def sessions():
    form = SessionFilterForm(request.args)
    form.validate()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    try:
        results = oversight.find_sessions(
            current_user, form.to_filter(), viewer_zone(), page=page, per_page=SESSIONS_PER_PAGE
        )
    except InvalidInput as exc:
        apply_service_errors(form, exc)
        results = None
    status = 422 if form.errors else 200
    return render_template(
        "admin/sessions.html", form=form, results=results, params=form.query_params(), labels=STATUS_LABELS
    ), status
