"""Admin pages: the player verification queue."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...services import profiles
from ..redirects import see_other
from . import bp


@bp.get("/")
def index():
    return render_template("admin/index.html", queue=profiles.verification_queue())


@bp.post("/players/<int:player_id>/verify")
def verify_player(player_id: int):
    approve = request.form.get("decision", "approve") == "approve"
    profile = profiles.verify_player(current_user, player_id, approve=approve, note=request.form.get("note", "")[:2000])
    flash(f"{profile.user.display_name} is {'verified' if approve else 'rejected'}.", "success")
    return see_other(url_for("admin.index"))
