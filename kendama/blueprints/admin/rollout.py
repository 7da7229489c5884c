"""Admin pages for the rollout: the live-sessions switch and the beta allowlist (feedback: reviews.py)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...services.booking import rollout
from ...services.errors import ServiceError
from ..redirects import see_other
from . import bp


@bp.get("/rollout")
def rollout_page():
    return render_template(
        "admin/rollout.html", state=rollout.state(), states=list(rollout.LiveSessions), allowlist=rollout.allowlist()
    )


@bp.post("/rollout/state")
def set_rollout_state():
    new_state = rollout.set_state(current_user, request.form.get("state", ""))
    flash(f"Live sessions are now: {new_state.value}.", "success")
    return see_other(url_for("admin.rollout_page"))


@bp.post("/rollout/allowlist")
def add_to_allowlist():
    try:
        user = rollout.add_to_allowlist(current_user, request.form.get("email", ""))
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{user.email} is in the beta.", "success")
    return see_other(url_for("admin.rollout_page"))


@bp.post("/rollout/allowlist/<int:user_id>/remove")
def remove_from_allowlist(user_id: int):
    rollout.remove_from_allowlist(current_user, user_id)
    flash("Removed from the beta.", "success")
    return see_other(url_for("admin.rollout_page"))
