"""Admin oversight of recordings: every recording, its consent history and its access log."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...services.video import recordings
from ..api.io import pagination
from . import bp


@bp.get("/recordings")
def recordings_page():
    page, per_page = pagination()
    rows, total = recordings.all_recordings(current_user, page=page, per_page=per_page)
    return render_template("admin/recordings.html", rows=rows, total=total, page=page, per_page=per_page)


@bp.get("/recordings/<int:recording_id>")
def recording_page(recording_id: int):
    view = recordings.oversight(current_user, recording_id)
    grant = (
        recordings.grant_for(view.recording, user_id=current_user.id)
        if view.recording.status == recordings.READY
        else None
    )
    return render_template("admin/recording.html", view=view, grant=grant)
